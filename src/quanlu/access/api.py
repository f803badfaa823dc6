"""Confidentiality marks, approvals to read marked content, and copy requests over
the API (thin: parse, authorise, call one service)."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import Field

from quanlu.access import schemas, services
from quanlu.access import selectors as acs
from quanlu.access.models import ConfidentialityMark, CopyRequest, ReleaseLine
from quanlu.api.base import BODY_ERRORS, ERRORS, officer_of, ref
from quanlu.cases import selectors as cs
from quanlu.core.errors import NotFound
from quanlu.core.validation import parse_uuid
from quanlu.org.models import Officer

router = Router(tags=["查阅与保密"])


class ItemIn(Schema):
    kind: str = Field(description="document（文书）或 media（音像记录）")
    id: str


class MarkIn(Schema):
    item: ItemIn
    category: str = Field(
        description="state_secret 国家秘密 / trade_secret 商业秘密 / personal_privacy 个人隐私"
    )
    reason: str


class LiftIn(Schema):
    reason: str


class GrantIn(Schema):
    item: ItemIn
    grantee: str = Field(description="获准人员的公开标识")
    reason: str


class CopyRequestIn(Schema):
    requester_name: str
    requester_id_number: str = ""
    purpose: str
    mode: str = "copy"
    items: list[ItemIn]
    client_token: uuid.UUID | None = None


class CopyDecisionIn(Schema):
    reason: str = ""
    basis: str = Field("", description="规定未指明同意人的（004、001），写明决定依据")


def _item_ref(obj: Any) -> dict[str, Any]:
    item = obj.document or obj.media
    return {"kind": "document" if obj.document_id else "media", "id": item.public_id}


def mark_out(m: ConfidentialityMark) -> dict[str, Any]:
    return {
        "id": m.public_id,
        "item": _item_ref(m),
        "action": m.action,
        "category": m.category,
        "category_label": m.get_category_display(),
        "reason": m.reason,
        "lifts": m.lifts.public_id if m.lifts is not None else None,
        "live": m.action == "marked" and not hasattr(m, "lifted_by"),
        "actor": ref(m.actor),
        "at": m.at,
    }


def line_out(line: ReleaseLine) -> dict[str, Any]:
    return {
        "item": _item_ref(line),
        "title": line.title,
        "released": line.released,
        "sha256": line.sha256,
        "withheld_reason": line.withheld_reason,
        "rule": line.rule,
        "article": line.article,
        "quote": line.quote,
    }


def request_out(r: CopyRequest) -> dict[str, Any]:
    decision = getattr(r, "decision", None)
    fulfilment = getattr(r, "fulfilment", None)
    return {
        "id": r.public_id,
        "case": r.case.public_id,
        "mode": r.mode,
        "requester_name": r.requester_name,
        "purpose": r.purpose,
        "items": [_item_ref(i) for i in r.items.all()],
        "status": acs.copy_request_status(r),
        "registered_by": ref(r.registered_by),
        "registered_at": r.registered_at,
        "decision": None
        if decision is None
        else {
            "outcome": decision.outcome,
            "reason": decision.reason,
            "basis": decision.basis,
            "actor": ref(decision.actor),
            "at": decision.at,
        },
        "release": None
        if fulfilment is None
        else {
            "actor": ref(fulfilment.actor),
            "at": fulfilment.at,
            "lines": [line_out(x) for x in fulfilment.lines.all()],
        },
    }


def _case(request: HttpRequest, case_id: str) -> Any:
    return cs.case_get_for(officer_of(request), case_id)


@router.get(
    "/cases/{case_id}/confidentiality-marks",
    response={200: list[schemas.MarkOut], **ERRORS},
    summary="本案的涉密标注",
)
def marks_list(request: HttpRequest, case_id: str) -> list[dict[str, Any]]:
    return [mark_out(m) for m in acs.marks_of_case(_case(request, case_id))]


@router.post(
    "/cases/{case_id}/confidentiality-marks",
    response={201: schemas.MarkOut, **BODY_ERRORS},
    summary="标注涉密记录",
)
def marks_create(request: HttpRequest, case_id: str, payload: MarkIn) -> Status[dict[str, Any]]:
    case = _case(request, case_id)
    item = services.item_resolve(case, payload.item.kind, payload.item.id)
    mark = services.mark_add(
        actor=officer_of(request), item=item, category=payload.category, reason=payload.reason
    )
    return Status(201, mark_out(mark))


@router.post(
    "/confidentiality-marks/{mark_id}/lift",
    response={201: schemas.MarkOut, **BODY_ERRORS},
    summary="解除涉密标注",
)
def marks_lift(request: HttpRequest, mark_id: str, payload: LiftIn) -> Status[dict[str, Any]]:
    officer = officer_of(request)
    try:
        mark = ConfidentialityMark.objects.select_related("case").get(public_id=parse_uuid(mark_id))
    except ConfidentialityMark.DoesNotExist as exc:
        raise NotFound() from exc
    cs.case_get_for(officer, mark.case.public_id)
    lift = services.mark_lift(actor=officer, mark=mark, reason=payload.reason)
    return Status(201, mark_out(lift))


@router.post(
    "/cases/{case_id}/content-grants",
    response={201: schemas.GrantOut, **BODY_ERRORS},
    summary="批准查看涉密记录内容",
)
def grants_create(request: HttpRequest, case_id: str, payload: GrantIn) -> Status[dict[str, Any]]:
    case = _case(request, case_id)
    item = services.item_resolve(case, payload.item.kind, payload.item.id)
    grantee = Officer.objects.filter(public_id=parse_uuid(payload.grantee, field="grantee")).first()
    if grantee is None:
        raise NotFound("没有该人员。")
    grant = services.grant_issue(actor=officer_of(request), item=item, grantee=grantee, reason=payload.reason)
    return Status(
        201, {"id": grant.public_id, "item": _item_ref(grant), "grantee": ref(grantee), "at": grant.at}
    )


@router.get(
    "/cases/{case_id}/copy-requests",
    response={200: list[schemas.CopyRequestOut], **ERRORS},
    summary="本案的复制申请",
)
def copy_requests_list(request: HttpRequest, case_id: str) -> list[dict[str, Any]]:
    return [request_out(r) for r in acs.copy_requests_of(_case(request, case_id))]


@router.post(
    "/cases/{case_id}/copy-requests",
    response={201: schemas.CopyRequestOut, **BODY_ERRORS},
    summary="登记复制申请",
)
def copy_requests_create(
    request: HttpRequest, case_id: str, payload: CopyRequestIn
) -> Status[dict[str, Any]]:
    case = _case(request, case_id)
    items = [services.item_resolve(case, i.kind, i.id) for i in payload.items]
    r = services.copy_request_register(
        actor=officer_of(request),
        case=case,
        requester_name=payload.requester_name,
        requester_id_number=payload.requester_id_number,
        purpose=payload.purpose,
        mode=payload.mode,
        items=items,
        client_token=payload.client_token,
    )
    return Status(201, request_out(r))


def _request(request: HttpRequest, request_id: str) -> CopyRequest:
    return acs.copy_request_get_for(officer_of(request), request_id)


def _fresh(r: CopyRequest) -> dict[str, Any]:
    return request_out(acs.copy_requests_of(r.case).get(pk=r.pk))


@router.get(
    "/copy-requests/{request_id}", response={200: schemas.CopyRequestOut, **ERRORS}, summary="复制申请详情"
)
def copy_requests_get(request: HttpRequest, request_id: str) -> dict[str, Any]:
    return _fresh(_request(request, request_id))


@router.post(
    "/copy-requests/{request_id}/approve",
    response={201: schemas.CopyRequestOut, **BODY_ERRORS},
    summary="同意复制申请",
)
def copy_requests_approve(
    request: HttpRequest, request_id: str, payload: CopyDecisionIn
) -> Status[dict[str, Any]]:
    r = _request(request, request_id)
    services.copy_request_decide(
        actor=officer_of(request), request=r, approve=True, reason=payload.reason, basis=payload.basis
    )
    return Status(201, _fresh(r))


@router.post(
    "/copy-requests/{request_id}/refuse",
    response={201: schemas.CopyRequestOut, **BODY_ERRORS},
    summary="不同意复制申请",
)
def copy_requests_refuse(
    request: HttpRequest, request_id: str, payload: CopyDecisionIn
) -> Status[dict[str, Any]]:
    r = _request(request, request_id)
    services.copy_request_decide(
        actor=officer_of(request), request=r, approve=False, reason=payload.reason, basis=payload.basis
    )
    return Status(201, _fresh(r))


@router.post(
    "/copy-requests/{request_id}/fulfil",
    response={201: schemas.CopyRequestOut, **ERRORS},
    summary="提供复制件",
)
def copy_requests_fulfil(request: HttpRequest, request_id: str) -> Status[dict[str, Any]]:
    r = _request(request, request_id)
    services.copy_request_fulfil(actor=officer_of(request), request=r)
    return Status(201, _fresh(r))
