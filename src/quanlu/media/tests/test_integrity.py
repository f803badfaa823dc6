"""Audio-visual rows are bound to the ledger: a row written by its service and then edited,
deleted or inserted in the database behind the services is named by verify."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from quanlu.ledger.verify import verify_records
from quanlu.media import services
from quanlu.media.models import Gap, MediaLink
from quanlu.media.tests.helpers import ago, device_for, ingest, video
from quanlu.testing import factories
from quanlu.testing.tamper import assert_changed, tamper, the_problem

pytestmark = pytest.mark.tampers  # every test here edits rows behind the services


def clip(world, case=None, **fields):
    record, _ = ingest(world, video(ago(hours=2), seconds=1), case=case, step_label="现场检查", **fields)
    return record


def gap_of(world):
    """A case with two clips of one device in one activity, five minutes apart: a gap."""
    case = world.open_case()
    device = device_for(world)
    t = ago(hours=3)
    for i, start in enumerate((t, t + dt.timedelta(minutes=5))):
        ingest(
            world,
            video(start, seconds=1, label=f"clip{i}"),
            case=case,
            device=device.device_no,
            step_label="现场检查",
        )
    return case, Gap.objects.get(case=case)


def test_media_record(world):
    record = clip(world)
    assert verify_records().ok
    tamper(record, "sha256", "0" * 64)  # the record now names other bytes
    assert_changed(record, "sha256")


def test_media_link(world):
    link = MediaLink.objects.get(record=clip(world))
    tamper(link, "step_label", "询问当事人")
    assert_changed(link, "step_label")


def test_gap(world):
    _case, gap = gap_of(world)
    assert verify_records().ok
    tamper(gap, "activity_label", "其他环节")
    assert_changed(gap, "activity_label")


def test_interruption(world):
    case, gap = gap_of(world)
    interruption = services.interruption_record(
        actor=world.officer,
        case=case,
        gap=gap,
        reason="equipment_failure",
        detail="电池耗尽。",
        form="spoken",
    )
    tamper(interruption, "reason", "severe_weather")
    assert_changed(interruption, "reason")


def test_interruption_signature(world):
    case, gap = gap_of(world)
    sign = services.Signer
    written = services.interruption_record(
        actor=world.officer,
        case=case,
        last_record=gap.after,
        reason="human_obstruction",
        detail="阻挠",
        form="written",
        statement="因当事人阻挠无法继续录像。",
        signers=[sign(world.officer, factories.PASSWORD), sign(world.officer2, factories.PASSWORD)],
    )
    assert verify_records().ok
    signature = written.signatures.get(officer=world.officer2)
    tamper(signature, "officer_id", world.reviewer.pk)  # signed by someone else
    assert_changed(signature, "officer_id")


def test_a_deleted_row_is_reported(world):
    link = MediaLink.objects.get(record=clip(world))
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM media_medialink WHERE id = %s", [link.pk])
    problem = the_problem()
    assert problem.kind == "row_deleted"
    assert problem.item["row"] == f"media.medialink/{link.public_id}"


def test_a_row_written_without_an_event_is_reported(world):
    record = clip(world)
    # A link nobody made, written straight into the table.
    link = MediaLink.objects.create(
        record=record, step_label="询问当事人", linked_by=world.officer, linked_at=timezone.now()
    )
    problem = the_problem()
    assert problem.kind == "row_unrecorded"
    assert problem.item["row"] == f"media.medialink/{link.public_id}"
