"""Exemptions are bound to the ledger: one recorded by its service and then edited,
deleted or inserted in the database behind the services is named by verify."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from quanlu.ledger.verify import verify_records
from quanlu.media.models import Exemption
from quanlu.media.services import exemption_record
from quanlu.rulebooks.tests.walk import Walk
from quanlu.testing import factories as f

pytestmark = pytest.mark.tampers  # every test here edits rows behind the services


@pytest.fixture
def recorded(db: None) -> tuple[f.World, Any]:
    w = f.world(f.R002)
    walk = Walk(w)
    walk.b.scans = True
    inspection = walk.b.scan("inspection_transcript")  # a paper transcript, scanned: quick
    exemption = exemption_record(
        actor=w.officer,
        case=walk.case,
        document=inspection,
        kind="unsuitable",
        activity="onsite_inspection",
        reason="涉及商业秘密。",
    )
    return w, exemption


def test_exemption(recorded):
    _, exemption = recorded
    assert verify_records().ok
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE rulebooks_exemption SET reason = %s WHERE id = %s", ["改过的原因", exemption.pk]
        )
    [problem] = verify_records().problems
    assert problem.kind == "row_changed"
    assert problem.item["row"] == f"rulebooks.exemption/{exemption.public_id}"
    assert problem.item["fields"] == "reason"


def test_a_deleted_exemption_is_reported(recorded):
    _, exemption = recorded
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM rulebooks_exemption WHERE id = %s", [exemption.pk])
    [problem] = verify_records().problems
    assert problem.kind == "row_deleted"
    assert problem.item["row"] == f"rulebooks.exemption/{exemption.public_id}"


def test_an_exemption_written_without_an_event_is_reported(recorded):
    w, exemption = recorded
    # A second exemption for the same step, written straight into the table.
    other = Exemption.objects.create(
        case=exemption.case,
        kind="equivalent_means",
        activity=exemption.activity,
        document_uid=exemption.document_uid,
        reason="以笔录代替。",
        recorded_by=w.officer,
        recorded_at=timezone.now(),
    )
    [problem] = verify_records().problems
    assert problem.kind == "row_unrecorded"
    assert problem.item["row"] == f"rulebooks.exemption/{other.public_id}"
