"""Supervision rows are bound to the ledger: a row written by its service and then
edited, deleted or inserted in the database behind the services is named by verify."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from quanlu.ledger.verify import verify_records
from quanlu.supervision import services as sv
from quanlu.supervision.models import Alert, Deadline
from quanlu.testing import factories as f
from quanlu.testing.tamper import assert_changed, tamper

pytestmark = pytest.mark.tampers  # every test here edits rows behind the services


def later(when: dt.datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(when + dt.timedelta(days=30))


def order(w: f.World) -> Any:
    return sv.rectification_order_issue(
        actor=w.superior_supervisor,
        agency=w.agency,
        findings="抽查案卷发现现场检查未进行音像记录。",
        requirements="补齐音像记录制度。",
        due_at=timezone.now() + dt.timedelta(days=30),
    )


def respond(w: f.World, o: Any) -> Any:
    return sv.rectification_order_respond(actor=w.approver, order=o, measures="已制定制度并培训。")


def overdue(deadline: Deadline) -> dt.datetime:
    return deadline.due_at + dt.timedelta(minutes=1)


@pytest.fixture
def w(db: None) -> f.World:
    return f.world(f.R002)


def test_deadline(w):
    o = order(w)
    deadline = Deadline.objects.get(kind="rectification", subject=o.public_id.hex)
    assert verify_records().ok
    tamper(deadline, "due_at", later(deadline.due_at))
    assert_changed(deadline, "due_at")


def test_met_deadline(w):
    o = order(w)
    respond(w, o)
    sv.rectification_order_accept(actor=w.superior_supervisor, order=o)
    deadline = Deadline.objects.get(kind="rectification", subject=o.public_id.hex)
    assert deadline.met_at is not None
    tamper(deadline, "met_at", None)
    assert_changed(deadline, "met_at")


def test_alert(w):
    o = order(w)
    deadline = Deadline.objects.get(kind="rectification", subject=o.public_id.hex)
    # Swept once the time limit has passed: a yellow and a red alert.
    [alert] = [a for a in sv.deadlines_sweep(now=overdue(deadline)) if a.level == "red"]
    tamper(alert, "raised_at", later(alert.raised_at))  # as if raised a month late
    assert_changed(alert, "raised_at")


def test_rectification_order(w):
    o = order(w)
    tamper(o, "findings", "改过的问题")
    assert_changed(o, "findings")


def test_rectification_response(w):
    response = respond(w, order(w))
    tamper(response, "measures", "改过的措施")
    assert_changed(response, "measures")


def test_rectification_review(w):
    o = order(w)
    respond(w, o)
    review = sv.rectification_order_return(actor=w.superior_supervisor, order=o, opinion="措施不具体。")
    tamper(review, "outcome", "accepted")
    assert_changed(review, "outcome")


def test_a_deleted_row_is_reported(w):
    o = order(w)
    deadline = Deadline.objects.get(kind="rectification", subject=o.public_id.hex)
    [alert] = [a for a in sv.deadlines_sweep(now=overdue(deadline)) if a.level == "red"]
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM supervision_alert WHERE id = %s", [alert.pk])
    [problem] = verify_records().problems
    assert problem.kind == "row_deleted"
    assert problem.item["row"] == f"supervision.alert/{alert.public_id}"


def test_a_row_written_without_an_event_is_reported(w):
    o = order(w)
    deadline = Deadline.objects.get(kind="rectification", subject=o.public_id.hex)
    # An alert no sweep raised, written straight into the table.
    alert = Alert.objects.create(deadline=deadline, level="yellow", raised_at=timezone.now())
    [problem] = verify_records().problems
    assert problem.kind == "row_unrecorded"
    assert problem.item["row"] == f"supervision.alert/{alert.public_id}"
