"""Rulebooks and exemptions over the API (thin: parse, authorise, call one service,
render). A case's compliance check is ``GET /cases/{id}/check`` (cases.api)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import Field

from quanlu.api.base import BODY_ERRORS, ERRORS, officer_of, ref
from quanlu.api.schemas import Ref
from quanlu.cases import selectors as cs
from quanlu.media import services
from quanlu.media.models import Exemption
from quanlu.media.selectors import exemptions_of
from quanlu.rulebooks.loader import all_rulebooks

router = Router(tags=["规则集"])


class ExemptionIn(Schema):
    kind: str
    activity: str
    document: str
    # Asked only for other means of recording (其他方式); no regulation asks the reason
    # for "不适宜音像记录" as text (004 asks it in writing: written_reason).
    reason: str = ""
    written_reason: str | None = None
    client_token: uuid.UUID | None = None


class ExemptionOut(Schema):
    id: uuid.UUID
    case: uuid.UUID
    kind: str
    kind_label: str
    activity: str
    activity_label: str
    document: uuid.UUID
    reason: str
    written_reason: uuid.UUID | None
    recorded_by: Ref
    recorded_at: dt.datetime


class RuleOut(Schema):
    id: str
    kind: str
    params: dict[str, Any] = Field(description="规则参数（随规则种类而不同）")
    severity: str
    requirements: list[str]
    source: str
    article: str
    quote: str


class RulebookOut(Schema):
    id: str
    version: int
    title: str
    issuer: str
    source: str
    effective_from: dt.date | None
    supersedes: str | None
    action_types: list[str] | None = Field(description="规定列举的执法行为种类；未列举时为空")
    rules: list[RuleOut]


def exemption_out(e: Exemption) -> dict[str, Any]:
    return {
        "id": e.public_id,
        "case": e.case.public_id,
        "kind": e.kind,
        "kind_label": e.get_kind_display(),
        "activity": e.activity,
        "activity_label": e.get_activity_display(),
        "document": e.document_uid,
        "reason": e.reason,
        "written_reason": e.written_reason_uid,
        "recorded_by": ref(e.recorded_by),
        "recorded_at": e.recorded_at,
    }


@router.get(
    "/cases/{case_id}/exemptions",
    response={200: list[ExemptionOut], **ERRORS},
    summary="案件的音像记录除外情形",
)
def exemptions_list(request: HttpRequest, case_id: str) -> list[dict[str, Any]]:
    case = cs.case_get_for(officer_of(request), case_id)
    return [exemption_out(e) for e in exemptions_of(case).select_related("case")]


@router.post(
    "/cases/{case_id}/exemptions", response={201: ExemptionOut, **BODY_ERRORS}, summary="记录音像记录除外情形"
)
def exemptions_create(request: HttpRequest, case_id: str, payload: ExemptionIn) -> Status[dict[str, Any]]:
    officer = officer_of(request)
    case = cs.case_get_for(officer, case_id)
    exemption = services.exemption_record(actor=officer, case=case, **payload.dict())
    return Status(201, exemption_out(exemption))


@router.get("/rulebooks/{rulebook_id}", response={200: RulebookOut, **ERRORS}, summary="规则集的规则及依据")
def rulebook_detail(request: HttpRequest, rulebook_id: str) -> dict[str, Any]:
    officer_of(request)
    versions = all_rulebooks().get(rulebook_id)
    if not versions:
        raise Http404
    book = versions[-1]
    return {
        "id": book.id,
        "version": book.version,
        "title": book.title,
        "issuer": book.issuer,
        "source": book.source,
        "effective_from": book.effective_from,
        "supersedes": book.supersedes,
        "action_types": list(book.action_types) if book.action_types is not None else None,
        "rules": [
            {
                "id": r.id,
                "kind": r.kind,
                "params": r.params,
                "severity": r.severity,
                "requirements": list(r.requirements),
                "source": r.citation.source,
                "article": r.citation.article,
                "quote": r.citation.quote,
            }
            for r in book.rules
        ],
    }
