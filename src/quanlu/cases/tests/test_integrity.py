"""Case rows are bound to the ledger: a row written by its service and then edited,
deleted or inserted in the database behind the services is named by verify."""

from __future__ import annotations

import pytest
from django.db import connection

from quanlu.cases import services
from quanlu.cases.models import StageTransition
from quanlu.ledger.verify import verify_records
from quanlu.testing import factories as f
from quanlu.testing.tamper import assert_changed, tamper, the_problem

pytestmark = pytest.mark.tampers  # every test here edits rows behind the services


def test_case(world):
    case = world.open_case()
    assert verify_records().ok
    tamper(case, "cause", "改过的案由")
    assert_changed(case, "cause")


def test_party(world):
    case = world.open_case()
    party = services.party_add(
        actor=world.officer,
        case=case,
        kind="organisation",
        name="某公司",
        id_type="uscc",
        id_number=f.uscc(),
        legal_representative="李某",
    )
    tamper(party, "id_number", f.uscc("91130281MA0A1B2C4"))
    assert_changed(party, "id_number")


def test_stage_transition(world):
    # 先行启动: the case is opened and moved on to investigation in one service.
    case = world.open_case(emergency=True, emergency_reason="证据可能灭失")
    transition = case.transitions.get(to_stage="investigation")
    tamper(transition, "reason", "改过的理由")
    assert_changed(transition, "reason")


def test_approval(world):
    case = world.open_case()
    approval = world.request(case, "initiation")
    tamper(approval, "status", "granted")
    assert_changed(approval, "status")


def test_approval_step(world):
    case = world.open_case()
    approval = world.request(case, "initiation")
    step = services.approval_grant(
        actor=world.signer(approval.chain[0]),
        approval=approval,
        opinion="同意。",
        signature_method="password",
        step_index=0,
    )
    tamper(step, "outcome", "rejected")
    assert_changed(step, "outcome")


def test_complaint(world):
    complaint = services.complaint_register(
        actor=world.officer, named=False, content="有人夜间排污。", channel="12345"
    )
    tamper(complaint, "content", "改过的内容")
    assert_changed(complaint, "content")


def test_declined_complaint(world):
    complaint = services.complaint_register(
        actor=world.officer, named=True, complainant_name="张某", content="有人夜间排污。", channel="12345"
    )
    complaint = services.complaint_decline(
        actor=world.officer,
        complaint=complaint,
        reason="不属于本机关管辖。",
        notify_method="电话",
        notify_content="已告知向有管辖权的机关反映。",
    )
    tamper(complaint, "decline_reason", "改过的理由")
    assert_changed(complaint, "decline_reason")


def test_application_event(world):
    case = world.open_case(kind="licensing", initiation_mode="on_application", source="application")
    event = services.application_event_record(
        actor=world.officer, case=case, kind="registered", detail="窗口登记。"
    )
    tamper(event, "detail", "改过的说明")
    assert_changed(event, "detail")


def test_a_deleted_row_is_reported(world):
    case = world.open_case(kind="licensing", initiation_mode="on_application", source="application")
    event = services.application_event_record(actor=world.officer, case=case, kind="registered")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM cases_applicationevent WHERE id = %s", [event.pk])
    problem = the_problem()
    assert problem.kind == "row_deleted"
    assert problem.item["row"] == f"cases.applicationevent/{event.public_id}"


def test_a_row_written_without_an_event_is_reported(world):
    case = world.open_case()
    # The move a service would have made, written straight into the table.
    transition = StageTransition.objects.create(
        case=case, from_stage="initiation", to_stage="investigation", actor=world.officer, at=case.opened_at
    )
    problem = the_problem()
    assert problem.kind == "row_unrecorded"
    assert problem.item["row"] == f"cases.stagetransition/{transition.public_id}"
