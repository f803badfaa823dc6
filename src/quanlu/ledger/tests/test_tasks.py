"""The scheduled work: integration and verification run from the serving process's jobs."""

from __future__ import annotations

import logging

from django.core import checks

from quanlu.core import jobs
from quanlu.ledger import tasks
from quanlu.ledger.models import Checkpoint, Pending, Verification


def test_the_ledger_registers_its_jobs():
    names = {job.name: job for job in jobs.registered()}
    assert names["ledger.integrate"].func is tasks.run_once
    assert names["ledger.verify"].func is tasks.verify_and_alert
    assert names["ledger.integrate"].every < names["ledger.verify"].every


def test_run_once_integrates_and_a_clean_verification_is_recorded(world, caplog):
    caplog.set_level(logging.INFO, logger="quanlu.ledger")
    world.open_case()
    result = tasks.run_once()
    assert result.integrated
    assert not Pending.objects.exclude(event_type="ledger:verification:completed").exists()
    assert Checkpoint.objects.exists()
    assert tasks.verify_and_alert() is True
    assert Verification.objects.get().ok
    assert not [r for r in caplog.records if r.levelno >= logging.CRITICAL]


def test_a_misconfigured_origin_and_a_missing_sm2_library_stop_the_site(settings, monkeypatch):
    from quanlu.ledger import sm2

    settings.QUANLU_LEDGER_ORIGIN = "bad origin+name"
    settings.QUANLU_LEDGER_SM2 = True
    monkeypatch.setattr(sm2, "available", lambda: False)
    ids = {m.id for m in checks.run_checks(tags=[checks.Tags.security])}
    assert {"quanlu.E101", "quanlu.E102"} <= ids


def test_a_key_folder_readable_by_others_is_warned_about(settings, key_dir):
    key_dir.mkdir(parents=True, exist_ok=True)
    key_dir.chmod(0o755)
    ids = {m.id for m in checks.run_checks(tags=[checks.Tags.security])}
    assert "quanlu.W101" in ids
