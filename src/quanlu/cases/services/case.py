"""A case opened (程序启动) and moved through its stages: the transitions table and the
rulebook's gates decide each move, and the case's deadlines follow it."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from quanlu.cases import events
from quanlu.cases.models import (
    STAGE_ORDER,
    ActEnd,
    ActEndKind,
    Case,
    CaseNumberSequence,
    CaseSource,
    EnforcementKind,
    InitiationMode,
    Procedure,
    Stage,
    StageTransition,
)
from quanlu.cases.services.common import (
    CASE_WORKERS,
    CLOSING_CHECKS,
    ON_CLOSED,
    _lock,
    _require_open,
    _require_staff,
    _same_submitter,
    deadlines_refresh,
    transitions_for,
)
from quanlu.core.errors import Conflict, InvalidInput, PermissionDenied, Refused
from quanlu.core.validation import clean_choice, clean_text
from quanlu.ledger.services import record_event
from quanlu.org.models import Agency, AgencyKind, Officer, Role
from quanlu.rulebooks import evaluator
from quanlu.rulebooks.evaluator import Status
from quanlu.rulebooks.loader import get_rulebook
from quanlu.rulebooks.providers import gather


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


def _clean_record(
    *,
    kind: str,
    procedure: str,
    initiation_mode: str,
    source: str,
    cause: str,
    reason: str,
    source_detail: str,
    summary: str,
    emergency: bool,
    emergency_reason: str,
) -> dict[str, str]:
    """The case record's fields as typed, checked and cleaned (Chinese messages)."""
    record = {
        "kind": clean_choice(kind, label="执法类别", field="kind", choices=EnforcementKind),
        "procedure": clean_choice(procedure, label="程序", field="procedure", choices=Procedure),
        "initiation_mode": clean_choice(
            initiation_mode, label="启动方式", field="initiation_mode", choices=InitiationMode
        ),
        "source": clean_choice(source, label="案件来源", field="source", choices=CaseSource),
        "cause": clean_text(cause, label="案由", field="cause", max_length=200),
        "reason": clean_text(reason, label="启动原因", field="reason", max_length=2000),
        "source_detail": clean_text(
            source_detail, label="来源说明", field="source_detail", max_length=500, required=False
        ),
        "summary": clean_text(summary, label="基本案情", field="summary", max_length=5000, required=False),
        "emergency_reason": clean_text(
            emergency_reason,
            label="紧急情况说明",
            field="emergency_reason",
            max_length=2000,
            required=emergency,
        ),
    }
    if emergency and record["procedure"] == Procedure.SIMPLIFIED:
        raise InvalidInput("简易程序无需先行启动。", field_name="emergency")
    return record


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
    record = _clean_record(
        kind=kind,
        procedure=procedure,
        initiation_mode=initiation_mode,
        source=source,
        cause=cause,
        reason=reason,
        source_detail=source_detail,
        summary=summary,
        emergency=emergency,
        emergency_reason=emergency_reason,
    )
    now = at or timezone.now()
    book = get_rulebook(agency.rulebook_id, on=timezone.localdate(now))
    if book.action_types is not None and record["kind"] not in book.action_types:
        raise InvalidInput(
            f"本机关适用的《{book.title}》未规定「{EnforcementKind(record['kind']).label}」类执法行为。",
            field_name="kind",
        )
    case = Case.objects.create(
        number=_next_case_number(agency, now),
        agency=agency,
        rulebook_id=book.id,
        **record,
        is_major=bool(is_major),
        emergency=bool(emergency),
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
            **record,
            "is_major": case.is_major,
            "emergency": case.emergency,
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
            reason=f"情况紧急，先行启动：{record['emergency_reason']}",
            at=now,
        )
    deadlines_refresh(actor=actor, case=case)
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
    deadlines_refresh(actor=actor, case=case)
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
    transition = transitions_for(case).get((case.stage, to_stage))
    if transition is None:
        general = ""
        if case.procedure == Procedure.SIMPLIFIED and not evaluator.simplified_moves(case):
            general = "本机关适用的规定未对简易程序另设记录路径，按一般程序逐阶段办理。"
        raise Refused(
            f"不能从「{Stage(case.stage).label}」直接进入「{Stage(to_stage).label}」。{general}",
            [],
            code="transition_not_allowed",
        )
    reason = clean_text(
        reason, label="理由", field="reason", max_length=2000, required=transition.reason_required
    )
    # The workflow asks the rules: the case's facts, judged for this move.
    results = evaluator.gate(gather(case), to_stage)
    blocking = [r.finding() for r in results if r.blocking]
    if to_stage == Stage.CLOSED:
        blocking += [f for check in CLOSING_CHECKS for f in check(case)]
    if blocking:
        headline = "不符合本机关规定，不能进入下一阶段："
        reasons = dict.fromkeys(f.message.rstrip("。") for f in blocking)  # each once, in order
        raise Refused(headline + "；".join(reasons) + "。", blocking, headline=headline)
    # Warnings do not stop the move, but the record shows they were passed over.
    # Each names the records it is about, so that the events feed can show the mark instead
    # of the message to readers who may not read one (quanlu.access.redaction).
    warnings = [
        {**r.finding().as_dict(), "subjects": ",".join(r.outcome.subjects)}
        for r in results
        if r.status == Status.UNMET
    ]
    if to_stage == Stage.CLOSED:
        for hook in ON_CLOSED:
            transaction.on_commit(lambda hook=hook: hook(case))  # type: ignore[misc]
    return _move(case, actor=actor, to_stage=to_stage, reason=reason, at=timezone.now(), warnings=warnings)


