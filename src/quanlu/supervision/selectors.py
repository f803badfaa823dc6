from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from quanlu.access.redaction import withheld_message
from quanlu.access.selectors import content_view
from quanlu.cases.models import Case, Stage
from quanlu.core.errors import NotFound
from quanlu.core.validation import parse_uuid
from quanlu.org.models import Agency, AgencyKind, Officer
from quanlu.org.selectors import visible_agencies
from quanlu.rulebooks.loader import Rule, get_rulebook
from quanlu.supervision.models import (
    Alert,
    CaseCompliance,
    ComplianceFinding,
    ComplianceStatus,
    Deadline,
    RectificationOrder,
    RectificationReview,
    ReviewOutcome,
)


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


# Breached cases listed per agency on the overview (the newest); the count shows them all.
OVERVIEW_CASES = 20


@dataclass(frozen=True)
class ShownFinding:
    """A materialised finding with the message this reader may see (a finding quoting a
    marked record they may not read shows its mark instead, as ``results_for`` does)."""

    finding: ComplianceFinding
    message: str


def agency_overview(officer: Officer) -> list[dict[str, object]]:
    """Per visible agency: cases by stage, open deadlines by alert level, open orders, and
    the cases with an unmet rule — where the rules were kept and where not. Read from the
    compliance projection (``supervision.compliance``) in grouped queries: the cost grows
    with the number of agencies and of cases listed, not of cases."""
    now = timezone.now()
    agencies = list(visible_agencies(officer).filter(kind="enforcement").order_by("path"))
    ids = [a.pk for a in agencies]
    by_stage: dict[int, dict[str, int]] = defaultdict(dict)
    for row in Case.objects.filter(agency__in=ids).values("agency_id", "stage").annotate(n=Count("pk")):
        by_stage[row["agency_id"]][row["stage"]] = row["n"]
    deadlines = {
        row.pop("agency_id"): row
        for row in Deadline.objects.filter(agency__in=ids)
        .values("agency_id")
        .annotate(
            # As Deadline.level: red once past due, yellow from the warning time.
            red=Count("pk", filter=Q(met_at__isnull=True, due_at__lt=now)),
            yellow=Count("pk", filter=Q(met_at__isnull=True, due_at__gte=now, warn_at__lte=now)),
            met_late=Count("pk", filter=Q(met_at__gt=F("due_at"))),
        )
    }
    accepted = RectificationReview.objects.filter(outcome=ReviewOutcome.ACCEPTED).values("order_id")
    orders = dict(
        RectificationOrder.objects.filter(agency__in=ids)
        .exclude(pk__in=accepted)
        .values("agency_id")
        .annotate(n=Count("pk"))
        .values_list("agency_id", "n")
    )
    breached_count = dict(
        CaseCompliance.objects.filter(agency__in=ids, unmet__gt=0)
        .values("agency_id")
        .annotate(n=Count("pk"))
        .values_list("agency_id", "n")
    )
    listed = list(
        CaseCompliance.objects.filter(agency__in=ids, unmet__gt=0)
        .annotate(rank=Window(RowNumber(), partition_by=F("agency_id"), order_by=F("case__opened_at").desc()))
        .filter(rank__lte=OVERVIEW_CASES)
        .select_related("case")
        .order_by("agency_id", "-case__opened_at")
    )
    cases = [c.case for c in listed]
    unmet: dict[int, list[ComplianceFinding]] = defaultdict(list)
    for found in ComplianceFinding.objects.filter(case__in=cases, status=ComplianceStatus.UNMET).order_by(
        "pk"
    ):
        unmet[found.case_id].append(found)
    view = content_view(officer, cases=cases)
    breached: dict[int, list[tuple[Case, list[ShownFinding]]]] = defaultdict(list)
    for case in cases:
        shown = []
        for found in unmet[case.pk]:
            withheld = view.withheld_any(found.subjects)
            shown.append(ShownFinding(found, withheld_message(withheld) if withheld else found.message))
        breached[case.agency_id].append((case, shown))
    rows: list[dict[str, object]] = []
    for agency in agencies:
        dl = deadlines.get(agency.pk, {})
        stages = by_stage.get(agency.pk, {})
        rows.append(
            {
                "agency": agency,
                "cases": sum(stages.values()),
                "by_stage": {s.value: stages.get(s.value, 0) for s in Stage},
                "yellow": dl.get("yellow", 0),
                "red": dl.get("red", 0),
                "met_late": dl.get("met_late", 0),
                "open_orders": orders.get(agency.pk, 0),
                "breached_count": breached_count.get(agency.pk, 0),
                "breached": breached.get(agency.pk, []),
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
