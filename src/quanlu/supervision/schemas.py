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


# ------------------------------------------------------------ statistics (/statistics/...)


class RuleFiguresOut(Schema):
    """One agency's cases judged by one rule (from the compliance projection)."""

    agency: Ref
    rulebook: str
    rule: str
    kind: str = Field(description="规则类型")
    severity: str = Field(description="block（阻断）或 warn（提示）")
    source: str = Field(description="规定文件名")
    article: str
    citation: str = Field(description="《规定标题》第X条")
    unmet: int = Field(description="不符合该规则的案件数")
    met: int = Field(description="符合该规则的案件数")
    pending: int = Field(description="尚未到期（未进入该阶段或期限未届满）的案件数")
    rate: float | None = Field(description="符合率 met/(met+unmet)；没有已判定的案件时为空")


class ArticleFiguresOut(Schema):
    agency: Ref
    rulebook: str
    source: str
    article: str
    citation: str
    rules: int = Field(description="该条款下的规则数")
    unmet: int = Field(description="至少一项规则不符合的案件数")
    met: int = Field(description="至少一项规则符合的案件数")
    kept: int = Field(description="已判定的规则全部符合的案件数")
    rate: float | None = Field(description="kept/(kept+unmet)")


class CoverageOut(Schema):
    agency: Ref
    required: int = Field(description="规定应同步音像记录的环节数（按规则和环节计）")
    recorded: int = Field(description="有音像记录的环节数")
    exempted: int = Field(description="依规定记录了除外情形的环节数")
    missing: int = Field(description="既无音像记录也无除外情形的环节数")
    rate: float | None = Field(description="recorded/required")


class UploadTimelinessOut(Schema):
    agency: Ref
    stored: int = Field(description="期间内入库的音像记录数")
    on_time: int = Field(description="在规定时限内储存")
    late: int = Field(description="逾期储存")
    late_explained: int = Field(description="逾期且记录了延后上传情形")
    no_limit: int = Field(description="规定未设时限")


class ArchiveTimelinessOut(Schema):
    agency: Ref
    due: int = Field(description="期间内到期的立卷归档期限数")
    on_time: int = Field(description="按期归档")
    late: int = Field(description="逾期归档")
    overdue: int = Field(description="已逾期尚未归档")
    running: int = Field(description="未到期尚未归档")


class DurationOut(Schema):
    agency: Ref
    stage: str
    stays: int = Field(description="已结束的阶段停留次数")
    median_days: float | None = Field(description="中位数（天，最近秩）")
    p90_days: float | None = Field(description="第 90 百分位数（天，最近秩）")
