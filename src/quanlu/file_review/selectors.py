"""Reads for 案卷评查: who may see a campaign, which agencies a body may review, what the
rulebook check already knows about a case (the pre-fill), and the results."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from quanlu.access.redaction import results_for
from quanlu.access.selectors import content_view
from quanlu.cases.models import Case, Stage
from quanlu.core.errors import NotFound
from quanlu.core.validation import parse_uuid
from quanlu.file_review import sheets
from quanlu.file_review.models import Campaign, CaseScore, ItemScore, ReviewSheet, SampledCase
from quanlu.org.models import Agency, AgencyKind, Officer, Role
from quanlu.org.selectors import visible_agencies
from quanlu.rulebooks.evaluator import Status, evaluate
from quanlu.rulebooks.loader import citation_label
from quanlu.rulebooks.providers import gather, gather_many
from quanlu.supervision.models import CaseCompliance

# Cases a review looks at: their file is complete (archiving) or closed.
REVIEWABLE_STAGES = (Stage.ARCHIVING, Stage.CLOSED)


def overseen_bodies(agency: Agency) -> QuerySet[Agency]:
    """The bodies ``agency`` supervises: for a superior agency those below it; for a
    justice bureau (or other supervising department) the enforcement agencies of its
    region and below, and the supervising departments of the regions below."""
    if agency.kind in (AgencyKind.JUSTICE, AgencyKind.SUPERVISING):
        below = Agency.objects.filter(region__path__startswith=agency.region.path)
        return below.filter(Q(kind=AgencyKind.ENFORCEMENT) | ~Q(region=agency.region_id)).exclude(
            pk=agency.pk
        )
    return Agency.objects.filter(path__startswith=agency.path).exclude(pk=agency.pk)


def oversees(agency: Agency, body: Agency) -> bool:
    return overseen_bodies(agency).filter(pk=body.pk).exists()


def reviewable_agencies(officer: Officer) -> QuerySet[Agency]:
    """The agencies whose cases ``officer``'s body may review: those it supervises."""
    own = officer.agency
    if own is None or not officer.is_active:
        return Agency.objects.none()
    return visible_agencies(officer).filter(kind=AgencyKind.ENFORCEMENT).exclude(pk=own.pk).order_by("path")


def may_review(officer: Officer, campaign: Campaign) -> bool:
    """The body's supervisors score, issue orders and close."""
    return officer.is_active and officer.agency_id == campaign.body_id and officer.has_role(Role.SUPERVISOR)


def campaigns_for(officer: Officer) -> QuerySet[Campaign]:
    """The body's own campaigns, those of bodies it supervises, and — once closed — those
    that reviewed the officer's own agency (it then sees only its own results)."""
    own = officer.agency
    if own is None or not officer.is_active:
        return Campaign.objects.none()
    q = Q(body=own)
    if officer.has_role(Role.SUPERVISOR):
        q |= Q(body__in=overseen_bodies(own))
    q |= Q(closed_at__isnull=False, samples__agency=own)
    return Campaign.objects.filter(q).select_related("body", "sheet", "opened_by").distinct()


def campaign_get_for(officer: Officer, public_id: Any) -> Campaign:
    try:
        uid = parse_uuid(public_id)
    except Exception as exc:
        raise NotFound() from exc
    found = campaigns_for(officer).filter(public_id=uid).first()
    if found is None:
        raise NotFound()
    return found


def reviewed_agency_only(officer: Officer, campaign: Campaign) -> Agency | None:
    """For an officer of a reviewed agency (not of the body nor above it): the one agency
    whose results it may see; None for the body and its supervisors, who see all."""
    own = officer.agency
    assert own is not None
    if own.pk == campaign.body_id or (officer.has_role(Role.SUPERVISOR) and oversees(own, campaign.body)):
        return None
    return own


def samples_of(campaign: Campaign, agency: Agency | None = None) -> QuerySet[SampledCase]:
    found = campaign.samples.select_related("case", "case__lead_officer", "agency")
    return found.filter(agency=agency) if agency is not None else found


def sample_get(campaign: Campaign, public_id: Any) -> SampledCase:
    try:
        uid = parse_uuid(public_id)
    except Exception as exc:
        raise NotFound() from exc
    found = samples_of(campaign).filter(public_id=uid).first()
    if found is None:
        raise NotFound()
    return found


def current_sheet(body: Agency) -> ReviewSheet | None:
    return ReviewSheet.objects.filter(agency=body).order_by("-version").first()


def sheets_of(body: Agency) -> QuerySet[ReviewSheet]:
    return ReviewSheet.objects.filter(agency=body).order_by("-version")


def current_score(sample: SampledCase) -> CaseScore | None:
    """The latest scoring of the case (the one no later scoring replaced)."""
    return sample.scores.filter(replaced_by__isnull=True).order_by("-scored_at", "-pk").first()


def current_scores(campaign: Campaign) -> dict[int, CaseScore]:
    scores = CaseScore.objects.filter(sample__campaign=campaign, replaced_by__isnull=True).select_related(
        "scored_by"
    )
    return {s.sample_id: s for s in scores}


# ---------------------------------------------------------------- the pre-fill


@dataclass(frozen=True)
class Prefill:
    """What the rulebook check says of one item for one case."""

    item: sheets.Applied
    applicable: bool
    awarded: Decimal
    finding: str
    article: str  # the article the lost points count under (a breached rule's own)


