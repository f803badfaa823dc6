"""`quanlu serve` runs the background jobs: one `quanlu worker` beside gunicorn,
restarted if it dies, stopped with the server; `--no-jobs` runs none."""

import json
import os
import signal
import time
import urllib.request

import pytest

from quanlu.ledger import note
from quanlu.ledger.models import Checkpoint, Event, Key, Leaf
from quanlu.org.services import api_token_create
from quanlu.testing import factories
from quanlu.testing.serve import Serve, alive, children, database_url

INTERVAL = 1  # QUANLU_LEDGER_INTERVAL for the server, seconds
MARGIN = 15  # a loaded two-core machine, the worker's first runs of every job


def _job_runners(pid: int) -> list[int]:
    return [child for child, cmdline in children(pid) if "quanlu worker " in f"{cmdline} "]


def _eventually(probe, seconds: float):
    deadline = time.monotonic() + seconds
    while True:
        found = probe()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


@pytest.fixture
def env(transactional_db, settings, tmp_path):
    return {
        "QUANLU_DATA_DIR": str(tmp_path / "var"),
        "QUANLU_DATABASE_URL": database_url(),
        # The queue's MAC key and the logs' signing keys are the site's: this process
        # writes events with them, the server's worker integrates and signs with them.
        "QUANLU_KEY_DIR": str(settings.QUANLU_KEY_DIR),
        "QUANLU_BLOB_DIR": str(settings.QUANLU_BLOB_DIR),
        "QUANLU_LEDGER_INTERVAL": str(INTERVAL),
    }


def test_serve_integrates_an_api_write_signs_a_checkpoint_and_restarts_and_stops_its_worker(env):
    world = factories.world()
    _, token = api_token_create(actor=world.officer, officer=world.officer, label="serve")
    server = Serve(env=env, workers=2)
    replacement: list[int] = []
    try:
        runners = _eventually(lambda: _job_runners(server.proc.pid), 20)
        assert len(runners) == 1, "one job runner per `quanlu serve`, whatever the HTTP workers"

        body = {
            "kind": "penalty",
            "procedure": "general",
            "initiation_mode": "ex_officio",
            "source": "inspection",
            "cause": "某公司超标排放案",
            "reason": "在线监测超标。",
        }
        request = urllib.request.Request(
            f"{server.url}/api/v1/cases",
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 201
            created = json.loads(response.read())
        event = Event.objects.get(case_uid=created["id"], type="case:case:opened")

        leaf = _eventually(lambda: Leaf.objects.filter(event_seq=event.seq).first(), INTERVAL + MARGIN)
        assert leaf is not None, "the worker did not integrate the event"
        checkpoint = _eventually(
            lambda: Checkpoint.objects.filter(log_id=leaf.log_id, size__gt=leaf.index).first(),
            INTERVAL + MARGIN,
        )
        assert checkpoint is not None, "no checkpoint covers the event"
        vkeys = Key.objects.filter(log_id=leaf.log_id, algorithm="ed25519").values_list("vkey", flat=True)
        opened = note.open_note(checkpoint.note, [note.parse_vkey(v) for v in vkeys])
        assert opened.verified

        os.kill(runners[0], signal.SIGKILL)
        replacement = _eventually(lambda: [p for p in _job_runners(server.proc.pid) if p != runners[0]], 20)
        assert len(replacement) == 1, "a job runner that died is restarted"
    finally:
        status = server.stop(signal.SIGTERM)
    assert status == 0
    assert _eventually(lambda: not any(alive(p) for p in replacement), 5)


def test_ctrl_c_stops_server_and_worker_and_no_jobs_starts_none(env):
    server = Serve(env=env)
    try:
        runners = _eventually(lambda: _job_runners(server.proc.pid), 20)
        assert len(runners) == 1
    finally:
        status = server.stop(signal.SIGINT)
    assert status == 0
    assert _eventually(lambda: not alive(runners[0]), 5)

    quiet = Serve(env=env, jobs=False)
    try:
        time.sleep(2)
        assert _job_runners(quiet.proc.pid) == []
        assert children(quiet.proc.pid), "the HTTP worker is there"
    finally:
        assert quiet.stop() == 0
