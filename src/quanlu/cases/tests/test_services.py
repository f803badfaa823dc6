import datetime as dt
import uuid

import pytest
from django.utils import timezone

from quanlu.cases import services
from quanlu.cases.models import (
    ApplicationEvent,
    Approval,
    Case,
    Complaint,
    Party,
    Stage,
    StageTransition,
)
from quanlu.core.errors import Conflict, InvalidInput, PermissionDenied, Refused
from quanlu.ledger.models import Event
from quanlu.supervision.models import Deadline
from quanlu.testing import factories as f


def events_of(case, type_=None):
    qs = Event.objects.filter(case_uid=case.public_id)
    return list(qs.filter(type=type_) if type_ else qs)


# ---------------------------------------------------------------- case_open


def test_case_open_numbers_cases_per_agency_and_year(world):
    first = world.open_case()
    second = world.open_case()
    year = timezone.localdate().year
    prefix = world.agency.case_prefix
    assert first.number == f"{prefix}〔{year}〕1号"
    assert second.number == f"{prefix}〔{year}〕2号"
    other = world.open_case(actor=world.outsider)
    assert other.number == f"{world.other.case_prefix}〔{year}〕1号"


def test_case_open_records_everything_in_one_event(world):
    case = world.open_case(summary="基本案情。")
    assert case.stage == Stage.INITIATION
    assert case.rulebook_id == world.rulebook
    (opened,) = events_of(case, "case:case:opened")
    assert opened.actor == world.officer
    assert opened.agency == world.agency
    assert opened.payload["number"] == case.number
    assert opened.payload["cause"] == case.cause
    assert opened.payload["summary"] == "基本案情。"
    assert StageTransition.objects.filter(case=case, to_stage=Stage.INITIATION).count() == 1


def test_case_open_with_the_same_token_twice_opens_one_case(world):
    token = uuid.uuid4()
    a = world.open_case(client_token=token)
    b = world.open_case(client_token=token)
    assert a.pk == b.pk
    assert Case.objects.count() == 1
    assert len(events_of(a, "case:case:opened")) == 1


def test_a_token_used_by_someone_else_is_refused(world):
    token = uuid.uuid4()
    world.open_case(client_token=token)
    with pytest.raises(Conflict, match="提交标识"):
        world.open_case(actor=world.officer2, client_token=token)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("cause", "", "「案由」为必填项"),
        ("cause", "案" * 201, "「案由」不能超过200个字"),
        ("reason", "   ", "「启动原因」为必填项"),
        ("kind", "parking", "「执法类别」的取值无效"),
        ("procedure", None, "「程序」的取值无效"),
        ("cause", 42, "「案由」应为文字"),
        ("cause", "排污\x00案", "控制字符"),
    ],
)
def test_case_open_validates_with_chinese_messages(world, field, value, message):
    with pytest.raises(InvalidInput, match=message):
        world.open_case(**{field: value})
    assert Case.objects.count() == 0
    assert not Event.objects.filter(type="case:case:opened").exists()


def test_case_open_refuses_a_kind_the_rulebook_does_not_cover(db):
    # 004 (Liaoning) lists no 行政收费; 002 does (GEN-01).
    w004 = f.world(f.R004)
    with pytest.raises(InvalidInput, match="未规定「行政收费」"):
        w004.open_case(kind="fee")
    w002 = f.world(f.R002)
    assert w002.open_case(kind="fee").kind == "fee"


def test_000_does_not_close_the_list_of_action_types(db):
    w = f.world(f.R000)
    assert w.open_case(kind="fee").kind == "fee"


@pytest.mark.parametrize("persona", ["archivist", "keeper", "approver", "justice_supervisor"])
def test_only_case_workers_of_an_enforcement_agency_open_cases(world, persona):
    with pytest.raises(PermissionDenied):
        world.open_case(actor=getattr(world, persona))


def test_emergency_needs_a_reason_and_not_simplified(world):
    with pytest.raises(InvalidInput, match="紧急情况说明"):
        world.open_case(emergency=True)
    with pytest.raises(InvalidInput, match="简易程序"):
        world.open_case(emergency=True, emergency_reason="证据可能灭失", procedure="simplified")


