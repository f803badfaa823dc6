"""Access rows are bound to the ledger: a row written by its service and then edited,
deleted or inserted in the database behind the services is named by verify."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from quanlu.access import services
from quanlu.access.models import ContentGrant
from quanlu.access.tests.conftest import scan
from quanlu.ledger.verify import verify_records
from quanlu.testing.tamper import assert_changed, tamper, the_problem

pytestmark = pytest.mark.tampers  # every test here edits rows behind the services

REASON = "笔录载有当事人的身份证号码和家庭住址。"
# 004 names no approver for copy requests: the head states the provision.
BASIS = "《中华人民共和国政府信息公开条例》第二十七条"


def mark(world, doc):
    return services.mark_add(actor=world.officer, item=doc, category="personal_privacy", reason=REASON)


def register(world, case, items):
    return services.copy_request_register(
        actor=world.officer, case=case, items=items, requester_name="某化工有限公司", purpose="申请行政复议。"
    )


def decide(world, request, approve=True):
    reason = "" if approve else "申请人不是当事人。"
    return services.copy_request_decide(
        actor=world.approver, request=request, approve=approve, reason=reason, basis=BASIS
    )


def test_confidentiality_mark(world, case):
    m = mark(world, scan(world, case))
    assert verify_records().ok
    tamper(m, "category", "trade_secret")
    assert_changed(m, "category")


def test_content_grant(world, case):
    doc = scan(world, case)
    mark(world, doc)
    grant = services.grant_issue(
        actor=world.approver, item=doc, grantee=world.superior_supervisor, reason="监督检查。"
    )
    tamper(grant, "grantee_id", world.justice_supervisor.pk)
    assert_changed(grant, "grantee_id")


def test_copy_request(world, case):
    request = register(world, case, [scan(world, case)])
    tamper(request, "purpose", "改过的用途")
    assert_changed(request, "purpose")


def test_copy_request_item(world, case):
    asked, other = scan(world, case), scan(world, case, "inspection_transcript")
    item = register(world, case, [asked]).items.get()
    tamper(item, "document_id", other.pk)
    assert_changed(item, "document_id")


def test_copy_decision(world, case):
    decision = decide(world, register(world, case, [scan(world, case)]), approve=False)
    tamper(decision, "outcome", "approved")
    assert_changed(decision, "outcome")


def test_copy_fulfilment(world, case):
    request = register(world, case, [scan(world, case)])
    decide(world, request)
    fulfilment = services.copy_request_fulfil(actor=world.archivist, request=request)
    assert verify_records().ok
    tamper(fulfilment, "actor_id", world.officer2.pk)
    assert_changed(fulfilment, "actor_id")


def test_release_line(world, case):
    request = register(world, case, [scan(world, case)])
    decide(world, request)
    line = services.copy_request_fulfil(actor=world.archivist, request=request).lines.get()
    tamper(line, "sha256", "0" * 64)
    assert_changed(line, "sha256")


def test_a_deleted_row_is_reported(world, case):
    m = mark(world, scan(world, case))
    with connection.cursor() as cursor:  # the mark gone, the content open again
        cursor.execute("DELETE FROM access_confidentialitymark WHERE id = %s", [m.pk])
    problem = the_problem()
    assert problem.kind == "row_deleted"
    assert problem.item["row"] == f"access.confidentialitymark/{m.public_id}"


def test_a_row_written_without_an_event_is_reported(world, case):
    doc = scan(world, case)
    mark(world, doc)
    # A grant no agency head issued, written straight into the table.
    grant = ContentGrant.objects.create(
        case=case, document=doc, grantee=world.outsider, reason="-", actor=world.approver, at=timezone.now()
    )
    problem = the_problem()
    assert problem.kind == "row_unrecorded"
    assert problem.item["row"] == f"access.contentgrant/{grant.public_id}"
