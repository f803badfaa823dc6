"""Everything that can happen to a case: ``grep "def case_\\|def party_\\|def approval_"``.

Each service is atomic, checks who may act, validates its input with Chinese
messages, and appends its ledger event in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from quanlu.cases import events, gates
from quanlu.cases.models import (
    STAGE_ORDER,
    ApplicationEvent,
    ApplicationEventKind,
    Approval,
    ApprovalGate,
    ApprovalStatus,
    ApprovalStep,
    Case,
    CaseNumberSequence,
    CaseSource,
    Complaint,
    ComplaintStatus,
    EnforcementKind,
    IdType,
    InitiationMode,
    Party,
    PartyKind,
    Procedure,
    SignatureMethod,
    Stage,
    StageTransition,
    StepOutcome,
    StepRole,
)
from quanlu.core.errors import Conflict, Finding, InvalidInput, PermissionDenied, Refused
from quanlu.core.idnumbers import resident_id_problem, uscc_problem
from quanlu.core.validation import clean_choice, clean_name, clean_text
from quanlu.ledger.services import record_event
from quanlu.org.models import Agency, AgencyKind, Officer, Role
from quanlu.rulebooks import evaluator
from quanlu.rulebooks.evaluator import Status
from quanlu.rulebooks.loader import get_rulebook
from quanlu.supervision.services import deadlines_sync

CASE_WORKERS = (Role.OFFICER, Role.HANDLER)
STEP_ROLES = {
    StepRole.REVIEW: Role.REVIEWER,
    StepRole.LEGAL_REVIEW: Role.LEGAL_REVIEWER,
    StepRole.APPROVE: Role.APPROVER,
}


@dataclass(frozen=True)
class Transition:
    label: str
    reason_required: bool = False


# The one table of stage transitions. Terminated cases (不予立案, 撤销立案) still go
# through archiving: their records must be filed like any other.
TRANSITIONS: dict[tuple[str, str], Transition] = {
    (Stage.INITIATION, Stage.INVESTIGATION): Transition("启动调查取证"),
    (Stage.INITIATION, Stage.ARCHIVING): Transition("不予立案，转入归档", reason_required=True),
    (Stage.INVESTIGATION, Stage.DECISION): Transition("调查终结，进入审查决定"),
    (Stage.INVESTIGATION, Stage.ARCHIVING): Transition("终止调查，转入归档", reason_required=True),
    (Stage.DECISION, Stage.SERVICE): Transition("作出决定，进入送达"),
    (Stage.SERVICE, Stage.EXECUTION): Transition("送达完毕，进入执行"),
    (Stage.SERVICE, Stage.ARCHIVING): Transition("无需执行，转入归档", reason_required=True),
    (Stage.EXECUTION, Stage.ARCHIVING): Transition("执行完毕，转入归档"),
    (Stage.ARCHIVING, Stage.CLOSED): Transition("归档结案"),
}

# System rules other domains add to the move into 结案, registered in their AppConfig.ready()
# (the archive: the case's dossier is sealed). Each returns the findings that refuse it.
CLOSING_CHECKS: list[Callable[[Case], list[Finding]]] = []

GATE_STAGES: dict[str, tuple[str, ...]] = {
    ApprovalGate.INITIATION: (Stage.INITIATION,),
    ApprovalGate.DECISION: (Stage.DECISION,),
    ApprovalGate.ENFORCEMENT: (Stage.EXECUTION,),
    ApprovalGate.CLOSING: (Stage.ARCHIVING,),
}


def allowed_transitions(stage: str) -> list[tuple[str, Transition]]:
    return [(to, t) for (frm, to), t in TRANSITIONS.items() if frm == stage]


# ---------------------------------------------------------------- permissions


def _require_staff(actor: Officer, agency: Agency, roles: tuple[str, ...], action: str) -> None:
    if actor.agency_id != agency.pk:
        # Supervisors above see the case but may not act on it.
        raise PermissionDenied(f"只有本机关人员可以{action}。")
    if not actor.is_active or not actor.has_role(*roles):
        names = "、".join(Role(r).label for r in roles)
        raise PermissionDenied(f"{action}需要以下角色之一：{names}。")


def _require_open(case: Case) -> None:
    if case.stage == Stage.CLOSED:
        raise Conflict("案件已结案，不能再修改。", code="case_closed")


def _lock(case: Case) -> Case:
    return Case.objects.select_for_update().select_related("agency").get(pk=case.pk)


# ---------------------------------------------------------------- cases


def _next_case_number(agency: Agency, now: dt.datetime) -> str:
    year = timezone.localtime(now).year
    seq, _ = CaseNumberSequence.objects.select_for_update().get_or_create(agency=agency, year=year)
    CaseNumberSequence.objects.filter(pk=seq.pk).update(last=F("last") + 1)
    seq.refresh_from_db()
    return f"{agency.case_prefix}〔{year}〕{seq.last}号"


def case_open(*, actor: Officer, client_token: uuid.UUID | None = None, **fields: Any) -> Case:
    """Open a case (程序启动). A repeated submission with the same ``client_token``
    returns the case it opened the first time."""
    if client_token is not None:
        existing = Case.objects.filter(client_token=client_token).first()
        if existing is not None:
            return _same_submitter(existing, existing.opened_by_id, actor)
    try:
        return _case_open(actor=actor, client_token=client_token, **fields)
    except IntegrityError:
        # A concurrent twin won the race for the token; ours rolled back whole.
        existing = Case.objects.filter(client_token=client_token).first() if client_token else None
        if existing is None:
            raise
        return _same_submitter(existing, existing.opened_by_id, actor)


def _same_submitter(obj: Any, owner_id: int, actor: Officer) -> Any:
    if owner_id != actor.pk:
        raise Conflict("提交标识已被他人使用，请刷新页面后重试。", code="token_reused")
    return obj


@transaction.atomic
def _case_open(
    *,
    actor: Officer,
    kind: str,
    procedure: str,
    initiation_mode: str,
    source: str,
    cause: str,
    reason: str,
    source_detail: str = "",
    summary: str = "",
    is_major: bool = False,
    emergency: bool = False,
    emergency_reason: str = "",
    client_token: uuid.UUID | None = None,
    at: dt.datetime | None = None,
) -> Case:
    if actor.agency is None or actor.agency.kind != AgencyKind.ENFORCEMENT:
        raise PermissionDenied("只有行政执法机关人员可以登记案件。")
    agency = actor.agency
    _require_staff(actor, agency, CASE_WORKERS, "登记案件")
    kind = clean_choice(kind, label="执法类别", field="kind", choices=EnforcementKind)
    procedure = clean_choice(procedure, label="程序", field="procedure", choices=Procedure)
    initiation_mode = clean_choice(
        initiation_mode, label="启动方式", field="initiation_mode", choices=InitiationMode
    )
    source = clean_choice(source, label="案件来源", field="source", choices=CaseSource)
    cause = clean_text(cause, label="案由", field="cause", max_length=200)
    reason = clean_text(reason, label="启动原因", field="reason", max_length=2000)
    source_detail = clean_text(
        source_detail, label="来源说明", field="source_detail", max_length=500, required=False
    )
    summary = clean_text(summary, label="基本案情", field="summary", max_length=5000, required=False)
    emergency_reason = clean_text(
        emergency_reason, label="紧急情况说明", field="emergency_reason", max_length=2000, required=emergency
    )
    if emergency and procedure == Procedure.SIMPLIFIED:
        raise InvalidInput("简易程序无需先行启动。", field_name="emergency")
    now = at or timezone.now()
    book = get_rulebook(agency.rulebook_id, on=timezone.localdate(now))
    if book.action_types is not None and kind not in book.action_types:
        raise InvalidInput(
            f"本机关适用的《{book.title}》未规定「{EnforcementKind(kind).label}」类执法行为。",
            field_name="kind",
        )
    case = Case.objects.create(
        number=_next_case_number(agency, now),
        agency=agency,
        rulebook_id=book.id,
        kind=kind,
        procedure=procedure,
        initiation_mode=initiation_mode,
        source=source,
        source_detail=source_detail,
        cause=cause,
        reason=reason,
        summary=summary,
        is_major=bool(is_major),
        emergency=bool(emergency),
        emergency_reason=emergency_reason,
        stage=Stage.INITIATION,
        lead_officer=actor,
        opened_by=actor,
        opened_at=now,
        started_at=now,
        client_token=client_token,
    )
    opening = StageTransition.objects.create(
        case=case, from_stage="", to_stage=Stage.INITIATION, actor=actor, at=now
    )
    record_event(
        type=events.CASE_OPENED,
        actor=actor,
        agency=agency,
        case_uid=case.public_id,
        at=now,
        payload={
            "number": case.number,
            "rulebook": book.id,
            "rulebook_version": book.version,
            "kind": kind,
            "procedure": procedure,
            "initiation_mode": initiation_mode,
            "source": source,
            "source_detail": source_detail,
            "cause": cause,
            "reason": reason,
            "summary": summary,
            "is_major": case.is_major,
            "emergency": case.emergency,
            "emergency_reason": emergency_reason,
            "lead_officer": actor.public_id,
        },
        rows=[case, opening],
    )
    if emergency:
        # Work begins first (先行启动); the approval follows as 补报, on a deadline.
        _move(
            case,
            actor=actor,
            to_stage=Stage.INVESTIGATION,
            reason=f"情况紧急，先行启动：{emergency_reason}",
            at=now,
        )
    deadlines_sync(actor=actor, case=case)
    return case


def _move(
    case: Case,
    *,
    actor: Officer,
    to_stage: str,
    reason: str,
    at: dt.datetime,
    warnings: list[dict[str, str]] | None = None,
) -> StageTransition:
    transition = StageTransition.objects.create(
        case=case, from_stage=case.stage, to_stage=to_stage, actor=actor, at=at, reason=reason
    )
    payload: dict[str, object] = {"from": case.stage, "to": to_stage, "reason": reason}
    if warnings:
        payload["warnings"] = warnings
    case.stage = to_stage
    if to_stage == Stage.CLOSED:
        case.closed_at = at
    case.save(update_fields=["stage", "closed_at"])
    # After the case's row is written, so the event commits the stage it moved to.
    record_event(
        type=events.CASE_ADVANCED,
        actor=actor,
        agency=case.agency,
        case_uid=case.public_id,
        at=at,
        payload=payload,
        rows=[case, transition],
    )
    deadlines_sync(actor=actor, case=case)
    return transition


@transaction.atomic
def case_advance(
    *, actor: Officer, case: Case, to_stage: str, from_stage: str | None = None, reason: str = ""
) -> StageTransition:
    """Move a case to its next stage, if the transitions table and the rulebook allow.

    ``from_stage`` is the stage the user saw: if the case has moved since (a
    second click, a colleague), the request is refused instead of skipping ahead.
    """
    case = _lock(case)
    _require_staff(actor, case.agency, (*CASE_WORKERS, Role.APPROVER), "推进案件阶段")
    _require_open(case)
    if to_stage not in STAGE_ORDER:
        raise InvalidInput("目标阶段无效。", field_name="to_stage")
    if from_stage is not None and from_stage != case.stage:
        raise Conflict(f"案件已处于「{Stage(case.stage).label}」阶段，请刷新后再操作。", code="stale_stage")
    transition = TRANSITIONS.get((case.stage, to_stage))
    if transition is None:
        raise Refused(
            f"不能从「{Stage(case.stage).label}」直接进入「{Stage(to_stage).label}」。",
            [],
            code="transition_not_allowed",
        )
    reason = clean_text(
        reason, label="理由", field="reason", max_length=2000, required=transition.reason_required
    )
    results = evaluator.gate(case, to_stage)
    blocking = [r.finding() for r in results if r.blocking]
    if to_stage == Stage.CLOSED:
        blocking += [f for check in CLOSING_CHECKS for f in check(case)]
    if blocking:
        raise Refused(
            "不符合本机关规定，不能进入下一阶段：" + "；".join(f.message for f in blocking), blocking
        )
    # Warnings do not stop the move, but the record shows they were passed over.
    # Each names the records it is about, so that the events feed can show the mark instead
    # of the message to readers who may not read one (quanlu.access.redaction).
    warnings = [
        {**r.finding().as_dict(), "subjects": ",".join(r.outcome.subjects)}
        for r in results
        if r.status == Status.UNMET
    ]
    return _move(case, actor=actor, to_stage=to_stage, reason=reason, at=timezone.now(), warnings=warnings)


# ---------------------------------------------------------------- parties


def _check_party_id(kind: str, id_type: str, id_number: str) -> str:
    id_number = id_number.strip().upper()
    if kind == PartyKind.PERSON and id_type == IdType.USCC:
        raise InvalidInput("自然人不能使用统一社会信用代码。", field_name="id_type")
    if kind == PartyKind.ORGANISATION and id_type in (IdType.RESIDENT_ID, IdType.PASSPORT):
        raise InvalidInput("法人或其他组织应填写统一社会信用代码或其他证照号码。", field_name="id_type")
    problem = None
    if id_type == IdType.RESIDENT_ID:
        problem = resident_id_problem(id_number)
    elif id_type == IdType.USCC:
        problem = uscc_problem(id_number)
    if problem:
        raise InvalidInput(problem, field_name="id_number")
    return id_number


@transaction.atomic
def _party_add(
    *,
    actor: Officer,
    case: Case,
    kind: str,
    name: str,
    id_type: str,
    id_number: str,
    legal_representative: str = "",
    address: str = "",
    phone: str = "",
    client_token: uuid.UUID | None = None,
) -> Party:
    case = _lock(case)
    _require_staff(actor, case.agency, CASE_WORKERS, "登记当事人")
    _require_open(case)
    kind = clean_choice(kind, label="当事人类别", field="kind", choices=PartyKind)
    id_type = clean_choice(id_type, label="证件类型", field="id_type", choices=IdType)
    name = clean_name(name, label="名称或姓名", field="name", max_length=200)
    id_number = clean_text(id_number, label="证件号码", field="id_number", max_length=64)
    id_number = _check_party_id(kind, id_type, id_number)
    legal_representative = clean_name(
        legal_representative,
        label="法定代表人（负责人）",
        field="legal_representative",
        max_length=64,
        required=kind == PartyKind.ORGANISATION,
    )
    address = clean_text(address, label="住所（地址）", field="address", max_length=300, required=False)
    phone = clean_text(phone, label="联系电话", field="phone", max_length=32, required=False)
    if case.parties.filter(id_type=id_type, id_number=id_number).exists():
        raise Conflict(f"当事人（{id_number}）已在本案登记。", code="party_exists")
    party = Party.objects.create(
        case=case,
        kind=kind,
        name=name,
        id_type=id_type,
        id_number=id_number,
        legal_representative=legal_representative,
        address=address,
        phone=phone,
        added_by=actor,
        added_at=timezone.now(),
        client_token=client_token,
    )
    record_event(
        type=events.PARTY_ADDED,
        actor=actor,
        agency=case.agency,
        case_uid=case.public_id,
        payload={
            "party": party.public_id,
            "kind": kind,
            "name": name,
            "id_type": id_type,
            "id_number": id_number,
            "legal_representative": legal_representative,
            "address": address,
            "phone": phone,
        },
        rows=[party],
    )
    return party


def party_add(*, actor: Officer, case: Case, client_token: uuid.UUID | None = None, **fields: Any) -> Party:
    if client_token is not None:
        existing = Party.objects.filter(client_token=client_token).first()
        if existing is not None:
            return _same_submitter(existing, existing.added_by_id, actor)
    try:
        return _party_add(actor=actor, case=case, client_token=client_token, **fields)
    except IntegrityError:
        existing = Party.objects.filter(client_token=client_token).first() if client_token else None
        if existing is None:
            raise Conflict("当事人已在本案登记。", code="party_exists") from None
        return _same_submitter(existing, existing.added_by_id, actor)


# ---------------------------------------------------------------- approvals


@transaction.atomic
def _approval_request(
    *,
    actor: Officer,
    case: Case,
    gate: str,
    opinion: str,
    reasons: str,
    client_token: uuid.UUID | None = None,
) -> Approval:
    case = _lock(case)
    _require_staff(actor, case.agency, CASE_WORKERS, "提请审批")
    _require_open(case)
    gate = clean_choice(gate, label="审批事项", field="gate", choices=ApprovalGate)
    opinion = clean_text(opinion, label="承办人意见", field="opinion", max_length=2000)
    reasons = clean_text(reasons, label="理由", field="reasons", max_length=5000)
    stages = GATE_STAGES[gate]
    supplementary = gate == ApprovalGate.INITIATION and case.emergency
    if supplementary:
        stages = (Stage.INITIATION, Stage.INVESTIGATION)
    if case.stage not in stages:
        raise Conflict(
            f"案件处于「{Stage(case.stage).label}」阶段，不能提请{ApprovalGate(gate).label}。",
            code="wrong_stage",
        )
    if case.approvals.filter(gate=gate, status=ApprovalStatus.GRANTED).exists():
        raise Conflict(f"{ApprovalGate(gate).label}已经批准，无需重复提请。", code="already_granted")
    if case.approvals.filter(gate=gate, status=ApprovalStatus.PENDING).exists():
        raise Conflict(f"{ApprovalGate(gate).label}正在审批中，请勿重复提请。", code="already_pending")
    approval = Approval.objects.create(
        case=case,
        gate=gate,
        supplementary=supplementary,
        chain=gates.approval_chain(case, gate),
        requested_by=actor,
        requested_at=timezone.now(),
        opinion=opinion,
        reasons=reasons,
        client_token=client_token,
    )
    record_event(
        type=events.APPROVAL_REQUESTED,
        actor=actor,
        agency=case.agency,
        case_uid=case.public_id,
        payload={
            "approval": approval.public_id,
            "gate": gate,
            "chain": approval.chain,
            "supplementary": supplementary,
            "opinion": opinion,
            "reasons": reasons,
        },
        rows=[approval],
    )
    return approval


def approval_request(
    *, actor: Officer, case: Case, client_token: uuid.UUID | None = None, **fields: Any
) -> Approval:
    if client_token is not None:
        existing = Approval.objects.filter(client_token=client_token).first()
        if existing is not None:
            return _same_submitter(existing, existing.requested_by_id, actor)
    try:
        return _approval_request(actor=actor, case=case, client_token=client_token, **fields)
    except IntegrityError:
        existing = Approval.objects.filter(client_token=client_token).first() if client_token else None
        if existing is None:
            raise Conflict("该事项正在审批中，请勿重复提请。", code="already_pending") from None
        return _same_submitter(existing, existing.requested_by_id, actor)


def _decide(
    *,
    actor: Officer,
    approval: Approval,
    outcome: str,
    opinion: str,
    signature_method: str,
    step_index: int | None,
) -> ApprovalStep:
    approval = Approval.objects.select_for_update().select_related("case", "case__agency").get(pk=approval.pk)
    case = approval.case
    _require_open(case)
    if approval.status != ApprovalStatus.PENDING:
        raise Conflict(f"该审批已办结（{approval.get_status_display()}）。", code="approval_closed")
    index = approval.steps.count()
    if step_index is not None and step_index != index:
        raise Conflict("该审批环节已由他人处理，请刷新后查看。", code="step_taken")
    role = approval.chain[index]
    _require_staff(actor, case.agency, (STEP_ROLES[StepRole(role)],), f"{StepRole(role).label}")
    if actor.pk == approval.requested_by_id or approval.steps.filter(actor=actor).exists():
        # 承办人、审核人、批准人 must be different people (004 第三十一条 names them apart).
        raise PermissionDenied("同一审批中，承办、审核、法制审核、批准应由不同人员签署。")
    opinion = clean_text(opinion, label="意见", field="opinion", max_length=2000)
    signature_method = clean_choice(
        signature_method, label="签名方式", field="signature_method", choices=SignatureMethod
    )
    now = timezone.now()
    try:
        with transaction.atomic():
            step = ApprovalStep.objects.create(
                approval=approval,
                index=index,
                role=role,
                actor=actor,
                outcome=outcome,
                opinion=opinion,
                signed_at=now,
                signature_method=signature_method,
            )
    except IntegrityError as exc:
        raise Conflict("该审批环节已由他人处理，请刷新后查看。", code="step_taken") from exc
    final = outcome == StepOutcome.REJECTED or index == len(approval.chain) - 1
    if final:
        approval.status = (
            ApprovalStatus.GRANTED if outcome == StepOutcome.GRANTED else ApprovalStatus.REJECTED
        )
        approval.decided_at = now
        approval.save(update_fields=["status", "decided_at"])
    record_event(
        type=events.APPROVAL_GRANTED if outcome == StepOutcome.GRANTED else events.APPROVAL_REJECTED,
        actor=actor,
        agency=case.agency,
        case_uid=case.public_id,
        at=now,
        payload={
            "approval": approval.public_id,
            "gate": approval.gate,
            "step": index,
            "role": role,
            "opinion": opinion,
            "signature_method": signature_method,
            "final": final,
            "status": approval.status,
        },
        rows=[step, approval] if final else [step],
    )
    if final:
        deadlines_sync(actor=actor, case=case)
    return step


@transaction.atomic
def approval_grant(
    *, actor: Officer, approval: Approval, opinion: str, signature_method: str, step_index: int | None = None
) -> ApprovalStep:
    """Sign the approval's current step as agreed. ``step_index`` is the step the
    signer saw; of two people signing the same step at once exactly one wins."""
    return _decide(
        actor=actor,
        approval=approval,
        outcome=StepOutcome.GRANTED,
        opinion=opinion,
        signature_method=signature_method,
        step_index=step_index,
    )


@transaction.atomic
def approval_reject(
    *, actor: Officer, approval: Approval, opinion: str, signature_method: str, step_index: int | None = None
) -> ApprovalStep:
    """Return the request to the handler with reasons; the handler may submit anew."""
    return _decide(
        actor=actor,
        approval=approval,
        outcome=StepOutcome.REJECTED,
        opinion=opinion,
        signature_method=signature_method,
        step_index=step_index,
    )


# ---------------------------------------------------------------- complaints


@transaction.atomic
def complaint_register(
    *,
    actor: Officer,
    named: bool,
    content: str,
    channel: str,
    complainant_name: str = "",
    complainant_contact: str = "",
    received_at: dt.datetime | None = None,
    client_token: uuid.UUID | None = None,
) -> Complaint:
    if client_token is not None:
        existing = Complaint.objects.filter(client_token=client_token).first()
        if existing is not None:
            return _same_submitter(existing, existing.recorder_id, actor)
    if actor.agency is None or actor.agency.kind != AgencyKind.ENFORCEMENT:
        raise PermissionDenied("只有行政执法机关人员可以登记投诉举报。")
    _require_staff(actor, actor.agency, CASE_WORKERS, "登记投诉举报")
    content = clean_text(content, label="投诉、举报内容", field="content", max_length=5000)
    channel = clean_text(channel, label="受理渠道", field="channel", max_length=32)
    complainant_name = clean_name(
        complainant_name, label="投诉人、举报人", field="complainant_name", max_length=100, required=named
    )
    complainant_contact = clean_text(
        complainant_contact, label="联系方式", field="complainant_contact", max_length=100, required=False
    )
    complaint = Complaint.objects.create(
        agency=actor.agency,
        named=named,
        complainant_name=complainant_name,
        complainant_contact=complainant_contact,
        channel=channel,
        content=content,
        received_at=received_at or timezone.now(),
        recorder=actor,
        client_token=client_token,
    )
    record_event(
        type=events.COMPLAINT_RECEIVED,
        actor=actor,
        agency=actor.agency,
        payload={
            "complaint": complaint.public_id,
            "named": named,
            "complainant_name": complainant_name,
            "complainant_contact": complainant_contact,
            "channel": channel,
            "content": content,
            "received_at": complaint.received_at,
        },
        rows=[complaint],
    )
    return complaint


def _lock_complaint(actor: Officer, complaint: Complaint) -> Complaint:
    complaint = Complaint.objects.select_for_update().select_related("agency").get(pk=complaint.pk)
    _require_staff(actor, complaint.agency, CASE_WORKERS, "处理投诉举报")
    if complaint.status != ComplaintStatus.RECEIVED:
        raise Conflict("该投诉举报已处理。", code="complaint_handled")
    return complaint


@transaction.atomic
def complaint_initiate(*, actor: Officer, complaint: Complaint, **case_fields: Any) -> Case:
    """Start an enforcement procedure on a complaint: the case records where it came from."""
    complaint = _lock_complaint(actor, complaint)
    case = _case_open(
        actor=actor,
        initiation_mode=InitiationMode.COMPLAINT,
        source=CaseSource.COMPLAINT,
        source_detail=f"{complaint.channel}：{complaint.content[:200]}",
        **case_fields,
    )
    complaint.status = ComplaintStatus.INITIATED
    complaint.case = case
    complaint.decided_by = actor
    complaint.decided_at = timezone.now()
    complaint.save(update_fields=["status", "case", "decided_by", "decided_at"])
    record_event(
        type=events.COMPLAINT_INITIATED,
        actor=actor,
        agency=complaint.agency,
        case_uid=case.public_id,
        payload={"complaint": complaint.public_id, "case": case.public_id},
        rows=[complaint],
    )
    return case


@transaction.atomic
def complaint_decline(
    *,
    actor: Officer,
    complaint: Complaint,
    reason: str,
    notify_method: str = "",
    notify_content: str = "",
    notified_at: dt.datetime | None = None,
) -> Complaint:
    """Decide not to start a procedure. A named complainant must be told, and how
    they were told is recorded (002 第七条, 003 第七条第二款, 004 第十条)."""
    complaint = _lock_complaint(actor, complaint)
    reason = clean_text(reason, label="不启动理由", field="reason", max_length=2000)
    notify_method = clean_text(
        notify_method, label="告知方式", field="notify_method", max_length=32, required=False
    )
    notify_content = clean_text(
        notify_content, label="告知内容", field="notify_content", max_length=2000, required=False
    )
    book = get_rulebook(complaint.agency.rulebook_id, on=timezone.localdate())
    notice_rules = book.rules_of("complaint_decline_notice") if complaint.named else []
    if notice_rules and not (notify_method and notify_content):
        rule = notice_rules[0]
        finding = rule.finding("实名投诉、举报不启动执法程序的，应记录告知投诉人、举报人的方式和内容。")
        raise Refused(
            finding.message + "请填写「告知方式」和「告知内容」。", [finding], code="notice_required"
        )
    if complaint.named and notify_method and notified_at is None:
        notified_at = timezone.now()
    complaint.status = ComplaintStatus.DECLINED
    complaint.decline_reason = reason
    complaint.notify_method = notify_method
    complaint.notify_content = notify_content
    complaint.notified_at = notified_at
    complaint.decided_by = actor
    complaint.decided_at = timezone.now()
    complaint.save()
    record_event(
        type=events.COMPLAINT_DECLINED,
        actor=actor,
        agency=complaint.agency,
        payload={
            "complaint": complaint.public_id,
            "reason": reason,
            "notify_method": notify_method,
            "notify_content": notify_content,
            "notified_at": notified_at,
        },
        rows=[complaint],
    )
    return complaint


# ---------------------------------------------------------------- applications


@transaction.atomic
def application_event_record(
    *, actor: Officer, case: Case, kind: str, detail: str = "", items: list[str] | None = None
) -> ApplicationEvent:
    """Record a step of handling an application (申请登记, 补正, 受理, ...)."""
    case = _lock(case)
    _require_staff(actor, case.agency, CASE_WORKERS, "记录申请办理情况")
    _require_open(case)
    if case.initiation_mode != InitiationMode.ON_APPLICATION:
        raise Conflict("只有依申请启动的案件才记录申请办理情况。", code="not_application")
    kind = clean_choice(kind, label="事项", field="kind", choices=ApplicationEventKind)
    detail = clean_text(detail, label="说明", field="detail", max_length=5000, required=False)
    clean_items = [clean_text(i, label="补正事项", field="items", max_length=500) for i in (items or [])]
    if kind == ApplicationEventKind.SUPPLEMENT_NOTICE and not clean_items:
        # 一次性告知: one notice listing everything that must be supplemented.
        raise InvalidInput("一次性告知应列明需补正的全部内容。", field_name="items")
    if (
        kind in (ApplicationEventKind.ACCEPTED, ApplicationEventKind.REJECTED)
        and case.application_events.filter(
            kind__in=(ApplicationEventKind.ACCEPTED, ApplicationEventKind.REJECTED)
        ).exists()
    ):
        raise Conflict("已作出受理或不予受理决定。", code="already_decided")
    event = ApplicationEvent.objects.create(
        case=case, kind=kind, detail=detail, items=clean_items, at=timezone.now(), recorder=actor
    )
    record_event(
        type=events.APPLICATION_EVENT,
        actor=actor,
        agency=case.agency,
        case_uid=case.public_id,
        payload={"event": event.public_id, "kind": kind, "detail": detail, "items": clean_items},
        rows=[event],
    )
    return event
