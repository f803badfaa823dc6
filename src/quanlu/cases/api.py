"""Cases, parties, approvals, events and deadlines over the API (thin: parse,
authorise, call one service, render)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router
from ninja.responses import Status

from quanlu.access.redaction import events_for, result_dict
from quanlu.access.selectors import content_view
from quanlu.api import schemas as s
from quanlu.api.base import (
    BODY_ERRORS,
    ERRORS,
    MAX_OFFSET,
    TOTAL_HEADER,
    TOTAL_NOTE,
    officer_of,
    ref,
    signature_method,
)
from quanlu.cases import selectors as cs
from quanlu.cases import services
from quanlu.cases.models import Approval, Case, Party, Stage, StepRole
from quanlu.core.errors import DomainError
from quanlu.ledger.models import Event
from quanlu.org.models import Officer
from quanlu.rulebooks.evaluator import evaluate, next_steps
from quanlu.rulebooks.loader import all_rulebooks
from quanlu.rulebooks.providers import gather
from quanlu.supervision.models import Deadline
from quanlu.supervision.selectors import alerts_for

router = Router(tags=["案件"])


def case_out(case: Case, officer: Officer) -> dict[str, Any]:
    return {
        "id": case.public_id,
        "number": case.number,
        "agency": ref(case.agency),
        "rulebook": case.rulebook_id,
        "kind": case.kind,
        "kind_label": case.get_kind_display(),
        "procedure": case.procedure,
        "initiation_mode": case.initiation_mode,
        "source": case.source,
        "source_detail": case.source_detail,
        "cause": case.cause,
        "reason": case.reason,
        "summary": case.summary,
        "is_major": case.is_major,
        "emergency": case.emergency,
        "emergency_reason": case.emergency_reason,
        "stage": case.stage,
        "stage_label": case.get_stage_display(),
        "lead_officer": ref(case.lead_officer),
        "opened_at": case.opened_at,
        "started_at": case.started_at,
        "closed_at": case.closed_at,
        "writable": cs.can_write(officer, case),
    }


def party_out(p: Party) -> dict[str, Any]:
    return {
        "id": p.public_id,
        "kind": p.kind,
        "name": p.name,
        "id_type": p.id_type,
        "id_number": p.id_number,
        "legal_representative": p.legal_representative,
        "address": p.address,
        "phone": p.phone,
        "added_at": p.added_at,
    }


def approval_out(a: Approval) -> dict[str, Any]:
    return {
        "id": a.public_id,
        "case": a.case.public_id,
        "case_number": a.case.number,
        "gate": a.gate,
        "gate_label": a.get_gate_display(),
        "supplementary": a.supplementary,
        "chain": a.chain,
        "status": a.status,
        "requested_by": ref(a.requested_by),
        "requested_at": a.requested_at,
        "opinion": a.opinion,
        "reasons": a.reasons,
        "decided_at": a.decided_at,
        "next_role": a.next_role(),
        "steps": [
            {
                "index": st.index,
                "role": st.role,
                "role_label": StepRole(st.role).label,
                "actor": ref(st.actor),
                "outcome": st.outcome,
                "opinion": st.opinion,
                "signed_at": st.signed_at,
                "signature_method": st.signature_method,
            }
            for st in a.steps.select_related("actor").order_by("index")
        ],
    }


def event_out(e: Event, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "id": e.uid,
        "type": e.type,
        "label": e.label,
        "at": e.occurred_at,
        "actor": ref(e.actor),
        "payload": e.payload if payload is None else payload,
    }


def deadline_out(d: Deadline) -> dict[str, Any]:
    now = timezone.now()
    return {
        "id": d.public_id,
        "case": d.case.public_id if d.case is not None else None,
        "kind": d.kind,
        "title": d.title,
        "starts_at": d.starts_at,
        "due_at": d.due_at,
        "met_at": d.met_at,
        "level": d.level(now),
        "status": d.status_label(now),
        "rule": d.rule_id,
        "rulebook": d.rulebook_id,
        "article": d.article,
        "quote": d.quote,
    }


@router.get("/me", response={200: s.OfficerOut, **ERRORS}, summary="当前用户")
def me(request: HttpRequest) -> dict[str, Any]:
    o = officer_of(request)
    return {
        "id": o.public_id,
        "username": o.username,
        "full_name": o.full_name,
        "agency": ref(o.agency),
        "roles": sorted(o.role_set()),
        "certificate_no": o.certificate_no,
        "certificate_valid_until": o.certificate_valid_until,
    }


@router.get(
    "/cases",
    response={200: list[s.CaseOut], **ERRORS},
    summary="案件列表（本人可见范围）",
    description=TOTAL_NOTE,
    openapi_extra=TOTAL_HEADER,
)
def cases_list(
    request: HttpRequest,
    response: HttpResponse,
    stage: str | None = None,
    q: str = "",
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> list[dict[str, Any]]:
    officer = officer_of(request)
    if stage is not None and stage not in Stage.values:
        raise DomainError(message="「阶段」的取值无效。", code="invalid_input", status=422)
    qs = cs.case_list_for(officer, stage=stage, query=q[:100])
    response["X-Total-Count"] = str(qs.count())
    rows = qs[offset : offset + limit]
    return [case_out(c, officer) for c in rows]


@router.post("/cases", response={201: s.CaseOut, **BODY_ERRORS}, summary="登记案件（程序启动）")
def cases_create(request: HttpRequest, payload: s.CaseIn) -> Status[dict[str, Any]]:
    officer = officer_of(request)
    case = services.case_open(actor=officer, **payload.dict())
    return Status(201, case_out(case, officer))


@router.get("/cases/{case_id}", response={200: s.CaseOut, **ERRORS}, summary="案件详情")
def cases_get(request: HttpRequest, case_id: str) -> dict[str, Any]:
    officer = officer_of(request)
    return case_out(cs.case_get_for(officer, case_id), officer)


@router.post(
    "/cases/{case_id}/advance", response={200: s.TransitionOut, **BODY_ERRORS}, summary="推进案件阶段"
)
def cases_advance(request: HttpRequest, case_id: str, payload: s.AdvanceIn) -> dict[str, Any]:
    officer = officer_of(request)
    case = cs.case_get_for(officer, case_id)
    t = services.case_advance(actor=officer, case=case, **payload.dict())
    return {"from_stage": t.from_stage, "to_stage": t.to_stage, "at": t.at, "reason": t.reason}


@router.post(
    "/cases/{case_id}/act-end",
    response={201: s.ActEndOut, **BODY_ERRORS},
    summary="记录执法行为终结（更正须说明理由）",
)
def cases_act_end(request: HttpRequest, case_id: str, payload: s.ActEndIn) -> Status[dict[str, Any]]:
    officer = officer_of(request)
    case = cs.case_get_for(officer, case_id)
    row = services.case_act_end(actor=officer, case=case, **payload.dict())
    return Status(
        201,
        {
            "id": row.public_id,
            "ended_on": row.ended_on,
            "kind": row.kind,
            "kind_label": row.get_kind_display(),
            "note": row.note,
            "replaces": row.replaces.public_id if row.replaces else None,
            "correction_reason": row.correction_reason,
            "recorded_at": row.recorded_at,
        },
    )


@router.get("/cases/{case_id}/parties", response={200: list[s.PartyOut], **ERRORS}, summary="当事人列表")
def parties_list(request: HttpRequest, case_id: str) -> list[dict[str, Any]]:
    case = cs.case_get_for(officer_of(request), case_id)
    return [party_out(p) for p in case.parties.all()]


@router.post("/cases/{case_id}/parties", response={201: s.PartyOut, **BODY_ERRORS}, summary="登记当事人")
def parties_create(request: HttpRequest, case_id: str, payload: s.PartyIn) -> Status[dict[str, Any]]:
    officer = officer_of(request)
    case = cs.case_get_for(officer, case_id)
    return Status(201, party_out(services.party_add(actor=officer, case=case, **payload.dict())))


@router.get("/cases/{case_id}/approvals", response={200: list[s.ApprovalOut], **ERRORS}, summary="案件的审批")
def approvals_of_case(request: HttpRequest, case_id: str) -> list[dict[str, Any]]:
    case = cs.case_get_for(officer_of(request), case_id)
    return [approval_out(a) for a in case.approvals.select_related("case", "requested_by")]


@router.post("/cases/{case_id}/approvals", response={201: s.ApprovalOut, **BODY_ERRORS}, summary="提请审批")
def approvals_create(request: HttpRequest, case_id: str, payload: s.ApprovalIn) -> Status[dict[str, Any]]:
    officer = officer_of(request)
    case = cs.case_get_for(officer, case_id)
    return Status(201, approval_out(services.approval_request(actor=officer, case=case, **payload.dict())))


@router.get("/approvals/waiting", response={200: list[s.ApprovalOut], **ERRORS}, summary="待我审批")
def approvals_waiting(request: HttpRequest) -> list[dict[str, Any]]:
    return [approval_out(a) for a in cs.approvals_waiting_for(officer_of(request))]


@router.get("/approvals/{approval_id}", response={200: s.ApprovalOut, **ERRORS}, summary="审批详情")
def approvals_get(request: HttpRequest, approval_id: str) -> dict[str, Any]:
    return approval_out(cs.approval_get_for(officer_of(request), approval_id))


@router.post(
    "/approvals/{approval_id}/grant", response={200: s.ApprovalOut, **BODY_ERRORS}, summary="审批同意（签署）"
)
def approvals_grant(request: HttpRequest, approval_id: str, payload: s.DecisionIn) -> dict[str, Any]:
    officer = officer_of(request)
    approval = cs.approval_get_for(officer, approval_id)
    services.approval_grant(
        actor=officer, approval=approval, signature_method=signature_method(request), **payload.dict()
    )
    approval.refresh_from_db()
    return approval_out(approval)


@router.post(
    "/approvals/{approval_id}/reject", response={200: s.ApprovalOut, **BODY_ERRORS}, summary="审批退回"
)
def approvals_reject(request: HttpRequest, approval_id: str, payload: s.DecisionIn) -> dict[str, Any]:
    officer = officer_of(request)
    approval = cs.approval_get_for(officer, approval_id)
    services.approval_reject(
        actor=officer, approval=approval, signature_method=signature_method(request), **payload.dict()
    )
    approval.refresh_from_db()
    return approval_out(approval)


@router.get(
    "/cases/{case_id}/events", response={200: list[s.EventOut], **ERRORS}, summary="案件日志事件（时间线）"
)
def case_events(request: HttpRequest, case_id: str) -> list[dict[str, Any]]:
    officer = officer_of(request)
    case = cs.case_get_for(officer, case_id)
    # An event about a marked record the reader may not read: its metadata and the mark.
    view = content_view(officer, cases=[case])
    return [event_out(e.event, e.payload) for e in events_for(view, cs.case_timeline(case))]


@router.get("/cases/{case_id}/deadlines", response={200: list[s.DeadlineOut], **ERRORS}, summary="案件期限")
def case_deadlines(request: HttpRequest, case_id: str) -> list[dict[str, Any]]:
    case = cs.case_get_for(officer_of(request), case_id)
    return [deadline_out(d) for d in case.deadlines.select_related("case")]


@router.get("/rulebooks", response={200: list[s.RulebookSummaryOut], **ERRORS}, summary="规则集")
def rulebooks(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "id": b.id,
            "version": b.version,
            "title": b.title,
            "issuer": b.issuer,
            "effective_from": b.effective_from,
            "rules": len(b.rules),
        }
        for versions in all_rulebooks().values()
        for b in versions
    ]


@router.get("/cases/{case_id}/check", response={200: s.CaseCheckOut, **ERRORS}, summary="按规则集检查案件")
def case_check(request: HttpRequest, case_id: str) -> dict[str, Any]:
    officer = officer_of(request)
    case = cs.case_get_for(officer, case_id)
    facts = gather(case)
    results = evaluate(facts)
    # A finding about a marked record the reader may not read says so instead of quoting it.
    view = content_view(officer, cases=[case])
    return {
        "case": case.public_id,
        "number": case.number,
        "stage": case.stage,
        "blocking": [result_dict(view, r) for r in results if r.blocking],
        "results": [result_dict(view, r) for r in results],
        "next_steps": [
            {"to_stage": to, "label": label, "blocking": [result_dict(view, r) for r in blocking]}
            for to, label, blocking in next_steps(facts, services.allowed_transitions(case.stage, case))
        ],
    }


@router.get(
    "/alerts",
    response={200: list[s.AlertOut], **ERRORS},
    summary="期限预警（黄牌、红牌）",
    description=TOTAL_NOTE,
    openapi_extra=TOTAL_HEADER,
)
def alerts(
    request: HttpRequest,
    response: HttpResponse,
    level: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
) -> list[dict[str, Any]]:
    qs = alerts_for(officer_of(request))
    if level is not None:
        if level not in ("yellow", "red"):
            raise DomainError(message="「级别」应为 yellow 或 red。", code="invalid_input", status=422)
        qs = qs.filter(level=level)
    response["X-Total-Count"] = str(qs.count())
    return [
        {
            "id": a.public_id,
            "level": a.level,
            "level_label": a.get_level_display(),
            "raised_at": a.raised_at,
            "deadline": deadline_out(a.deadline),
            "case_number": a.deadline.case.number if a.deadline.case is not None else None,
            "agency": ref(a.deadline.agency),
        }
        for a in qs[:limit]
    ]