def prefill(
    officer: Officer, case: Case, content: dict[str, Any], *, now: dt.datetime | None = None
) -> list[Prefill]:
    """Each item of the sheet that applies to the case, scored from the evaluator's
    results for the rules it names: any unmet → no points, the findings quoted; all met
    → full points; none applicable → the item does not apply. An item naming no rule the
    rulebook judges is left to the reviewer (full points, nothing found).

    Findings quoting a marked record the reviewer may not read show its mark instead."""
    now = now or timezone.now()
    view = content_view(officer, cases=[case])
    results = {r.rule.id: r for r in results_for(view, evaluate(gather(case), now=now))}
    out = []
    for item in sheets.items_for(content, case.rulebook_id):
        judged = [results[r] for r in item.rules if r in results]
        unmet = [r for r in judged if r.status == Status.UNMET]
        met = [r for r in judged if r.status == Status.MET]
        if unmet:
            finding = "；".join(f"{r.outcome.message}（{r.rule.citation.article}）" for r in unmet)
            out.append(
                Prefill(item, True, Decimal(0), f"系统检查不符合：{finding}", unmet[0].rule.citation.article)
            )
        elif met:
            out.append(Prefill(item, True, Decimal(item.points), "系统检查符合。", item.article))
        elif judged:
            out.append(Prefill(item, False, Decimal(0), "系统检查：本案不适用。", item.article))
        else:
            out.append(Prefill(item, True, Decimal(item.points), "", item.article))
    return out


def breached(cases: list[Case], *, now: dt.datetime) -> set[int]:
    """The cases (primary keys) the rulebook check finds a rule unmet in. Read from the
    compliance projection where it is current (nothing has fallen due since it was
    evaluated), so a campaign over a province reads counts, not rulebooks; the cases it
    does not hold current (never projected, or a deadline fell due before the worker
    came) are evaluated here, their facts gathered in batches (``gather_many``)."""
    found: set[int] = set()
    known: set[int] = set()
    ids = [c.pk for c in cases]
    for start in range(0, len(ids), 500):
        current = CaseCompliance.objects.filter(case__in=ids[start : start + 500]).filter(
            Q(refresh_at__isnull=True) | Q(refresh_at__gt=now)
        )
        for pk, unmet in current.values_list("case_id", "unmet"):
            known.add(pk)
            if unmet:
                found.add(pk)
    rest = [c for c in cases if c.pk not in known]
    for start in range(0, len(rest), 200):
        batch = rest[start : start + 200]
        for pk, facts in gather_many(batch).items():
            if any(r.status == Status.UNMET for r in evaluate(facts, now=now)):
                found.add(pk)
    return found


# ---------------------------------------------------------------- results


@dataclass
class Tally:
    name: str
    cases: int = 0
    scored: int = 0
    possible: Decimal = Decimal(0)
    awarded: Decimal = Decimal(0)
    ref: Any = None

    @property
    def lost(self) -> Decimal:
        return self.possible - self.awarded

    @property
    def percent(self) -> Decimal | None:
        if not self.scored:
            return None
        if not self.possible:
            return Decimal("100.0")
        return (self.awarded * 100 / self.possible).quantize(Decimal("0.1"))


@dataclass
class Results:
    cases: int
    scored: int
    total: Tally
    agencies: list[Tally] = field(default_factory=list)
    officers: list[Tally] = field(default_factory=list)
    # (citation label, article, rulebook id) → lost points and how many items lost them.
    articles: list[dict[str, Any]] = field(default_factory=list)
    lost_items: list[ItemScore] = field(default_factory=list)


def results(campaign: Campaign, agency: Agency | None = None) -> Results:
    """Scores per agency and per lead officer (承办人), and the points lost by article,
    from each case's current scoring; ``agency`` limits them to one reviewed agency."""
    samples = list(samples_of(campaign, agency))
    scores = current_scores(campaign)
    total = Tally("合计")
    by_agency: dict[int, Tally] = {}
    by_officer: dict[int, Tally] = {}
    for s in samples:
        a = by_agency.setdefault(s.agency_id, Tally(s.agency.name, ref=s.agency))
        lead = s.case.lead_officer
        o = by_officer.setdefault(lead.pk, Tally(f"{lead.full_name}（{s.agency.name}）", ref=lead))
        score = scores.get(s.pk)
        for t in (total, a, o):
            t.cases += 1
            if score is not None:
                t.scored += 1
                t.possible += score.possible
                t.awarded += score.awarded
    lost: dict[tuple[str, str], dict[str, Any]] = defaultdict(lambda: {"lost": Decimal(0), "items": 0})
    lost_items = list(
        ItemScore.objects.filter(score__in=[scores[s.pk] for s in samples if s.pk in scores], applicable=True)
        .select_related("score__sample__case", "score__sample__agency")
        .order_by("score__sample__position", "pk")
    )
    lost_items = [i for i in lost_items if i.lost > 0]
    for i in lost_items:
        row = lost[(i.rulebook_id, i.article)]
        row["lost"] += i.lost
        row["items"] += 1
    articles = sorted(
        (
            {
                "rulebook": rb,
                "article": art,
                "citation": citation_label(f"x {art}", rb),
                "lost": v["lost"],
                "items": v["items"],
            }
            for (rb, art), v in lost.items()
        ),
        key=lambda r: (-r["lost"], r["citation"]),
    )
    return Results(
        cases=len(samples),
        scored=total.scored,
        total=total,
        agencies=sorted(by_agency.values(), key=lambda t: t.name),
        officers=sorted(by_officer.values(), key=lambda t: t.name),
        articles=articles,
        lost_items=lost_items,
    )