@transaction.atomic
def case_act_end(
    *,
    actor: Officer,
    case: Case,
    ended_on: dt.date,
    kind: str,
    note: str = "",
    reason: str = "",
    client_token: uuid.UUID | None = None,
) -> ActEnd:
    """Record the day the enforcement act ended (行政执法行为终结), the event every
    regulation counts the archive deadline from. Recorded once; a later record corrects
    it (a new row replacing the current one) and must say why."""
    if client_token is not None:
        existing = ActEnd.objects.filter(client_token=client_token).first()
        if existing is not None:
            return _same_submitter(existing, existing.recorded_by_id, actor)
    case = _lock(case)
    _require_staff(actor, case.agency, (*CASE_WORKERS, Role.APPROVER), "记录执法行为终结")
    _require_open(case)
    kind = clean_choice(kind, label="终结情形", field="kind", choices=ActEndKind)
    if not isinstance(ended_on, dt.date) or isinstance(ended_on, dt.datetime):
        raise InvalidInput("请填写执法行为终结日期。", field_name="ended_on")
    now = timezone.now()
    if ended_on > timezone.localdate(now):
        # The deadline runs from a day that has happened, not from a plan.
        raise InvalidInput("执法行为终结日期不能晚于今天。", field_name="ended_on")
    if ended_on < timezone.localtime(case.started_at).date():
        raise InvalidInput("执法行为终结日期不能早于程序启动日期。", field_name="ended_on")
    note = clean_text(note, label="说明", field="note", max_length=2000, required=False)
    current = ActEnd.objects.filter(case=case, replaced_by__isnull=True).first()
    reason = clean_text(
        reason, label="更正理由", field="reason", max_length=2000, required=current is not None
    )
    row = ActEnd.objects.create(
        case=case,
        ended_on=ended_on,
        kind=kind,
        note=note,
        replaces=current,
        correction_reason=reason,
        recorded_by=actor,
        recorded_at=now,
        client_token=client_token,
    )
    payload: dict[str, object] = {"act_end": row.public_id, "ended_on": ended_on.isoformat(), "kind": kind}
    if note:
        payload["note"] = note
    if current is not None:
        payload |= {"replaces": current.public_id, "was": current.ended_on.isoformat(), "reason": reason}
    record_event(
        type=events.ACT_END_CORRECTED if current is not None else events.ACT_ENDED,
        actor=actor,
        agency=case.agency,
        case_uid=case.public_id,
        at=now,
        payload=payload,
        rows=[row],
    )
    deadlines_refresh(actor=actor, case=case)
    return row
