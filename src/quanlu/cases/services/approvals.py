"""Approvals through the chain 承办人 → 审核人 → (法制审核) → 批准人: requested for a
gate, then each step signed, agreed or not."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from quanlu.cases import events, gates
from quanlu.cases.models import (
    Approval,
    ApprovalGate,
    ApprovalStatus,
    ApprovalStep,
    Case,
    SignatureMethod,
    Stage,
    StepOutcome,
    StepRole,
)
from quanlu.cases.services.common import (
    CASE_WORKERS,
    GATE_STAGES,
    STEP_ROLES,
    _lock,
    _require_open,
    _require_staff,
    _same_submitter,
    deadlines_refresh,
)
from quanlu.core.errors import Conflict, PermissionDenied
from quanlu.core.validation import clean_choice, clean_text
from quanlu.ledger.services import record_event
from quanlu.org.models import Officer
from quanlu.rulebooks.evaluator import rulebook_for
from quanlu.rulebooks.obligations import chain_rules, refusal


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
    role = approval.chain[index]
    later = [StepRole(r) for r in approval.chain[index + 1 :]]
    acting_as = next(
        (r for r in later if actor.agency_id == case.agency_id and actor.has_role(STEP_ROLES[r])), None
    )
    ahead = step_index is not None and step_index > index
    if ahead or (acting_as is not None and not actor.has_role(STEP_ROLES[StepRole(role)])):
        # Acting before the step in turn: the chain's order is the regulation's (004
        # 第三十一条: 承办人提出意见和理由，经审核人审核后，由批准人批准), not a race.
        _refuse_out_of_order(case, approval, StepRole(role), acting_as)
    if step_index is not None and step_index < index:
        raise Conflict("该审批环节已由他人处理，请刷新后查看。", code="step_taken")
    _require_staff(actor, case.agency, (STEP_ROLES[StepRole(role)],), f"{StepRole(role).label}")
    if actor.pk == approval.requested_by_id or approval.steps.filter(actor=actor).exists():
        # 承办人、审核人、批准人 must be different people (004 第三十一条 names them apart).
        message = "同一审批中，承办、审核、法制审核、批准应由不同人员签署。"
        rules = chain_rules(rulebook_for(case), approval.gate)
        if rules:
            satisfy = "由未在本审批中签署过的其他人员签署该环节。"
            raise refusal(rules, message, satisfy=satisfy, code="same_person", status=403)
        raise PermissionDenied(message)
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
        deadlines_refresh(actor=actor, case=case)
    return step


# Each step as the regulations word the chain (004 第三十一条: 经审核人审核后，由批准人批准).
_STEP_WORDS = {
    StepRole.REVIEW: "审核人审核",
    StepRole.LEGAL_REVIEW: "法制审核",
    StepRole.APPROVE: "批准人批准",
}
_SIGNER = {StepRole.REVIEW: "审核人", StepRole.LEGAL_REVIEW: "法制审核人员", StepRole.APPROVE: "批准人"}


def _refuse_out_of_order(case: Case, approval: Approval, due: StepRole, acting_as: StepRole | None) -> None:
    """An approver (or legal reviewer) acting before the step in turn is told so, with
    the article that orders the chain where the case's rulebook asks the approval."""
    chain = "→".join(["承办人提出意见和理由", *(_STEP_WORDS[StepRole(r)] for r in approval.chain)])
    who = _SIGNER[acting_as] if acting_as is not None else "后续环节"
    message = f"尚未经{_STEP_WORDS[due]}，{who}不能先行签署：审批依次为{chain}。"
    satisfy = f"待{_STEP_WORDS[due]}后，再由{who}签署。"
    rules = chain_rules(rulebook_for(case), approval.gate)
    if rules:
        raise refusal(rules, message, satisfy=satisfy, code="step_out_of_order")
    raise Conflict(message, code="step_out_of_order")


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
