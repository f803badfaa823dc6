"""案卷评查 over the API (thin: parse, authorise, call one service, render)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status

from quanlu.api.base import BODY_ERRORS, ERRORS, officer_of, ref
from quanlu.api.schemas import Ref
from quanlu.core.errors import InvalidInput, NotFound
from quanlu.file_review import selectors, services, sheets
from quanlu.file_review.models import Campaign, ItemScore, ReviewSheet, SampledCase
from quanlu.org.models import Officer

router = Router(tags=["案卷评查"])


# ---------------------------------------------------------------- schemas


class SheetOut(Schema):
    id: uuid.UUID | None
    version: int
    title: str
    origin: str
    points: int
    content: dict[str, Any]


class SheetIn(Schema):
    content: dict[str, Any]


class CampaignIn(Schema):
    title: str
    method: str
    per_agency: int | None = None
    seed: str = ""
    agencies: list[uuid.UUID] = []
    kind: str = ""
    opened_from: dt.date | None = None
    opened_to: dt.date | None = None
    only_breached: bool = False


class SampleOut(Schema):
    id: uuid.UUID
    position: int
    case: Ref
    case_number: str
    agency: Ref
    lead_officer: Ref
    reason: str
    scored: bool
    possible: Decimal | None
    awarded: Decimal | None
    percent: Decimal | None


class CampaignOut(Schema):
    id: uuid.UUID
    title: str
    body: Ref
    sheet: Ref
    sheet_version: int
    method: str
    params: dict[str, Any]
    opened_by: Ref
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    conclusion: str
    samples: list[SampleOut]


class CampaignListOut(Schema):
    id: uuid.UUID
    title: str
    body: Ref
    method: str
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    cases: int


class ItemOut(Schema):
    item: str
    section: str
    title: str
    guidance: str
    points: int
    rulebook: str
    articles: str
    quote: str
    rules: list[str]
    prefill_applicable: bool
    prefill_awarded: Decimal
    prefill_finding: str
    applicable: bool | None
    awarded: Decimal | None
    finding: str | None
    change_reason: str | None


class ScoringOut(Schema):
    sample: SampleOut
    items: list[ItemOut]
    opinion: str
    scored_by: Ref | None
    scored_at: dt.datetime | None


class EntryIn(Schema):
    item: str
    applicable: bool = True
    awarded: Decimal | None = None
    finding: str | None = None
    reason: str = ""


class ScoreIn(Schema):
    entries: list[EntryIn] = []
    opinion: str = ""


class TallyOut(Schema):
    name: str
    id: uuid.UUID | None
    cases: int
    scored: int
    possible: Decimal
    awarded: Decimal
    lost: Decimal
    percent: Decimal | None


class ArticleLossOut(Schema):
    rulebook: str
    article: str
    citation: str
    lost: Decimal
    items: int


class LostItemOut(Schema):
    id: uuid.UUID
    case_number: str
    agency: Ref
    item: str
    title: str
    lost: Decimal
    article: str
    finding: str


class ResultsOut(Schema):
    campaign: uuid.UUID
    closed: bool
    total: TallyOut
    agencies: list[TallyOut]
    officers: list[TallyOut]
    articles: list[ArticleLossOut]
    lost_items: list[LostItemOut]


class ReviewOrderIn(Schema):
    agency: uuid.UUID
    items: list[uuid.UUID]
    requirements: str
    due_at: dt.datetime | None = None


class ReviewOrderOut(Schema):
    id: uuid.UUID
    order: uuid.UUID
    agency: Ref
    items: list[str]
    issued_at: dt.datetime


class CloseIn(Schema):
    conclusion: str


# ---------------------------------------------------------------- answers


def sheet_out(sheet: ReviewSheet | None) -> dict[str, Any]:
    if sheet is None:  # the body has none of its own yet: the one its first campaign takes up
        content = sheets.default_sheet()
        return {
            "id": None,
            "version": 0,
            "title": content["title"],
            "origin": "default",
            "content": content,
            "points": sheets.total_points(content),
        }
    return {
        "id": sheet.public_id,
        "version": sheet.version,
        "title": sheet.title,
        "origin": sheet.origin,
        "points": sheets.total_points(sheet.content),
        "content": sheet.content,
    }


def sample_out(sample: SampledCase, score: Any) -> dict[str, Any]:
    case = sample.case
    return {
        "id": sample.public_id,
        "position": sample.position,
        "case": {"id": case.public_id, "name": case.cause},
        "case_number": case.number,
        "agency": ref(sample.agency),
        "lead_officer": ref(case.lead_officer),
        "reason": sample.reason,
        "scored": score is not None,
        "possible": score.possible if score else None,
        "awarded": score.awarded if score else None,
        "percent": score.percent if score else None,
    }


def campaign_out(officer: Officer, campaign: Campaign) -> dict[str, Any]:
    only = selectors.reviewed_agency_only(officer, campaign)
    scores = selectors.current_scores(campaign)
    return {
        "id": campaign.public_id,
        "title": campaign.title,
        "body": ref(campaign.body),
        "sheet": {"id": campaign.sheet.public_id, "name": campaign.sheet.title},
        "sheet_version": campaign.sheet.version,
        "method": campaign.method,
        "params": campaign.params,
        "opened_by": ref(campaign.opened_by),
        "opened_at": campaign.opened_at,
        "closed_at": campaign.closed_at,
        "conclusion": campaign.conclusion,
        "samples": [sample_out(s, scores.get(s.pk)) for s in selectors.samples_of(campaign, only)],
    }


def _tally(t: selectors.Tally) -> dict[str, Any]:
    return {
        "name": t.name,
        "id": getattr(t.ref, "public_id", None),
        "cases": t.cases,
        "scored": t.scored,
        "possible": t.possible,
        "awarded": t.awarded,
        "lost": t.lost,
        "percent": t.percent,
    }


def _lost_item(i: ItemScore) -> dict[str, Any]:
    return {
        "id": i.public_id,
        "case_number": i.score.sample.case.number,
        "agency": ref(i.score.sample.agency),
        "item": i.item,
        "title": i.title,
        "lost": i.lost,
        "article": i.article,
        "finding": i.finding,
    }


def results_out(officer: Officer, campaign: Campaign) -> dict[str, Any]:
    res = selectors.results(campaign, selectors.reviewed_agency_only(officer, campaign))
    return {
        "campaign": campaign.public_id,
        "closed": campaign.closed,
        "total": _tally(res.total),
        "agencies": [_tally(t) for t in res.agencies],
        "officers": [_tally(t) for t in res.officers],
        "articles": res.articles,
        "lost_items": [_lost_item(i) for i in res.lost_items],
    }


def _sample_for(officer: Officer, campaign_id: str, sample_id: str) -> tuple[Campaign, SampledCase]:
    campaign = selectors.campaign_get_for(officer, campaign_id)
    sample = selectors.sample_get(campaign, sample_id)
    only = selectors.reviewed_agency_only(officer, campaign)
    if only is not None and sample.agency_id != only.pk:
        raise NotFound()
    return campaign, sample


def scoring_out(officer: Officer, campaign: Campaign, sample: SampledCase) -> dict[str, Any]:
    score = selectors.current_score(sample)
    kept = {i.item: i for i in score.items.all()} if score else {}
    items = []
    for p in selectors.prefill(officer, sample.case, campaign.sheet.content):
        it, done = p.item, kept.get(p.item.code)
        items.append(
            {
                "item": it.code,
                "section": it.section_title,
                "title": it.title,
                "guidance": it.guidance,
                "points": it.points,
                "rulebook": it.rulebook_id,
                "articles": it.articles,
                "quote": it.quote,
                "rules": list(it.rules),
                "prefill_applicable": p.applicable,
                "prefill_awarded": p.awarded,
                "prefill_finding": p.finding,
                "applicable": done.applicable if done else None,
                "awarded": done.awarded if done else None,
                "finding": done.finding if done else None,
                "change_reason": done.change_reason if done else None,
            }
        )
    return {
        "sample": sample_out(sample, score),
        "items": items,
        "opinion": score.opinion if score else "",
        "scored_by": ref(score.scored_by) if score else None,
        "scored_at": score.scored_at if score else None,
    }


# ---------------------------------------------------------------- operations


@router.get(
    "/file-reviews/sheets/current", response={200: SheetOut, **ERRORS}, summary="本机关现行案卷评查标准"
)
def sheet_current(request: HttpRequest) -> dict[str, Any]:
    officer = officer_of(request)
    if officer.agency is None:
        raise NotFound()
    return sheet_out(selectors.current_sheet(officer.agency))


@router.post(
    "/file-reviews/sheets",
    response={201: SheetOut, **BODY_ERRORS},
    summary="发布案卷评查标准新版本",
    description="content 与随系统提供的默认评查标准同样结构（sections → items：分值、引用条款原文、预填所依据的规则）。"
    "新版本只用于此后发起的评查活动，已有评查不受影响。",
)
def sheet_publish(request: HttpRequest, payload: SheetIn) -> Status[dict[str, Any]]:
    sheet = services.sheet_publish(actor=officer_of(request), content=payload.content)
    return Status(201, sheet_out(sheet))


@router.get("/file-reviews", response={200: list[CampaignListOut], **ERRORS}, summary="案卷评查活动列表")
def campaign_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "id": c.public_id,
            "title": c.title,
            "body": ref(c.body),
            "method": c.method,
            "opened_at": c.opened_at,
            "closed_at": c.closed_at,
            "cases": c.samples.count(),
        }
        for c in selectors.campaigns_for(officer_of(request))[:200]
    ]


@router.post(
    "/file-reviews",
    response={201: CampaignOut, **BODY_ERRORS},
    summary="发起案卷评查并抽取案卷",
    description="method 为 random（每个机关随机抽取 per_agency 件，seed 相同则抽取结果相同；不填 seed 由系统生成并记录）"
    "或 rule（按 kind、opened_from/opened_to、only_breached 条件抽取，per_agency 可限制件数）。"
    "只在本机关监督的下级执法机关的已归档、已结案案件中抽取。",
)
def campaign_open(request: HttpRequest, payload: CampaignIn) -> Status[dict[str, Any]]:
    officer = officer_of(request)
    agencies = None
    if payload.agencies:
        agencies = list(selectors.reviewable_agencies(officer).filter(public_id__in=payload.agencies))
        if len(agencies) != len(set(payload.agencies)):
            raise NotFound()
    campaign = services.campaign_open(
        actor=officer,
        title=payload.title,
        method=payload.method,
        per_agency=payload.per_agency,
        seed=payload.seed,
        agencies=agencies,
        kind=payload.kind,
        opened_from=payload.opened_from,
        opened_to=payload.opened_to,
        only_breached=payload.only_breached,
    )
    return Status(201, campaign_out(officer, campaign))


@router.get(
    "/file-reviews/{campaign_id}", response={200: CampaignOut, **ERRORS}, summary="案卷评查活动及抽取的案卷"
)
def campaign_detail(request: HttpRequest, campaign_id: str) -> dict[str, Any]:
    officer = officer_of(request)
    return campaign_out(officer, selectors.campaign_get_for(officer, campaign_id))


@router.get(
    "/file-reviews/{campaign_id}/cases/{sample_id}",
    response={200: ScoringOut, **ERRORS},
    summary="案卷评分表（含系统预填）",
)
def scoring(request: HttpRequest, campaign_id: str, sample_id: str) -> dict[str, Any]:
    officer = officer_of(request)
    campaign, sample = _sample_for(officer, campaign_id, sample_id)
    return scoring_out(officer, campaign, sample)


@router.post(
    "/file-reviews/{campaign_id}/cases/{sample_id}/scores",
    response={201: ScoringOut, **BODY_ERRORS},
    summary="案卷评分",
    description="未列出的项目按系统预填计分；与预填不同的须写明 reason；扣分的须写明 finding。再次评分取代此前的评分。",
)
def score(request: HttpRequest, campaign_id: str, sample_id: str, payload: ScoreIn) -> Status[dict[str, Any]]:
    officer = officer_of(request)
    campaign, sample = _sample_for(officer, campaign_id, sample_id)
    entries = [e.dict(exclude_none=True) for e in payload.entries]
    services.case_score(actor=officer, sample=sample, entries=entries, opinion=payload.opinion)
    return Status(201, scoring_out(officer, campaign, sample))


@router.get("/file-reviews/{campaign_id}/results", response={200: ResultsOut, **ERRORS}, summary="评查结果")
def results(request: HttpRequest, campaign_id: str) -> dict[str, Any]:
    officer = officer_of(request)
    return results_out(officer, selectors.campaign_get_for(officer, campaign_id))


@router.post(
    "/file-reviews/{campaign_id}/rectifications",
    response={201: ReviewOrderOut, **BODY_ERRORS},
    summary="依评查结果下达整改通知",
)
def rectification(request: HttpRequest, campaign_id: str, payload: ReviewOrderIn) -> Status[dict[str, Any]]:
    officer = officer_of(request)
    campaign = selectors.campaign_get_for(officer, campaign_id)
    agency = next(
        (s.agency for s in selectors.samples_of(campaign) if s.agency.public_id == payload.agency), None
    )
    if agency is None:
        raise InvalidInput("该机关不在本次评查范围内。", field_name="agency")
    items = list(
        ItemScore.objects.filter(
            public_id__in=payload.items, score__sample__campaign=campaign
        ).select_related("score__sample__case", "score__sample__agency")
    )
    if len(items) != len(set(payload.items)):
        raise InvalidInput("所选扣分项目不属于本次评查。", field_name="items")
    link = services.review_rectification_issue(
        actor=officer,
        campaign=campaign,
        agency=agency,
        items=items,
        requirements=payload.requirements,
        due_at=payload.due_at,
    )
    return Status(
        201,
        {
            "id": link.public_id,
            "order": link.order.public_id,
            "agency": ref(agency),
            "items": link.items,
            "issued_at": link.issued_at,
        },
    )


@router.post(
    "/file-reviews/{campaign_id}/close", response={200: CampaignOut, **BODY_ERRORS}, summary="结束评查"
)
def close(request: HttpRequest, campaign_id: str, payload: CloseIn) -> dict[str, Any]:
    officer = officer_of(request)
    campaign = selectors.campaign_get_for(officer, campaign_id)
    campaign = services.campaign_close(actor=officer, campaign=campaign, conclusion=payload.conclusion)
    return campaign_out(officer, campaign)
