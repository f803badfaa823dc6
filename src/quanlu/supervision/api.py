"""Rectification orders (整改通知) over the API (thin: parse, authorise, call one
service, render). Deadlines and alerts are under cases.api (``/alerts``)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema
from ninja.responses import Status

from quanlu.api.base import BODY_ERRORS, ERRORS, officer_of, ref
from quanlu.cases import selectors as cs
from quanlu.core.errors import NotFound
from quanlu.org.selectors import visible_agencies
from quanlu.supervision import schemas, services
from quanlu.supervision.models import RectificationOrder
from quanlu.supervision.selectors import (
    rectification_deadline,
    rectification_order_get_for,
    rectification_orders_for,
)

router = Router(tags=["执法监督"])


class OrderIn(Schema):
    agency: uuid.UUID
    findings: str
    requirements: str
    due_at: dt.datetime | None = None
    cases: list[uuid.UUID] = []
    with_rule_findings: bool = True


class ResponseIn(Schema):
    measures: str


class ReviewIn(Schema):
    opinion: str = ""


def order_out(order: RectificationOrder) -> dict[str, Any]:
    now = timezone.now()
    deadline = rectification_deadline(order)
    return {
        "id": order.public_id,
        "agency": ref(order.agency),
        "issuer_agency": ref(order.issuer_agency),
        "issued_by": ref(order.issued_by),
        "issued_at": order.issued_at,
        "issuer_basis": order.issuer_basis,
        "findings": order.findings,
        "requirements": order.requirements,
        "due_at": order.due_at,
        "status": order.status,
        "status_label": order.get_status_display(),
        "level": deadline.level(now) if deadline is not None else None,
        "cases": order.cases,
        "rule_findings": order.rule_findings,
        "rule": order.rule_id,
        "rulebook": order.rulebook_id,
        "article": order.article,
        "quote": order.quote,
        "responses": [
            {
                "id": r.public_id,
                "by": ref(r.responded_by),
                "at": r.responded_at,
                "measures": r.measures,
                "reviews": [
                    {
                        "id": v.public_id,
                        "outcome": v.outcome,
                        "by": ref(v.reviewed_by),
                        "at": v.reviewed_at,
                        "opinion": v.opinion,
                    }
                    for v in r.reviews.all()
                ],
            }
            for r in order.responses.all()
        ],
    }


@router.get(
    "/rectification-orders",
    response={200: list[schemas.RectificationOrderOut], **ERRORS},
    summary="整改通知列表",
)
def order_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [order_out(o) for o in rectification_orders_for(officer_of(request))[:200]]


@router.post(
    "/rectification-orders",
    response={201: schemas.RectificationOrderOut, **BODY_ERRORS},
    summary="下达整改通知",
)
def order_issue(request: HttpRequest, payload: OrderIn) -> Status[dict[str, Any]]:
    officer = officer_of(request)
    agency = visible_agencies(officer).filter(public_id=payload.agency).first()
    if agency is None:
        raise NotFound()
    cases = [cs.case_get_for(officer, uid) for uid in payload.cases]
    order = services.rectification_order_issue(
        actor=officer,
        agency=agency,
        findings=payload.findings,
        requirements=payload.requirements,
        due_at=payload.due_at,
        cases=cases,
        with_rule_findings=payload.with_rule_findings,
    )
    return Status(201, order_out(order))


@router.get(
    "/rectification-orders/{order_id}",
    response={200: schemas.RectificationOrderOut, **ERRORS},
    summary="整改通知",
)
def order_detail(request: HttpRequest, order_id: str) -> dict[str, Any]:
    return order_out(rectification_order_get_for(officer_of(request), order_id))


@router.post(
    "/rectification-orders/{order_id}/responses",
    response={201: schemas.RectificationOrderOut, **BODY_ERRORS},
    summary="报告整改情况",
)
def order_respond(request: HttpRequest, order_id: str, payload: ResponseIn) -> Status[dict[str, Any]]:
    officer = officer_of(request)
    order = rectification_order_get_for(officer, order_id)
    services.rectification_order_respond(actor=officer, order=order, measures=payload.measures)
    return Status(201, order_out(order))


@router.post(
    "/rectification-orders/{order_id}/accept",
    response={200: schemas.RectificationOrderOut, **BODY_ERRORS},
    summary="整改验收通过",
)
def order_accept(request: HttpRequest, order_id: str, payload: ReviewIn) -> dict[str, Any]:
    officer = officer_of(request)
    order = rectification_order_get_for(officer, order_id)
    services.rectification_order_accept(actor=officer, order=order, opinion=payload.opinion)
    return order_out(order)


@router.post(
    "/rectification-orders/{order_id}/return",
    response={200: schemas.RectificationOrderOut, **BODY_ERRORS},
    summary="整改退回",
)
def order_return(request: HttpRequest, order_id: str, payload: ReviewIn) -> dict[str, Any]:
    officer = officer_of(request)
    order = rectification_order_get_for(officer, order_id)
    services.rectification_order_return(actor=officer, order=order, opinion=payload.opinion)
    return order_out(order)
