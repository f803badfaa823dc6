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
