"""The compliance projection (supervision.compliance): the same judgement as the live
evaluator, refreshed after each commit that changes a case, when a deadline falls due,
and by ``quanlu supervision refresh``."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from quanlu.archive.tests.helpers import case_with_records
from quanlu.cases.models import Stage
from quanlu.media.models import MediaRecord
from quanlu.rulebooks.evaluator import evaluate
from quanlu.rulebooks.providers import gather
from quanlu.supervision.compliance import (
    compliance_rebuild,
    compliance_refresh,
    compliance_refresh_due,
    findings_for,
)
from quanlu.supervision.models import CaseCompliance, ComplianceFinding
from quanlu.supervision.statistics import av_coverage, upload_timeliness
from quanlu.supervision.tests.test_deadlines import emergency
from quanlu.testing import factories as f

# The projection's statuses, as the evaluator's: pending is its "not applicable (yet)".
LIVE = {"met": "met", "unmet": "unmet", "pending": "not_applicable", "not_applicable": "not_applicable"}


def assert_as_live(case, now=None):
    live = evaluate(gather(case), now=now)
    stored = list(findings_for(case))
    assert [r.rule.id for r in live] == [s.rule_id for s in stored]
    for r, s in zip(live, stored, strict=True):
        assert (r.rule.id, str(r.status)) == (s.rule_id, LIVE[s.status])
        assert (s.message, s.satisfy, s.subjects) == (
            r.outcome.message,
            r.outcome.satisfy,
            list(r.outcome.subjects),
        )
        assert (s.source, s.article, s.rulebook_id) == (
            r.rule.citation.source,
            r.rule.citation.article,
            r.rulebook.id,
        )
    summary = CaseCompliance.objects.get(case=case)
    assert summary.met == sum(r.status == "met" for r in live)
    assert summary.unmet == sum(r.status == "unmet" for r in live)
    assert summary.pending + summary.not_applicable == sum(r.status == "not_applicable" for r in live)
    return {s.rule_id: s for s in stored}


@pytest.mark.parametrize("rulebook", [f.R001, f.R002, f.R003])
def test_the_projection_says_what_the_evaluator_says_for_each_regulation(db, rulebook):
    w = f.world(rulebook)
    fresh = w.open_case(kind="inspection")
    moved = w.open_case()
    w.grant_gate(moved, "initiation")
    w.advance(moved, Stage.INVESTIGATION)
    late = emergency(w, 30)
    assert compliance_rebuild() == 3
    for case in (fresh, moved, late):
        assert_as_live(case)
    # Some of each: the comparison is not between empty lists.
    statuses = set(ComplianceFinding.objects.values_list("status", flat=True))
    assert {"met", "pending", "not_applicable"} <= statuses


def test_a_recorded_case_counts_its_audio_visual_steps(db):
    w = f.world(f.R004)
    case = case_with_records(w)  # a signed inspection transcript and a video of it
    compliance_refresh(cases=[case])
    assert_as_live(case)
    summary = CaseCompliance.objects.get(case=case)
    assert summary.av_required >= 1
    assert summary.av_recorded >= 1
    assert summary.av_recorded + summary.av_exempted <= summary.av_required
    # The statistics add these up per agency; the uploads count the stored records.
    [coverage] = av_coverage(w.superior_supervisor, within=w.agency)
    assert (coverage["required"], coverage["recorded"], coverage["exempted"]) == (
        summary.av_required,
        summary.av_recorded,
        summary.av_exempted,
    )
    assert coverage["missing"] == summary.av_required - summary.av_recorded - summary.av_exempted
    [uploads] = upload_timeliness(w.superior_supervisor, within=w.agency)
    stored = MediaRecord.objects.filter(agency=w.agency)
    assert uploads["stored"] == stored.count() >= 1
    assert uploads["late"] == stored.filter(upload_overdue=True).count()
    assert uploads["on_time"] + uploads["late"] + uploads["no_limit"] == uploads["stored"]
    [before] = upload_timeliness(
        w.superior_supervisor, within=w.agency, until=timezone.now() - dt.timedelta(days=1)
    )
    assert before["stored"] == 0


def test_a_write_refreshes_its_case_after_the_commit(db, django_capture_on_commit_callbacks):
    w = f.world(f.R004)
    with django_capture_on_commit_callbacks(execute=True):
        case = w.open_case()
    first = CaseCompliance.objects.get(case=case)
    gated = {k: s for k, s in assert_as_live(case).items() if s.status == "pending"}
    assert gated  # rules of stages not entered yet
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        w.grant_gate(case, "initiation")
        w.advance(case, Stage.INVESTIGATION)
    assert callbacks  # queued by the events of the move, run once committed
    assert CaseCompliance.objects.get(case=case).evaluated_at > first.evaluated_at
    assert_as_live(case)
    # Written but not committed (the test's own transaction): nothing runs yet.
    with django_capture_on_commit_callbacks(execute=False) as queued:
        w.open_case()
    assert queued
    assert CaseCompliance.objects.count() == 1


def test_since_holds_while_the_status_holds(world):
    case = world.open_case()
    compliance_refresh(cases=[case])
    before = {s.rule_id: s for s in findings_for(case)}
    later = timezone.now() + dt.timedelta(minutes=5)
    compliance_refresh(cases=[case], now=later)
    after = {s.rule_id: s for s in findings_for(case)}
    assert {k: s.since for k, s in after.items()} == {k: s.since for k, s in before.items()}
    assert CaseCompliance.objects.get(case=case).evaluated_at == later


def test_a_running_deadline_is_pending_until_due_then_the_worker_finds_it_unmet(db):
    w = f.world(f.R002)
    case = emergency(w, 20)  # 24 h to obtain the supplementary approval
    assert compliance_refresh_due() == 1  # never judged yet: the worker catches up
    summary = CaseCompliance.objects.get(case=case)
    assert summary.refresh_at is not None
    found = ComplianceFinding.objects.get(case=case, kind="supplementary_approval_deadline")
    assert found.status == "pending"
    assert compliance_refresh_due() == 0  # not due yet
    later = summary.refresh_at + dt.timedelta(seconds=1)
    assert compliance_refresh_due(now=later) == 1
    found = ComplianceFinding.objects.get(case=case, kind="supplementary_approval_deadline")
    assert found.status == "unmet"
    assert found.since == later
    assert_as_live(case, now=later)


def test_the_refresh_command_rebuilds_one_tree_or_all(db):
    w = f.world(f.R004)
    mine = w.open_case()
    theirs = w.open_case(actor=w.outsider)
    out = StringIO()
    call_command("supervision", "refresh", "--agency", w.agency.code, stdout=out)
    assert "1 件案件" in out.getvalue()
    assert CaseCompliance.objects.filter(case=mine).exists()
    assert not CaseCompliance.objects.filter(case=theirs).exists()
    call_command("supervision", "refresh", stdout=StringIO())
    assert CaseCompliance.objects.count() == 2
    assert ComplianceFinding.objects.filter(case=theirs).count() == len(evaluate(gather(theirs)))
    with pytest.raises(CommandError, match="没有代码"):
        call_command("supervision", "refresh", "--agency", "no-such-agency", stdout=StringIO())


def test_a_failed_refresh_keeps_the_write_and_the_worker_catches_up(
    db, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    from quanlu.supervision import compliance

    w = f.world(f.R004)

    def broken(ids, now):
        raise RuntimeError("rulebook unreadable")

    monkeypatch.setattr(compliance, "_refresh_batch", broken)
    with django_capture_on_commit_callbacks(execute=True):
        case = w.open_case()
    assert "compliance refresh failed" in caplog.text
    assert not CaseCompliance.objects.filter(case=case).exists()
    monkeypatch.undo()
    assert compliance_refresh_due() == 1
    assert_as_live(case)
