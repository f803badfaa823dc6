"""案卷评查 writes: publish a scoring sheet version, open a campaign drawing its sample,
score a sampled case, issue a rectification order from the review (through
supervision's 整改通知 service), close the campaign. Each is atomic with its event."""

from __future__ import annotations

import datetime as dt
import random
import secrets
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from quanlu.cases.models import Case, EnforcementKind
from quanlu.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from quanlu.file_review import events, selectors, sheets
from quanlu.file_review.models import (
    Campaign,
    CaseScore,
    ItemScore,
    ReviewRectification,
    ReviewSheet,
    SampledCase,
    SamplingMethod,
)
from quanlu.ledger.services import record_event
from quanlu.org.models import Agency, Officer, Role
from quanlu.supervision.services import rectification_order_issue

MAX_SAMPLE = 500
MAX_PER_AGENCY = 100
HALF = Decimal("0.5")


def _require_supervisor(actor: Officer, what: str) -> Agency:
    if actor.agency is None or not actor.is_active or not actor.has_role(Role.SUPERVISOR):
        raise PermissionDenied(f"只有监督机关的执法监督人员可以{what}。")
    return actor.agency


def _sheet_row(*, actor: Officer | None, body: Agency, content: dict[str, Any], origin: str) -> ReviewSheet:
    last = ReviewSheet.objects.select_for_update().filter(agency=body).order_by("-version").first()
    sheet = ReviewSheet.objects.create(
        agency=body,
        version=(last.version + 1) if last else 1,
        title=content["title"],
        content=content,
        origin=origin,
        created_by=actor,
        created_at=timezone.now(),
    )
    record_event(
        type=events.SHEET_CREATED,
        actor=actor,
        agency=body,
        payload={
            "sheet": sheet.public_id,
            "version": sheet.version,
            "origin": origin,
            "title": sheet.title,
            "items": sum(len(s["items"]) for s in content["sections"]),
            "points": sheets.total_points(content),
        },
        rows=[sheet],
    )
    return sheet


@transaction.atomic
def sheet_publish(*, actor: Officer, content: Any) -> ReviewSheet:
    """A new version of the actor's body's scoring sheet; campaigns already opened keep
    the version they were opened with."""
    body = _require_supervisor(actor, "发布案卷评查标准")
    checked = sheets.parse(content) if isinstance(content, str) else sheets.validate(content)
    return _sheet_row(actor=actor, body=body, content=checked, origin="own")


def _sheet_in_force(actor: Officer, body: Agency) -> ReviewSheet:
    """The body's current sheet; on first use, the shipped default becomes its version 1."""
    found = selectors.current_sheet(body)
    if found is not None:
        return found
    return _sheet_row(actor=actor, body=body, content=sheets.default_sheet(), origin="default")


def _pick(cases: list[Case], n: int | None, seed: str, agency: Agency) -> list[Case]:
    """``n`` of the agency's candidates (all when ``n`` is None), drawn reproducibly: the
    same seed over the same candidates draws the same cases."""
    ordered = sorted(cases, key=lambda c: c.number)
    if n is None or n >= len(ordered):
        return ordered
    # Reproducible on purpose (the seed is recorded and published), not a secret.
    rng = random.Random(f"{seed}:{agency.public_id}")  # noqa: S311
    return sorted(rng.sample(ordered, n), key=lambda c: c.number)


