"""The correction re-check deadline (按期核查): one per correction order, swept
into yellow and red alerts, met by the re-check record that names the order."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from quanlu.rulebooks.evaluator import Status, evaluate
from quanlu.rulebooks.providers import gather
from quanlu.rulebooks.tests.walk import Walk
from quanlu.supervision.models import Alert, Deadline
from quanlu.supervision.services import deadlines_sweep, deadlines_sync
from quanlu.testing import factories as f


def by_rule(case):
    return {r.rule.id: r for r in evaluate(gather(case))}


def test_each_correction_order_gets_its_recheck_deadline_and_alerts(db):
    walk = Walk(f.world(f.R002))
    today = timezone.localdate()
    late = walk.make("rectification_order", due_on=(today - dt.timedelta(days=3)).isoformat())
    soon = walk.make("rectification_order", due_on=(today + dt.timedelta(days=10)).isoformat())
    deadlines_sync(actor=None, case=walk.case)
    rows = {d.subject: d for d in Deadline.objects.filter(case=walk.case, kind="correction_recheck")}
    assert set(rows) == {late.public_id.hex, soon.public_id.hex}
    assert rows[late.public_id.hex].article == "002_4fd6fddfbbebbad6.txt 第二十六条第二款"
    raised = deadlines_sweep()
    levels = {(a.deadline.subject, a.level) for a in raised if a.deadline.kind == "correction_recheck"}
    assert (late.public_id.hex, "red") in levels
    assert not any(subject == soon.public_id.hex for subject, _ in levels)
    assert by_rule(walk.case)["enf.correction_recheck"].status == Status.UNMET
    # Ten days on, the other one is nearly due: yellow.
    later = timezone.now() + dt.timedelta(days=9, hours=12)
    assert {(a.deadline.subject, a.level) for a in deadlines_sweep(now=later)} >= {
        (soon.public_id.hex, "yellow")
    }
    assert deadlines_sweep(now=later) == []  # raised once
    # Re-checked (late): the deadline is met, late.
    walk.make("rectification_verification", order_number=late.number)
    walk.make("rectification_verification", order_number=soon.number)
    deadlines_sync(actor=None, case=walk.case)
    rows = {d.subject: d for d in Deadline.objects.filter(case=walk.case, kind="correction_recheck")}
    assert rows[late.public_id.hex].status_label(timezone.now()) == "逾期完成"
    assert rows[soon.public_id.hex].status_label(timezone.now()) == "按期完成"
    result = by_rule(walk.case)["enf.correction_recheck"]
    assert result.status == Status.UNMET
    assert "逾期完成" in result.outcome.message
    assert result.rule.severity == "warn"
    assert Alert.objects.filter(deadline__kind="correction_recheck").count() == 3  # yellow+red, yellow


def test_000_sets_the_deadline_only_for_orders_issued_on_site(db):
    walk = Walk(f.world(f.R000))
    walk.make("rectification_order", issued_on_site=False)
    deadlines_sync(actor=None, case=walk.case)
    assert not Deadline.objects.filter(case=walk.case, kind="correction_recheck").exists()
    walk.make("rectification_order", issued_on_site=True)
    deadlines_sync(actor=None, case=walk.case)
    assert Deadline.objects.filter(case=walk.case, kind="correction_recheck").count() == 1
