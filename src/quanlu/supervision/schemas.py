"""Output shapes of the supervision API: rectification orders (整改通知)."""

from __future__ import annotations

import datetime as dt
import uuid

from ninja import Schema
from pydantic import Field

from quanlu.api.schemas import AsGiven, Ref

# The order's snapshots (JSON columns) render as stored: see AsGiven.


class OrderCaseOut(AsGiven):
    id: str = Field(description="案件的公开标识（下达时的快照）")
    number: str


class OrderRuleFindingOut(AsGiven):
    """An unmet rule of a named case at issue, with its citation (a snapshot)."""

    case: str = Field(description="案件编号")
    rule: str
    message: str
    article: str
    citation: str
    quote: str


class RectificationReviewOut(Schema):
    id: uuid.UUID
    outcome: str
    by: Ref
    at: dt.datetime
    opinion: str


class RectificationResponseOut(Schema):
    id: uuid.UUID
    by: Ref
    at: dt.datetime
    measures: str
    reviews: list[RectificationReviewOut]


class RectificationOrderOut(Schema):
    id: uuid.UUID
    agency: Ref
    issuer_agency: Ref
    issued_by: Ref
    issued_at: dt.datetime
    issuer_basis: str
    findings: str
    requirements: str
    due_at: dt.datetime | None
    status: str
    status_label: str
    level: str | None = Field(description="期限预警级别；未定整改期限时为空")
    cases: list[OrderCaseOut]
    rule_findings: list[OrderRuleFindingOut]
    rule: str
    rulebook: str
    article: str
    quote: str
    responses: list[RectificationResponseOut]