@transaction.atomic
def campaign_open(
    *,
    actor: Officer,
    title: str,
    method: str,
    per_agency: int | None = None,
    seed: str = "",
    agencies: list[Agency] | None = None,
    kind: str = "",
    opened_from: dt.date | None = None,
    opened_to: dt.date | None = None,
    only_breached: bool = False,
) -> Campaign:
    """Open a campaign and draw its sample among the closed (or archiving) cases of the
    agencies the body supervises: ``random`` draws ``per_agency`` cases of each agency;
    ``rule`` takes the cases matching the conditions (kind, period, a broken rule), at
    most ``per_agency`` of each, drawn the same way. The seed is recorded."""
    body = _require_supervisor(actor, "开展案卷评查")
    title = title.strip()
    if not title:
        raise InvalidInput("请填写评查活动名称。", field_name="title")
    if method not in SamplingMethod.values:
        raise InvalidInput("抽样方式应为随机抽取或按条件抽取。", field_name="method")
    if per_agency is not None and not 1 <= per_agency <= MAX_PER_AGENCY:
        raise InvalidInput(f"每个机关抽取 1 至 {MAX_PER_AGENCY} 件。", field_name="per_agency")
    if method == SamplingMethod.RANDOM and per_agency is None:
        raise InvalidInput("随机抽取须确定每个机关抽取的件数。", field_name="per_agency")
    if kind and kind not in EnforcementKind.values:
        raise InvalidInput("执法类别不正确。", field_name="kind")
    if opened_from and opened_to and opened_from > opened_to:
        raise InvalidInput("期间的起始日期不能晚于截止日期。", field_name="opened_from")
    if method == SamplingMethod.RULE and not (kind or opened_from or opened_to or only_breached):
        raise InvalidInput(
            "按条件抽取须至少设定一个条件（类别、期间或存在规则检查不符合）。", field_name="method"
        )
    reviewable = selectors.reviewable_agencies(actor)
    if agencies:
        ids = {a.pk for a in agencies}
        scope = list(reviewable.filter(pk__in=ids))
        if len(scope) != len(ids):
            raise NotFound()  # an agency outside the body's tree: as if it did not exist
    else:
        scope = list(reviewable)
    if not scope:
        raise InvalidInput("本机关没有可评查的下级执法机关。", field_name="agencies")
    seed = seed.strip()[:64] or secrets.token_hex(8)
    now = timezone.now()
    candidates = Case.objects.filter(agency__in=scope, stage__in=selectors.REVIEWABLE_STAGES)
    if kind:
        candidates = candidates.filter(kind=kind)
    if opened_from:
        candidates = candidates.filter(opened_at__date__gte=opened_from)
    if opened_to:
        candidates = candidates.filter(opened_at__date__lte=opened_to)
    found = list(candidates.select_related("agency"))
    if only_breached:
        keep = selectors.breached(found, now=now)
        found = [c for c in found if c.pk in keep]
    by_agency: dict[int, list[Case]] = {a.pk: [] for a in scope}
    for case in found:
        by_agency[case.agency_id].append(case)
    conditions = [
        label
        for label, on in (
            (f"类别：{EnforcementKind(kind).label}" if kind else "", kind),
            (f"登记于 {opened_from or '…'} 至 {opened_to or '…'}", opened_from or opened_to),
            ("规则检查存在不符合", only_breached),
        )
        if on
    ]
    reason = "随机抽取" if method == SamplingMethod.RANDOM else "；".join(conditions)
    drawn = [(a, c) for a in scope for c in _pick(by_agency[a.pk], per_agency, seed, a)]
    if not drawn:
        raise InvalidInput("所选机关没有符合条件的已归档或已结案案卷。", field_name="method")
    if len(drawn) > MAX_SAMPLE:
        raise InvalidInput(
            f"抽取的案卷超过 {MAX_SAMPLE} 件，请减少每个机关的件数或收紧条件。", field_name="per_agency"
        )
    params = {
        "seed": seed,
        "per_agency": per_agency,
        "agencies": [str(a.public_id) for a in scope],
        "kind": kind,
        "opened_from": opened_from.isoformat() if opened_from else "",
        "opened_to": opened_to.isoformat() if opened_to else "",
        "only_breached": only_breached,
    }
    campaign = Campaign.objects.create(
        body=body,
        sheet=_sheet_in_force(actor, body),
        title=title,
        method=method,
        params=params,
        opened_by=actor,
        opened_at=now,
    )
    samples = SampledCase.objects.bulk_create(
        SampledCase(campaign=campaign, case=c, agency=a, position=i, reason=reason)
        for i, (a, c) in enumerate(drawn, 1)
    )
    record_event(
        type=events.CAMPAIGN_OPENED,
        actor=actor,
        agency=body,
        at=now,
        payload={
            "campaign": campaign.public_id,
            "title": title,
            "sheet": campaign.sheet.public_id,
            "method": method,
            "params": params,
            "cases": [str(c.public_id) for _, c in drawn],
        },
        rows=[campaign, *SampledCase.objects.filter(pk__in=[s.pk for s in samples])],
    )
    return campaign