# ---------------------------------------------------------------- transitions


ALLOWED = [
    (Stage.INITIATION, Stage.INVESTIGATION),
    (Stage.INITIATION, Stage.ARCHIVING),
    (Stage.INVESTIGATION, Stage.DECISION),
    (Stage.INVESTIGATION, Stage.ARCHIVING),
    (Stage.DECISION, Stage.SERVICE),
    (Stage.SERVICE, Stage.EXECUTION),
    (Stage.SERVICE, Stage.ARCHIVING),
    (Stage.EXECUTION, Stage.ARCHIVING),
    (Stage.ARCHIVING, Stage.CLOSED),
]
PATH_TO = {
    Stage.INITIATION: [],
    Stage.INVESTIGATION: [Stage.INVESTIGATION],
    Stage.DECISION: [Stage.INVESTIGATION, Stage.DECISION],
    Stage.SERVICE: [Stage.INVESTIGATION, Stage.DECISION, Stage.SERVICE],
    Stage.EXECUTION: [Stage.INVESTIGATION, Stage.DECISION, Stage.SERVICE, Stage.EXECUTION],
    Stage.ARCHIVING: [Stage.INVESTIGATION, Stage.DECISION, Stage.SERVICE, Stage.EXECUTION, Stage.ARCHIVING],
    Stage.CLOSED: [
        Stage.INVESTIGATION,
        Stage.DECISION,
        Stage.SERVICE,
        Stage.EXECUTION,
        Stage.ARCHIVING,
        Stage.CLOSED,
    ],
}


def case_at(world, stage):
    """A case brought to ``stage`` with every approval the rulebook wants."""
    case = world.open_case()
    for step in PATH_TO[stage]:
        if step == Stage.INVESTIGATION:
            world.grant_gate(case, "initiation")
        if step == Stage.SERVICE:
            world.grant_gate(case, "decision")
        world.advance(case, step)
    return case


def test_the_transitions_table_is_exactly_the_allowed_list():
    assert sorted(services.TRANSITIONS) == sorted(ALLOWED)


@pytest.mark.parametrize(("frm", "to"), ALLOWED)
def test_every_allowed_transition(world, frm, to):
    case = case_at(world, frm)
    if (frm, to) == (Stage.DECISION, Stage.SERVICE):
        world.grant_gate(case, "decision")
    if (frm, to) == (Stage.INITIATION, Stage.INVESTIGATION):
        world.grant_gate(case, "initiation")
    reason = "不予立案的理由" if services.TRANSITIONS[(frm, to)].reason_required else ""
    world.prepare(case, to)  # the records the rulebook asks for this move
    transition = services.case_advance(
        actor=world.officer, case=case, to_stage=to, from_stage=frm, reason=reason
    )
    case.refresh_from_db()
    assert case.stage == to
    assert transition.from_stage == frm
    (event,) = [e for e in events_of(case, "case:stage:advanced") if e.payload["to"] == to]
    payload = dict(event.payload)
    # The event commits the case's row (its new stage) and the transition it wrote.
    assert sorted(payload.pop("rows")) == [
        f"cases.case/{case.public_id}",
        f"cases.stagetransition/{transition.public_id}",
    ]
    assert payload == {"from": frm, "to": to, "reason": reason}
    if to == Stage.CLOSED:
        assert case.closed_at is not None


REFUSED = [(a, b) for a in Stage.values for b in Stage.values if (a, b) not in ALLOWED and a != Stage.CLOSED]


@pytest.mark.parametrize(("frm", "to"), REFUSED)
def test_every_other_transition_is_refused(world, frm, to):
    case = case_at(world, frm)
    before = Event.objects.count()
    with pytest.raises(Refused) as exc:
        services.case_advance(actor=world.officer, case=case, to_stage=to)
    assert exc.value.code == "transition_not_allowed"
    case.refresh_from_db()
    assert case.stage == frm
    assert Event.objects.count() == before


