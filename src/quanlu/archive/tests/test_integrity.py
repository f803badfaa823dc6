"""Archive rows are bound to the ledger: a row written by its service and then edited,
deleted or inserted in the database behind the services is named by verify."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from quanlu.archive import services
from quanlu.archive.models import LegalHold
from quanlu.archive.tests import helpers as h
from quanlu.ledger.verify import verify_records
from quanlu.testing.tamper import assert_changed, tamper, the_problem

pytestmark = pytest.mark.tampers  # every test here edits rows behind the services


def assembled(world):
    """A case ended without a decision, with no records to render: quick to assemble."""
    case = h.to_archiving(world, h.case_with_records(world, documents=0, media=False))
    return services.dossier_assemble(actor=world.archivist, case=case)


def expired(world, monkeypatch):
    """A sealed, closed dossier past its retention, with a disposition requested."""
    _case, dossier = h.archived(world, documents=0, media=False)
    h.age(monkeypatch, 12)
    return services.disposition_request(actor=world.archivist, dossier=dossier, reason="保管期满")


def test_archive_settings(world):
    row = services.archive_settings_set(actor=world.archivist, fonds_code="X001", fonds_name="测试机关")
    assert verify_records().ok
    tamper(row, "retention_general", "y10")  # general-procedure dossiers kept 10 years, not forever
    assert_changed(row, "retention_general")


def test_dossier(world):
    dossier = assembled(world)
    assert dossier.retention == "y10"  # ended before a decision
    tamper(dossier, "retention", "permanent")
    assert_changed(dossier, "retention")


def test_dossier_item(world):
    item = assembled(world).items.order_by("position").first()
    tamper(item, "sha256", "0" * 64)  # the dossier now lists other bytes
    assert_changed(item, "sha256")


def test_dossier_check(world):
    _case, dossier = h.archived(world, documents=0, media=False)
    assert verify_records().ok
    check = dossier.checks.order_by("id").first()
    tamper(check, "message", "已检测，通过。")
    assert_changed(check, "message")


def test_legal_hold(world):
    hold = services.legal_hold_place(actor=world.archivist, case=world.open_case(), reason="行政诉讼中")
    hold = services.legal_hold_release(actor=world.archivist, hold=hold, reason="诉讼终结")
    tamper(hold, "release_reason", "")
    assert_changed(hold, "release_reason")


def test_disposition_request(world, monkeypatch):
    request = expired(world, monkeypatch)
    tamper(request, "status", "approved")  # approved without any approval
    assert_changed(request, "status")


def test_disposition_approval(world, monkeypatch):
    request = expired(world, monkeypatch)
    approval = services.disposition_reject(
        actor=world.approver, request=request, opinion="仍有保存价值。", signature_method="password"
    )
    assert verify_records().ok
    tamper(approval, "outcome", "approved")
    assert_changed(approval, "outcome")


def test_package_export(world, tmp_path):
    _case, dossier = h.archived(world, documents=0, media=False)
    export = h.export(world, dossier, tmp_path / "package")
    assert verify_records().ok
    tamper(export, "checkpoint_root", "0" * 64)
    assert_changed(export, "checkpoint_root")


def test_a_deleted_row_is_reported(world):
    hold = services.legal_hold_place(actor=world.archivist, case=world.open_case(), reason="审计中")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM archive_legalhold WHERE id = %s", [hold.pk])
    problem = the_problem()
    assert problem.kind == "row_deleted"
    assert problem.item["row"] == f"archive.legalhold/{hold.public_id}"


def test_a_row_written_without_an_event_is_reported(world):
    # A hold nobody placed, written straight into the table.
    hold = LegalHold.objects.create(
        case=world.open_case(), reason="复议中", placed_by=world.archivist, placed_at=timezone.now()
    )
    problem = the_problem()
    assert problem.kind == "row_unrecorded"
    assert problem.item["row"] == f"archive.legalhold/{hold.public_id}"