def _decimal(value: Any, field: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise InvalidInput("得分应为数字。", field_name=field) from exc
    if not number.is_finite() or number % HALF != 0:
        raise InvalidInput("得分以 0.5 分为单位。", field_name=field)
    return number


@transaction.atomic
def case_score(
    *, actor: Officer, sample: SampledCase, entries: list[dict[str, Any]], opinion: str = ""
) -> CaseScore:
    """Score a sampled case item by item. Each item starts from what the rulebook check
    says (pre-filled); the reviewer may change it, giving a reason. An item the entries
    leave out keeps the pre-fill. Scoring again replaces the earlier scoring."""
    campaign = Campaign.objects.select_for_update().get(pk=sample.campaign_id)
    if not selectors.may_review(actor, campaign):
        raise PermissionDenied("由评查机关的执法监督人员评分。")
    if campaign.closed:
        raise Conflict("评查活动已结束，不能再评分。", code="campaign_closed")
    given = {str(e.get("item", "")): e for e in entries}
    filled = selectors.prefill(actor, sample.case, campaign.sheet.content)
    unknown = set(given) - {p.item.code for p in filled}
    if unknown:
        raise InvalidInput(
            f"本案不适用或评查标准中没有项目：{'、'.join(sorted(unknown))}。", field_name="entries"
        )
    now = timezone.now()
    rows: list[ItemScore] = []
    for p in filled:
        item = p.item
        e = given.get(item.code, {})
        field = f"item-{item.code}"
        applicable = bool(e.get("applicable", p.applicable))
        awarded = _decimal(e["awarded"], field) if e.get("awarded") not in (None, "") else p.awarded
        if not applicable:
            awarded = Decimal(0)
        if applicable and not 0 <= awarded <= item.points:
            raise InvalidInput(f"「{item.title}」得分应在 0 至 {item.points} 分之间。", field_name=field)
        finding = str(e["finding"]).strip() if "finding" in e else p.finding
        reason = str(e.get("reason", "")).strip()
        changed = applicable != p.applicable or (applicable and awarded != p.awarded)
        prefilled = bool(p.finding)
        if prefilled and changed and not reason:
            raise InvalidInput(f"「{item.title}」与系统预填不同，请写明调整理由。", field_name=field)
        if applicable and awarded < item.points and not finding:
            raise InvalidInput(f"「{item.title}」扣分的，请写明评查发现。", field_name=field)
        rows.append(
            ItemScore(
                item=item.code,
                title=item.title,
                section=item.section_title,
                applicable=applicable,
                points=Decimal(item.points),
                awarded=awarded,
                finding=finding,
                rulebook_id=item.rulebook_id,
                article=p.article if awarded < item.points else item.article,
                quote=item.quote,
                prefilled=prefilled,
                prefill_applicable=p.applicable,
                prefill_awarded=p.awarded if prefilled else None,
                prefill_finding=p.finding,
                change_reason=reason if changed else "",
            )
        )
    previous = selectors.current_score(sample)
    score = CaseScore.objects.create(
        sample=sample,
        scored_by=actor,
        scored_at=now,
        possible=sum((r.points for r in rows if r.applicable), Decimal(0)),
        awarded=sum((r.awarded for r in rows if r.applicable), Decimal(0)),
        opinion=opinion.strip(),
        replaces=previous,
    )
    for r in rows:
        r.score = score
    ItemScore.objects.bulk_create(rows)
    record_event(
        type=events.CASE_SCORED,
        actor=actor,
        agency=campaign.body,
        case_uid=sample.case.public_id,
        at=now,
        payload={
            "campaign": campaign.public_id,
            "score": score.public_id,
            "replaces": previous.public_id if previous else None,
            "possible": score.possible,
            "awarded": score.awarded,
            "changed": [r.item for r in rows if r.change_reason],
        },
        rows=[score, *ItemScore.objects.filter(score=score)],
    )
    return score


@transaction.atomic
def review_rectification_issue(
    *,
    actor: Officer,
    campaign: Campaign,
    agency: Agency,
    items: list[ItemScore],
    requirements: str,
    due_at: dt.datetime | None = None,
) -> ReviewRectification:
    """A 整改通知 to a reviewed agency resting on the items it lost points on, issued
    through supervision's service (which checks the regulation lets this body order it)."""
    if not selectors.may_review(actor, campaign):
        raise PermissionDenied("由评查机关的执法监督人员下达整改通知。")
    if not items:
        raise InvalidInput("请选择整改所依据的扣分项目。", field_name="items")
    current = set(selectors.current_scores(campaign).values())
    for i in items:
        if i.score not in current or i.score.sample.agency_id != agency.pk:
            raise InvalidInput(f"项目「{i.title}」不是{agency.name}本次评查的现行评分。", field_name="items")
        if i.lost <= 0:
            raise InvalidInput(f"项目「{i.title}」未扣分，不能作为整改依据。", field_name="items")
    lines = [
        f"{i.score.sample.case.number}「{i.title}」扣 {i.lost} 分（{i.article}）：{i.finding}" for i in items
    ]
    findings = f"{campaign.title}（案卷评查）发现：\n" + "\n".join(lines)
    cases = list(dict.fromkeys(i.score.sample.case for i in items))
    order = rectification_order_issue(
        actor=actor,
        agency=agency,
        findings=findings,
        requirements=requirements,
        due_at=due_at,
        cases=cases,
        with_rule_findings=False,
    )
    link = ReviewRectification.objects.create(
        campaign=campaign,
        agency=agency,
        order=order,
        items=[str(i.public_id) for i in items],
        issued_by=actor,
        issued_at=order.issued_at,
    )
    record_event(
        type=events.RECTIFICATION_LINKED,
        actor=actor,
        agency=campaign.body,
        payload={
            "campaign": campaign.public_id,
            "order": order.public_id,
            "agency": agency.public_id,
            "items": link.items,
        },
        rows=[link],
    )
    return link


@transaction.atomic
def campaign_close(*, actor: Officer, campaign: Campaign, conclusion: str) -> Campaign:
    """End the campaign once every sampled case is scored; its results are then final and
    the reviewed agencies see their own."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if not selectors.may_review(actor, campaign):
        raise PermissionDenied("由评查机关的执法监督人员结束评查。")
    if campaign.closed:
        raise Conflict("评查活动已结束。", code="campaign_closed")
    conclusion = conclusion.strip()
    if not conclusion:
        raise InvalidInput("请写明评查结论。", field_name="conclusion")
    scored = selectors.current_scores(campaign)
    missing = [s.case.number for s in selectors.samples_of(campaign) if s.pk not in scored]
    if missing:
        raise Conflict(
            f"尚有 {len(missing)} 件案卷未评分：{'、'.join(missing[:10])}。", code="unscored_cases"
        )
    campaign.closed_at = timezone.now()
    campaign.closed_by = actor
    campaign.conclusion = conclusion
    campaign.save(update_fields=["closed_at", "closed_by", "conclusion"])
    record_event(
        type=events.CAMPAIGN_CLOSED,
        actor=actor,
        agency=campaign.body,
        at=campaign.closed_at,
        payload={"campaign": campaign.public_id, "conclusion": conclusion},
        rows=[campaign],
    )
    return campaign