@pytest.mark.parametrize("to", Stage.values)
def test_a_closed_case_moves_nowhere(world, to):
    case = case_at(world, Stage.CLOSED)
    with pytest.raises(Conflict, match="已结案"):
        services.case_advance(actor=world.officer, case=case, to_stage=to)


def test_a_termination_needs_a_reason(world):
    case = world.open_case()
    with pytest.raises(InvalidInput, match="「理由」为必填项"):
        services.case_advance(actor=world.officer, case=case, to_stage=Stage.ARCHIVING)


def test_a_stale_page_cannot_advance_twice(world):
    case = world.open_case()
    world.grant_gate(case, "initiation")
    world.prepare(case, Stage.INVESTIGATION)
    services.case_advance(
        actor=world.officer, case=case, to_stage=Stage.INVESTIGATION, from_stage=Stage.INITIATION
    )
    with pytest.raises(Conflict, match="已处于「调查取证」"):
        services.case_advance(
            actor=world.officer, case=case, to_stage=Stage.INVESTIGATION, from_stage=Stage.INITIATION
        )


def test_an_unknown_stage_is_invalid(world):
    with pytest.raises(InvalidInput, match="目标阶段"):
        services.case_advance(actor=world.officer, case=world.open_case(), to_stage="limbo")


@pytest.mark.parametrize("persona", ["outsider", "superior_supervisor", "justice_supervisor", "archivist"])
def test_others_may_not_advance(world, persona):
    case = world.open_case()
    with pytest.raises(PermissionDenied):
        services.case_advance(actor=getattr(world, persona), case=case, to_stage=Stage.ARCHIVING, reason="x")


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
    with pytest.raises(PermissionDenied, match="审核"):
        services.approval_grant(
            actor=world.approver, approval=approval, opinion="同意", signature_method="password"
        )
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
    with pytest.raises(PermissionDenied, match="法制审核"):
        services.approval_grant(
            actor=world.approver, approval=approval, opinion="同意", signature_method="password"
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


# ---------------------------------------------------------------- parties


def test_party_add_validates_id_numbers(world):
    case = world.open_case()
    person = services.party_add(
        actor=world.officer,
        case=case,
        kind="person",
        name="王某",
        id_type="resident_id",
        id_number=f.resident_id().lower(),
    )
    assert person.id_number == f.resident_id()
    (event,) = events_of(case, "case:party:added")
    assert event.payload["id_number"] == person.id_number
    with pytest.raises(InvalidInput, match="校验位"):
        services.party_add(
            actor=world.officer,
            case=case,
            kind="person",
            name="李某",
            id_type="resident_id",
            id_number="110105194912310021",
        )
    with pytest.raises(InvalidInput, match="法定代表人"):
        services.party_add(
            actor=world.officer,
            case=case,
            kind="organisation",
            name="某公司",
            id_type="uscc",
            id_number=f.uscc(),
        )
    with pytest.raises(InvalidInput, match="自然人不能"):
        services.party_add(
            actor=world.officer, case=case, kind="person", name="赵某", id_type="uscc", id_number=f.uscc()
        )


def test_the_same_party_twice_is_refused_and_a_replayed_form_is_idempotent(world):
    case = world.open_case()
    token = uuid.uuid4()
    fields = {
        "kind": "organisation",
        "name": "某公司",
        "id_type": "uscc",
        "id_number": f.uscc(),
        "legal_representative": "张某",
    }
    a = services.party_add(actor=world.officer, case=case, client_token=token, **fields)
    assert services.party_add(actor=world.officer, case=case, client_token=token, **fields).pk == a.pk
    with pytest.raises(Conflict, match="已在本案登记"):
        services.party_add(actor=world.officer, case=case, **fields)
    assert Party.objects.filter(case=case).count() == 1


def test_outsider_cannot_add_a_party(world):
    with pytest.raises(PermissionDenied):
        services.party_add(
            actor=world.outsider,
            case=world.open_case(),
            kind="person",
            name="王某",
            id_type="resident_id",
            id_number=f.resident_id(),
        )


# ---------------------------------------------------------------- complaints


def test_a_named_complaint_not_taken_up_records_how_the_complainant_was_told(world):
    c = services.complaint_register(
        actor=world.officer, named=True, complainant_name="马某", channel="电话", content="反映某厂排污。"
    )
    with pytest.raises(Refused, match="告知方式") as exc:
        services.complaint_decline(actor=world.officer, complaint=c, reason="未发现违法行为。")
    assert exc.value.findings[0].article == "004_b4c2f06b7eb1ab1e.txt 第十条"
    services.complaint_decline(
        actor=world.officer,
        complaint=c,
        reason="未发现违法行为。",
        notify_method="电话",
        notify_content="已告知核查结果。",
    )
    c.refresh_from_db()
    assert c.status == "declined"
    assert c.notified_at is not None
    event = Event.objects.filter(type="case:complaint:declined").get()
    assert event.payload["notify_method"] == "电话"


def test_an_anonymous_complaint_may_be_declined_without_notice(world):
    c = services.complaint_register(actor=world.officer, named=False, channel="信件", content="举报偷排。")
    services.complaint_decline(actor=world.officer, complaint=c, reason="线索不具体。")
    c.refresh_from_db()
    assert c.notified_at is None


def test_a_complaint_taken_up_opens_a_linked_case_once(world):
    c = services.complaint_register(
        actor=world.officer, named=True, complainant_name="马某", channel="12345", content="反映某厂排污。"
    )
    case = services.complaint_initiate(
        actor=world.officer,
        complaint=c,
        kind="penalty",
        procedure="general",
        cause="某厂排污案",
        reason="投诉属实。",
    )
    assert case.initiation_mode == "complaint"
    assert case.source == "complaint"
    c.refresh_from_db()
    assert c.case == case
    with pytest.raises(Conflict, match="已处理"):
        services.complaint_decline(
            actor=world.officer, complaint=c, reason="x", notify_method="电话", notify_content="x"
        )
    assert Complaint.objects.get().status == "initiated"


def test_named_complaints_need_a_name(world):
    with pytest.raises(InvalidInput, match="投诉人、举报人"):
        services.complaint_register(actor=world.officer, named=True, channel="电话", content="内容")


# ---------------------------------------------------------------- applications


def test_application_intake_events_are_recorded_in_order(world):
    case = world.open_case(kind="licensing", initiation_mode="on_application", source="application")
    services.application_event_record(actor=world.officer, case=case, kind="registered", detail="窗口登记。")
    with pytest.raises(InvalidInput, match="一次性告知"):
        services.application_event_record(actor=world.officer, case=case, kind="supplement_notice")
    services.application_event_record(
        actor=world.officer, case=case, kind="supplement_notice", items=["身份证明", "总平面图"]
    )
    services.application_event_record(actor=world.officer, case=case, kind="accepted")
    with pytest.raises(Conflict, match="已作出受理"):
        services.application_event_record(actor=world.officer, case=case, kind="rejected")
    kinds = list(ApplicationEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds == ["registered", "supplement_notice", "accepted"]
    assert len(events_of(case, "case:application:recorded")) == 3


def test_application_events_only_for_application_cases(world):
    with pytest.raises(Conflict, match="依申请"):
        services.application_event_record(actor=world.officer, case=world.open_case(), kind="registered")


@pytest.mark.parametrize(
    ("rulebook", "required"),
    [(f.R000, False), (f.R001, False), (f.R002, True), (f.R003, True), (f.R004, True)],
)
def test_only_some_regulations_require_telling_a_named_complainant(db, rulebook, required):
    w = f.world(rulebook)
    c = services.complaint_register(
        actor=w.officer, named=True, complainant_name="马某", channel="电话", content="反映某厂排污。"
    )
    if required:
        with pytest.raises(Refused) as exc:
            services.complaint_decline(actor=w.officer, complaint=c, reason="未发现违法行为。")
        assert exc.value.findings[0].rulebook == rulebook
    else:
        services.complaint_decline(actor=w.officer, complaint=c, reason="未发现违法行为。")
        c.refresh_from_db()
        assert c.status == "declined"
