"""Rectification orders (整改通知) over the API (thin: parse, authorise, call one
service, render). Deadlines and alerts are under cases.api (``/alerts``)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.responses import Status

from quanlu.api.base import BODY_ERRORS, ERRORS, officer_of, ref
from quanlu.cases import selectors as cs
from quanlu.core.errors import InvalidInput, NotFound
from quanlu.org.models import Agency, Officer
from quanlu.org.selectors import visible_agencies
from quanlu.supervision import filing, liability, schemas, services, statistics
from quanlu.supervision.feed import MAX_PAGE, feed_page, item_dict
from quanlu.supervision.filing import FilingState, filing_states_for
from quanlu.supervision.models import RectificationOrder
from quanlu.supervision.selectors import (
    rectification_deadline,
    rectification_order_get_for,
    rectification_orders_for,
)
from quanlu.supervision.statistics import row_dict

router = Router(tags=["执法监督"])


class FeedItemOut(Schema):
    log: str
    index: int
    agency: uuid.UUID | None
    seq: int
    id: uuid.UUID
    type: str
    label: str
    at: dt.datetime
    case: uuid.UUID | None
    actor: dict[str, Any] | None
    payload: dict[str, Any]


class FeedOut(Schema):
    items: list[FeedItemOut]
    cursor: str
    has_more: bool


@router.get(
    "/feed",
    response={200: FeedOut, **ERRORS},
    summary="变更数据（供省级平台、数据仓库增量拉取）",
    description=(
        "本人可见机关的全部日志事件，按各机关透明日志的入树顺序分页。首次不带 cursor；"
        "之后原样传回上一页的 cursor，直到 has_more 为 false；稍后再用最后的 cursor 拉取新的变更。"
        "同一 cursor 重复拉取得到同样的事件，不遗漏、不重复。尚未入树的事件（最多延迟 "
        "QUANLU_LEDGER_INTERVAL 秒）出现在以后的页中。涉密记录的事件只显示标注。"
        "仅执法监督人员和系统管理员可用。"
    ),
)
def feed(
    request: HttpRequest, cursor: str = "", limit: int = Query(500, ge=1, le=MAX_PAGE)
) -> dict[str, Any]:
    page = feed_page(officer_of(request), cursor=cursor[:100_000], limit=limit)
    return {"items": [item_dict(i) for i in page.items], "cursor": page.cursor, "has_more": page.has_more}


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


class FilingStateOut(Schema):
    agency: dict[str, Any]
    rulebook: str
    version: int
    status: str
    status_label: str
    article: str | None
    filing: uuid.UUID | None
    document_number: str | None
    filed_at: dt.datetime | None
    attachment_sha256: str | None
    decided_at: dt.datetime | None
    reason: str | None


class FilingIn(Schema):
    document_number: str
    attachment_base64: str = ""
    attachment_name: str = ""


class FilingDecisionIn(Schema):
    outcome: str
    reason: str = ""


def filing_state_out(st: FilingState) -> dict[str, Any]:
    f, d = st.filing, st.decision
    return {
        "agency": ref(st.agency),
        "rulebook": st.agency.rulebook_id,
        "version": st.version,
        "status": st.status,
        "status_label": st.status_label,
        "article": st.rule.citation.label() if st.rule else None,
        "filing": f.public_id if f else None,
        "document_number": f.document_number if f else None,
        "filed_at": f.filed_at if f else None,
        "attachment_sha256": (f.attachment_sha256 or None) if f else None,
        "decided_at": d.decided_at if d else None,
        "reason": d.reason if d else None,
    }


@router.get(
    "/rulebook-filings",
    response={200: list[FilingStateOut], **ERRORS},
    summary="记录制度备案情况（本人可见机关）",
)
def filings_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [filing_state_out(st) for st in filing_states_for(officer_of(request))]


@router.post(
    "/rulebook-filings", response={201: FilingStateOut, **BODY_ERRORS}, summary="报送本机关记录制度备案"
)
def filings_create(request: HttpRequest, payload: FilingIn) -> Status[dict[str, Any]]:
    officer = officer_of(request)
    try:
        data = base64.b64decode(payload.attachment_base64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("报备文本应为 base64 编码。", field_name="attachment_base64") from exc
    filing.rulebook_filing_submit(
        actor=officer,
        document_number=payload.document_number,
        attachment=data,
        attachment_name=payload.attachment_name,
    )
    own = next(st for st in filing_states_for(officer) if st.agency.pk == officer.agency_id)
    return Status(201, filing_state_out(own))


@router.post(
    "/rulebook-filings/{filing_id}/decision",
    response={200: FilingStateOut, **BODY_ERRORS},
    summary="审查记录制度备案（予以备案或退回）",
)
def filings_decide(request: HttpRequest, filing_id: str, payload: FilingDecisionIn) -> dict[str, Any]:
    officer = officer_of(request)
    found = filing.filing_get_for(officer, filing_id)
    decision = filing.rulebook_filing_decide(
        actor=officer, filing=found, outcome=payload.outcome, reason=payload.reason
    )
    state = FilingState(
        agency=found.agency,
        rule=filing.filing_rule(found.agency),
        version=found.rulebook_version,
        filing=found,
        decision=decision,
    )
    return filing_state_out(state)


class AgencyRef(Schema):
    id: uuid.UUID
    name: str


class LiabilityPersonOut(Schema):
    officer: uuid.UUID
    name: str
    role: str


class LiabilityEvidenceOut(Schema):
    kind: str
    ref: str
    label: str


class LiabilityEntryOut(Schema):
    kind: str
    kind_label: str
    text: str
    by: str
    at: dt.datetime


class LiabilityOut(Schema):
    id: uuid.UUID
    agency: AgencyRef
    opening_agency: AgencyRef
    opened_at: dt.datetime
    ground: str
    ground_label: str
    article: str
    item_text: str
    facts: str
    persons: list[LiabilityPersonOut]
    evidence: list[LiabilityEvidenceOut]
    entries: list[LiabilityEntryOut]
    closed: bool


class DeadlineFiguresOut(Schema):
    red: int
    yellow: int
    open: int
    met_on_time: int
    met_late: int


class RectificationFiguresOut(Schema):
    issued: int
    open: int
    overdue: int


class CertificateFiguresOut(Schema):
    holders: int
    suspended: int
    expired: int
    expiring: int


class StatisticsRowOut(Schema):
    agency: AgencyRef
    cases: int
    by_kind: dict[str, int]
    by_procedure: dict[str, int]
    by_stage: dict[str, int]
    deadlines: DeadlineFiguresOut
    rectification: RectificationFiguresOut
    certificates: CertificateFiguresOut


class PersonIn(Schema):
    officer: str
    role: str


class EvidenceIn(Schema):
    kind: str
    ref: str


class LiabilityIn(Schema):
    agency: uuid.UUID
    ground: str
    facts: str
    persons: list[PersonIn] = []
    evidence: list[EvidenceIn] = []


class LiabilityEntryIn(Schema):
    kind: str
    text: str


@router.get("/liability-cases", response={200: list[LiabilityOut], **ERRORS}, summary="责任追究列表")
def liability_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [liability.case_dict(c) for c in liability.liability_cases_for(officer_of(request))[:500]]


@router.post("/liability-cases", response={201: LiabilityOut, **BODY_ERRORS}, summary="责任追究立案")
def liability_open(request: HttpRequest, payload: LiabilityIn) -> Status[dict[str, Any]]:
    officer = officer_of(request)
    agency = visible_agencies(officer).filter(public_id=payload.agency).first()
    if agency is None:
        raise NotFound()
    case = liability.liability_case_open(
        actor=officer,
        agency=agency,
        ground=payload.ground,
        facts=payload.facts,
        persons=[p.dict() for p in payload.persons],
        evidence=[e.dict() for e in payload.evidence],
    )
    return Status(201, liability.case_dict(case))


@router.get("/liability-cases/{case_id}", response={200: LiabilityOut, **ERRORS}, summary="责任追究详情")
def liability_get(request: HttpRequest, case_id: str) -> dict[str, Any]:
    return liability.case_dict(liability.liability_case_get_for(officer_of(request), case_id))


@router.post(
    "/liability-cases/{case_id}/entries",
    response={201: LiabilityOut, **BODY_ERRORS},
    summary="责任追究处理决定或结案",
)
def liability_entry(request: HttpRequest, case_id: str, payload: LiabilityEntryIn) -> Status[dict[str, Any]]:
    officer = officer_of(request)
    case = liability.liability_case_get_for(officer, case_id)
    liability.liability_case_record(actor=officer, case=case, kind=payload.kind, text=payload.text)
    return Status(201, liability.case_dict(case))


def _statistics_scope(
    request: HttpRequest, since: dt.datetime | None, until: dt.datetime | None, agency: uuid.UUID | None
) -> tuple[Officer, Agency | None]:
    """The reader and the tree asked for (404 for an agency they may not see), the
    period checked; the same filters for every figure."""
    officer = officer_of(request)
    within = None
    if agency is not None:
        within = visible_agencies(officer).filter(public_id=agency).first()
        if within is None:
            raise NotFound()
    if since is not None and until is not None and since >= until:
        raise InvalidInput("统计期间的起始时间应早于截止时间。", field_name="since")
    return officer, within


_FILTERS = (
    "since、until 为 ISO 8601 时间（含起不含止）；agency 限定为该机关及其下级；"
    "只统计本人可见的行政执法机关，不可见的 agency 答 404。"
)


Figure = Callable[..., list[dict[str, Any]]]


def _figure_endpoint(path: str, figure: Figure, out: Any, summary: str, description: str) -> None:
    """One GET /statistics/<path> per figure of ``supervision.statistics``, all with the
    same filters (the figure functions stay callable on their own, for the dashboards)."""

    def endpoint(
        request: HttpRequest,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        agency: uuid.UUID | None = None,
    ) -> list[dict[str, Any]]:
        officer, within = _statistics_scope(request, since, until, agency)
        return [row_dict(r) for r in figure(officer, since=since, until=until, within=within)]

    endpoint.__name__ = f"statistics_{path}"
    router.get(
        f"/statistics/{path}",
        response={200: list[out], **ERRORS},
        summary=summary,
        description=description + _FILTERS,
        operation_id=f"statistics_{path}",
    )(endpoint)


for _path, _figure, _out, _summary, _description in (
    (
        "agencies",
        statistics.statistics_for,
        StatisticsRowOut,
        "统计：各机关案件、期限、整改、证件情况",
        "本人可见的每个行政执法机关一行：按执法类别、程序、阶段的案件数（按程序启动时间计入期间），"
        "期限（按到期时间计入期间：未完成的红牌、黄牌，按期完成、逾期完成），整改通知（下达、未结、逾期），"
        "执法证件（持证、暂扣或吊销、已过期、30 日内到期）。",
    ),
    (
        "rules",
        statistics.compliance_by_rule,
        schemas.RuleFiguresOut,
        "统计：各规则的符合情况（哪些义务被违反最多、在哪里）",
        "每个机关、每条规则一行：不符合、符合、尚未到期的案件数和符合率，不符合最多的在前。"
        "按各案件的合规检查结果（随案件每次变更更新）统计，案件按程序启动时间计入期间。",
    ),
    (
        "articles",
        statistics.compliance_by_article,
        schemas.ArticleFiguresOut,
        "统计：各条款的符合情况",
        "每个机关、规定的每一条款一行：至少一项规则不符合的案件数、全部符合的案件数和符合率。"
        "案件按程序启动时间计入期间。",
    ),
    (
        "coverage",
        statistics.av_coverage,
        schemas.CoverageOut,
        "统计：应音像记录环节的覆盖情况",
        "每个机关一行：规定应同步音像记录的环节（按规则和环节计）中，有音像记录、依规定除外、两者皆无的数量。"
        "案件按程序启动时间计入期间。",
    ),
    (
        "uploads",
        statistics.upload_timeliness,
        schemas.UploadTimelinessOut,
        "统计：音像记录按期储存情况",
        "每个机关一行：期间内入库的音像记录中，在规定时限内储存、逾期储存（其中记录了延后情形的）、规定未设时限的数量。",
    ),
    (
        "archiving",
        statistics.archive_timeliness,
        schemas.ArchiveTimelinessOut,
        "统计：立卷归档按期情况",
        "每个机关一行：期间内到期的立卷归档期限中，按期归档、逾期归档、已逾期未归档、未到期的数量。",
    ),
    (
        "durations",
        statistics.stage_durations,
        schemas.DurationOut,
        "统计：各阶段办理时长",
        "每个机关、每个阶段一行：已结束的阶段停留次数及其中位数、第 90 百分位数（天，最近秩）；"
        "尚在该阶段的案件不计。案件按程序启动时间计入期间。",
    ),
):
    _figure_endpoint(_path, _figure, _out, _summary, _description)
