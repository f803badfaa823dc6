"""Approval gates by rulebook, the approval chain and emergency starts."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from quanlu.cases import services
from quanlu.cases.models import (
    Approval,
    Stage,
)
from quanlu.cases.tests.helpers import case_at, events_of
from quanlu.core.errors import Conflict, InvalidInput, PermissionDenied, Refused
from quanlu.supervision.models import Deadline
from quanlu.testing import factories as f

# ---------------------------------------------------------------- gates by rulebook


def test_investigation_needs_the_granted_initiation_approval_citing_the_article(world):
    case = world.open_case()
    with pytest.raises(Refused) as exc:
        services.case_advance(actor=world.officer, case=case, to_stage=Stage.INVESTIGATION)
    finding = next(x for x in exc.value.findings if x.rule == "init.approval")
    assert finding.rulebook == f.R004
    assert finding.article == "004_b4c2f06b7eb1ab1e.txt 第九条"
    assert "报本机关负责人批准" in finding.quote
    assert "立案（程序启动）审批" in exc.value.message


def test_a_pending_or_rejected_approval_does_not_open_the_gate(world):
    case = world.open_case()
    approval = world.request(case, "initiation")
    with pytest.raises(Refused):
        world.advance(case, Stage.INVESTIGATION)
    services.approval_reject(
        actor=world.reviewer, approval=approval, opinion="证据不足。", signature_method="password"
    )
    with pytest.raises(Refused):
        world.advance(case, Stage.INVESTIGATION)


def test_service_needs_the_granted_decision_approval(world):
    case = case_at(world, Stage.DECISION)
    with pytest.raises(Refused) as exc:
        world.advance(case, Stage.SERVICE)
    assert exc.value.findings[0].article.endswith("第三十一条")


@pytest.mark.parametrize("rulebook", [f.R001])
def test_001_requires_no_initiation_approval(db, rulebook):
    w = f.world(rulebook)
    case = w.advance(w.open_case(), Stage.INVESTIGATION)
    assert case.stage == Stage.INVESTIGATION


def test_003_and_004_require_it_only_ex_officio_but_002_for_any_general_case(db):
    for rulebook, needed in ((f.R003, False), (f.R004, False), (f.R002, True)):
        w = f.world(rulebook)
        complaint = services.complaint_register(
            actor=w.officer, named=False, content="举报偷排。", channel="信件"
        )
        fields = {k: v for k, v in f.CASE_DEFAULTS.items() if k not in ("initiation_mode", "source")}
        case = services.complaint_initiate(actor=w.officer, complaint=complaint, **fields)
        if needed:
            with pytest.raises(Refused):
                w.advance(case, Stage.INVESTIGATION)
        else:
            assert w.advance(case, Stage.INVESTIGATION).stage == Stage.INVESTIGATION


def test_simplified_procedure_skips_the_initiation_approval(world):
    case = world.open_case(procedure="simplified")
    assert world.advance(case, Stage.INVESTIGATION).stage == Stage.INVESTIGATION


def test_003_has_no_head_approval_of_the_decision(db):
    w = f.world(f.R003)
    case = w.open_case()
    w.grant_gate(case, "initiation")
    w.advance(case, Stage.INVESTIGATION, Stage.DECISION, Stage.SERVICE)
    assert case.stage == Stage.SERVICE


# ---------------------------------------------------------------- approval chain


def test_the_chain_is_handler_reviewer_approver_each_signed_in_order(world):
    case = world.open_case()
    approval = world.request(case, "initiation", opinion="建议立案。", reasons="证据确凿。")
    assert approval.chain == ["review", "approve"]
    assert approval.next_role() == "review"
    # The approver before the reviewer is told the real reason. 004 orders the chain of
    # the decision approval (第三十一条), not of the initiation approval: no article here.
    with pytest.raises(Conflict, match="尚未经审核人审核，批准人不能先行签署") as early:
        services.approval_grant(
            actor=world.approver, approval=approval, opinion="同意", signature_method="password"
        )
    assert (early.value.code, early.value.details) == ("step_out_of_order", [])
    services.approval_grant(
        actor=world.reviewer, approval=approval, opinion="同意立案。", signature_method="password"
    )
    approval.refresh_from_db()
    assert approval.status == "pending"
    assert approval.next_role() == "approve"
    services.approval_grant(
        actor=world.approver, approval=approval, opinion="批准。", signature_method="password"
    )
    approval.refresh_from_db()
    assert approval.status == "granted"
    assert approval.decided_at is not None
    steps = list(approval.steps.order_by("index"))
    assert [(s.role, s.actor, s.opinion) for s in steps] == [
        ("review", world.reviewer, "同意立案。"),
        ("approve", world.approver, "批准。"),
    ]
    assert all(s.signed_at and s.signature_method == "password" for s in steps)
    types = [e.type for e in events_of(case) if e.type.startswith("case:approval")]
    assert types == ["case:approval:requested", "case:approval:granted", "case:approval:granted"]
    assert events_of(case, "case:approval:granted")[-1].payload["final"] is True


def test_major_decisions_go_through_legal_review(world):
    case = world.open_case(is_major=True)
    world.grant_gate(case, "initiation")
    world.advance(case, Stage.INVESTIGATION, Stage.DECISION)
    approval = world.request(case, "decision")
    assert approval.chain == ["review", "legal_review", "approve"]
    services.approval_grant(
        actor=world.reviewer, approval=approval, opinion="同意", signature_method="password"
    )
    with pytest.raises(Refused, match="尚未经法制审核，批准人不能先行签署") as early:
        services.approval_grant(
            actor=world.approver, approval=approval, opinion="同意", signature_method="password"
        )
    (finding,) = early.value.findings
    assert (finding.rule, finding.article, finding.source) == (
        "dec.approval_chain",
        "004_b4c2f06b7eb1ab1e.txt 第三十一条",
        "004_b4c2f06b7eb1ab1e.txt",
    )
    assert finding.quote == "由承办人提出意见和理由，经审核人审核后，由批准人批准。"
    assert finding.satisfy == "待法制审核后，再由批准人签署。"
    # The approver's own page offers the step in turn; asking for a later one is the same.
    with pytest.raises(Refused, match="尚未经法制审核"):
        services.approval_grant(
            actor=world.approver, approval=approval, opinion="同意", signature_method="password", step_index=2
        )
    services.approval_grant(actor=world.legal, approval=approval, opinion="合法", signature_method="password")
    services.approval_grant(
        actor=world.approver, approval=approval, opinion="同意", signature_method="password"
    )
    approval.refresh_from_db()
    assert approval.status == "granted"


def test_000_initiation_always_has_legal_review(db):
    w = f.world(f.R000)
    approval = w.request(w.open_case(), "initiation")
    assert approval.chain == ["review", "legal_review", "approve"]


def test_003_initiation_has_legal_review_only_when_major(db):
    w = f.world(f.R003)
    assert w.request(w.open_case(), "initiation").chain == ["review", "approve"]
    assert w.request(w.open_case(is_major=True), "initiation").chain == ["review", "legal_review", "approve"]


def test_a_rejection_ends_the_request_and_a_new_one_may_follow(world):
    case = world.open_case()
    first = world.request(case, "initiation")
    services.approval_grant(actor=world.reviewer, approval=first, opinion="同意", signature_method="password")
    services.approval_reject(
        actor=world.approver, approval=first, opinion="补充证据后再报。", signature_method="password"
    )
    first.refresh_from_db()
    assert first.status == "rejected"
    with pytest.raises(Conflict, match="已办结"):
        services.approval_grant(
            actor=world.approver2, approval=first, opinion="同意", signature_method="password"
        )
    second = world.approve_all(world.request(case, "initiation"))
    assert second.status == "granted"
    assert events_of(case, "case:approval:rejected")[0].payload["opinion"] == "补充证据后再报。"


def test_one_person_signs_one_step_only(world):
    case = world.open_case()
    approval = services.approval_request(
        actor=world.reviewer, case=case, gate="initiation", opinion="建议立案", reasons="理由"
    )
    with pytest.raises(PermissionDenied, match="不同人员"):
        services.approval_grant(
            actor=world.reviewer, approval=approval, opinion="同意", signature_method="password"
        )


@pytest.mark.parametrize("rulebook", [f.R004, f.R002])
def test_one_person_signing_two_steps_of_the_decision_chain_is_told_the_article(db, rulebook):
    # The reviewer (an officer too) proposes the decision, then reviews it: 004 第三十一条
    # names 承办人、审核人、批准人 apart; 002 orders no chain, and the system refuses alone.
    world = f.world(rulebook)
    case = case_at(world, Stage.DECISION)
    approval = services.approval_request(
        actor=world.reviewer, case=case, gate="decision", opinion="建议处罚", reasons="事实清楚"
    )
    with pytest.raises((PermissionDenied, Refused)) as exc:
        services.approval_grant(
            actor=world.reviewer, approval=approval, opinion="同意", signature_method="password"
        )
    assert exc.value.message == "同一审批中，承办、审核、法制审核、批准应由不同人员签署。"
    assert exc.value.status == 403
    assert approval.steps.count() == 0
    if rulebook == f.R002:
        assert (type(exc.value), exc.value.details) == (PermissionDenied, [])
        return
    assert exc.value.code == "same_person"
    (finding,) = exc.value.findings
    assert (finding.rule, finding.article) == ("dec.approval_chain", f"{f.R004}.txt 第三十一条")
    assert finding.quote == "由承办人提出意见和理由，经审核人审核后，由批准人批准。"
    assert finding.satisfy == "由未在本审批中签署过的其他人员签署该环节。"


def test_duplicate_requests_are_refused_or_idempotent(world):
    case = world.open_case()
    token = uuid.uuid4()
    a = world.request(case, "initiation", client_token=token)
    assert world.request(case, "initiation", client_token=token).pk == a.pk
    with pytest.raises(Conflict, match="正在审批中"):
        world.request(case, "initiation")
    world.approve_all(a)
    with pytest.raises(Conflict, match="已经批准"):
        world.request(case, "initiation")
    assert Approval.objects.filter(case=case).count() == 1


def test_a_gate_is_requested_in_its_own_stage(world):
    case = world.open_case()
    with pytest.raises(Conflict, match="不能提请处理决定审批"):
        world.request(case, "decision")


def test_a_step_already_taken_is_refused_with_the_step_index(world):
    case = world.open_case()
    approval = world.request(case, "initiation")
    services.approval_grant(
        actor=world.reviewer, approval=approval, opinion="同意", signature_method="password", step_index=0
    )
    with pytest.raises(Conflict, match="已由他人处理"):
        services.approval_grant(
            actor=world.approver, approval=approval, opinion="同意", signature_method="password", step_index=0
        )


@pytest.mark.parametrize("persona", ["outsider", "superior_supervisor", "justice_supervisor"])
def test_outsiders_and_supervisors_cannot_sign(world, persona):
    approval = world.request(world.open_case(), "initiation")
    with pytest.raises(PermissionDenied):
        services.approval_grant(
            actor=getattr(world, persona), approval=approval, opinion="同意", signature_method="password"
        )


def test_an_opinion_is_required_to_sign(world):
    approval = world.request(world.open_case(), "initiation")
    with pytest.raises(InvalidInput, match="「意见」为必填项"):
        services.approval_grant(
            actor=world.reviewer, approval=approval, opinion=" ", signature_method="password"
        )
    assert approval.steps.count() == 0


# ---------------------------------------------------------------- emergency start


def emergency(w, hours_ago=0.0):
    at = timezone.now() - dt.timedelta(hours=hours_ago)
    return services._case_open(
        actor=w.officer, at=at, emergency=True, emergency_reason="证据可能灭失。", **f.CASE_DEFAULTS
    )


@pytest.mark.parametrize("rulebook", [f.R002, f.R003, f.R004])
def test_emergency_start_gets_a_24_hour_supplementary_deadline(db, rulebook):
    w = f.world(rulebook)
    case = emergency(w)
    assert case.stage == Stage.INVESTIGATION
    deadline = Deadline.objects.get(case=case)
    assert deadline.due_at - case.started_at == dt.timedelta(hours=24)
    assert deadline.rulebook_id == rulebook
    assert "24" in deadline.quote
    assert "补报" in deadline.quote
    assert deadline.level(timezone.now()) == "none"
    approval = w.request(case, "initiation")
    assert approval.supplementary is True
    w.approve_all(approval)
    deadline.refresh_from_db()
    assert deadline.met_at is not None
    assert deadline.status_label(timezone.now()) == "按期完成"
    assert events_of(case, "supervision:deadline:met")


@pytest.mark.parametrize("rulebook", [f.R000, f.R001])
def test_no_supplementary_deadline_where_the_regulation_sets_none(db, rulebook):
    w = f.world(rulebook)
    case = emergency(w)
    assert case.stage == Stage.INVESTIGATION
    assert not Deadline.objects.filter(case=case).exists()


def test_supplementary_deadline_turns_yellow_then_red(db):
    w = f.world(f.R002)
    now = timezone.now()
    yellow = Deadline.objects.get(case=emergency(w, hours_ago=20))
    red = Deadline.objects.get(case=emergency(w, hours_ago=30))
    fresh = Deadline.objects.get(case=emergency(w, hours_ago=1))
    assert (yellow.level(now), yellow.status_label(now)) == ("yellow", "即将到期")
    assert (red.level(now), red.status_label(now)) == ("red", "已逾期")
    assert fresh.level(now) == "none"


def test_late_supplementary_approval_is_met_late(db):
    w = f.world(f.R004)
    case = emergency(w, hours_ago=30)
    w.grant_gate(case, "initiation")
    deadline = Deadline.objects.get(case=case)
    assert deadline.status_label(timezone.now()) == "逾期完成"
    assert events_of(case, "supervision:deadline:met")[0].payload["late"] is True


def test_emergency_case_cannot_reach_decision_before_the_supplementary_approval(db):
    w = f.world(f.R002)
    case = emergency(w)
    with pytest.raises(Refused) as exc:
        w.advance(case, Stage.DECISION)
    assert exc.value.findings[0].article.endswith("第六条")
    w.grant_gate(case, "initiation")
    assert w.advance(case, Stage.DECISION).stage == Stage.DECISION
