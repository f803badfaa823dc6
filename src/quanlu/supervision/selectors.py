from __future__ import annotations

from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from quanlu.access.redaction import results_for
from quanlu.access.selectors import content_view
from quanlu.cases.models import Case, Stage
from quanlu.core.errors import NotFound
from quanlu.core.validation import parse_uuid
from quanlu.org.models import Agency, AgencyKind, Officer
from quanlu.org.selectors import visible_agencies
from quanlu.rulebooks.evaluator import evaluate
from quanlu.rulebooks.loader import Rule, get_rulebook
from quanlu.rulebooks.providers import gather
from quanlu.supervision.models import Alert, Deadline, RectificationOrder, RectificationStatus


def open_deadlines_for(officer: Officer) -> QuerySet[Deadline]:
    return (
        Deadline.objects.filter(agency__in=visible_agencies(officer), met_at__isnull=True)
        .select_related("case", "agency")
        .order_by("due_at")
    )


def alerts_for(officer: Officer) -> QuerySet[Alert]:
    return Alert.objects.filter(deadline__agency__in=visible_agencies(officer)).select_related(
        "deadline", "deadline__case", "deadline__agency"
    )


def agency_overview(officer: Officer) -> list[dict[str, object]]:
    """Per visible agency: cases by stage, open deadlines by alert level, and the
    cases with a breached blocking rule — where the rules were kept and where not."""
    now = timezone.now()
    rows: list[dict[str, object]] = []
    for agency in visible_agencies(officer).filter(kind="enforcement").order_by("path"):
        cases = list(Case.objects.filter(agency=agency).select_related("agency"))
        by_stage = {s.value: 0 for s in Stage}
        for c in cases:
            by_stage[c.stage] += 1
        open_deadlines = Deadline.objects.filter(agency=agency, met_at__isnull=True)
        levels = [d.level(now) for d in open_deadlines]
        late = Deadline.objects.filter(agency=agency, met_at__gt=F("due_at")).count()
        open_orders = sum(
            1
            for o in RectificationOrder.objects.filter(agency=agency)
            if o.status != RectificationStatus.ACCEPTED
        )
        breached = []
        # Findings quoting a marked record the supervisor may not read show its mark instead.
        view = content_view(officer, cases=cases)
        for c in cases:
            unmet = results_for(view, [r for r in evaluate(gather(c), now=now) if r.status == "unmet"])
            if unmet:
                breached.append((c, unmet))
        rows.append(
            {
                "agency": agency,
                "cases": len(cases),
                "by_stage": by_stage,
                "yellow": levels.count("yellow"),
                "red": levels.count("red"),
                "met_late": late,
                "open_orders": open_orders,
                "breached": breached,
            }
        )
    return rows


RECTIFICATION_KIND = "rectification"


def rectification_deadline(order: RectificationOrder) -> Deadline | None:
    """The deadline a time-limited order set on its agency (none for 责令改正 without one)."""
    return Deadline.objects.filter(
        case__isnull=True, agency=order.agency_id, kind=RECTIFICATION_KIND, subject=order.public_id.hex
    ).first()


def rectification_rule(agency: Agency) -> Rule | None:
    """The rule of the agency's rulebook that lets it be ordered to rectify, if any."""
    rules = get_rulebook(agency.rulebook_id).rules_of("rectification_order") if agency.rulebook_id else []
    return rules[0] if rules else None


def issuer_basis(issuer: Agency, agency: Agency, issuers: list[str]) -> str | None:
    """Which of the rule's issuers ``issuer`` is for ``agency``, by the org hierarchy.

    上一级 is the direct parent, 上级 any ancestor; 本级政府司法行政部门 is the justice
    bureau of the agency's own region. 有关部门 names no body the hierarchy knows, so
    nobody qualifies through it.
    """
    if issuer.pk == agency.pk:
        return None
    enforcement = issuer.kind == AgencyKind.ENFORCEMENT
    if "parent_agency" in issuers and enforcement and agency.parent_id == issuer.pk:
        return "parent_agency"
    if "superior_agency" in issuers and enforcement and agency.path.startswith(issuer.path):
        return "superior_agency"
    if (
        "same_level_justice" in issuers
        and issuer.kind == AgencyKind.JUSTICE
        and issuer.region_id == agency.region_id
    ):
        return "same_level_justice"
    return None


def orderable_agencies(officer: Officer) -> list[tuple[Agency, Rule]]:
    """The agencies ``officer``'s own agency may order to rectify, each with the rule of
    its own rulebook that allows it — what the 整改通知 form offers, so that nobody
    types an order only to be refused for an agency the regulation puts out of reach."""
    own = officer.agency
    if own is None or not officer.is_active:
        return []
    found = []
    for agency in (
        visible_agencies(officer).filter(kind=AgencyKind.ENFORCEMENT).exclude(pk=own.pk).order_by("path")
    ):
        rule = rectification_rule(agency)
        if rule is not None and issuer_basis(own, agency, list(rule.params["issuers"])) is not None:
            found.append((agency, rule))
    return found


def rectification_orders_for(officer: Officer) -> QuerySet[RectificationOrder]:
    """Orders to the agencies ``officer`` may see, and those its own agency issued."""
    if officer.agency is None or not officer.is_active:
        return RectificationOrder.objects.none()
    return (
        RectificationOrder.objects.filter(
            Q(agency__in=visible_agencies(officer)) | Q(issuer_agency=officer.agency)
        )
        .select_related("agency", "issuer_agency", "issued_by")
        .distinct()
    )


def rectification_order_get_for(officer: Officer, public_id: Any) -> RectificationOrder:
    """The order if ``officer`` may see it; otherwise 404, whether it exists or not."""
    try:
        uid = parse_uuid(public_id)
    except Exception as exc:
        raise NotFound() from exc
    order = rectification_orders_for(officer).filter(public_id=uid).first()
    if order is None:
        raise NotFound()
    return order
