from __future__ import annotations

from django.db.models import QuerySet

from quanlu.org.models import Officer
from quanlu.org.selectors import visible_agencies
from quanlu.supervision.models import Alert, Deadline


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
    from django.db.models import F
    from django.utils import timezone

    from quanlu.cases.models import Case, Stage
    from quanlu.rulebooks.evaluator import evaluate

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
        breached = []
        for c in cases:
            unmet = [r for r in evaluate(c, now=now) if r.status == "unmet"]
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
                "breached": breached,
            }
        )
    return rows
