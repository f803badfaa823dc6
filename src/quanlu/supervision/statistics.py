"""Statistics per agency over a period (001 第三十条: 统计分析 for 案卷评查、执法监督、评议考核):
cases by kind, procedure and stage; deadlines open yellow/red and met on time or late;
rectification orders open and overdue; officers' certificates. Each figure is one
grouped query over the agencies the reader may see — nothing is evaluated case by
case, so the cost grows with the number of agencies, not of cases."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Count, F, Q
from django.utils import timezone

from quanlu.cases.models import Case, EnforcementKind, Procedure, Stage
from quanlu.org.models import Agency, AgencyKind, Officer
from quanlu.org.selectors import visible_agencies
from quanlu.supervision.models import Deadline, RectificationOrder, RectificationReview, ReviewOutcome

EXPIRING_DAYS = 30


def _grouped(qs: Any, field: str) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for row in qs.values("agency_id", field).annotate(n=Count("pk")):
        out[row["agency_id"]][row[field]] = row["n"]
    return out


def statistics_for(
    officer: Officer,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    within: Agency | None = None,
) -> list[dict[str, Any]]:
    """One row per enforcement agency ``officer`` may see (only ``within``'s tree when
    given). Cases count by the time their procedure started within [since, until);
    deadlines by their due time; orders by their issue time; certificates as of now."""
    now = timezone.now()
    today = timezone.localdate()
    visible = visible_agencies(officer).filter(kind=AgencyKind.ENFORCEMENT)
    if within is not None:
        visible = visible.filter(path__startswith=within.path)
    agencies = list(visible.order_by("path"))
    ids = [a.pk for a in agencies]

    def period(field: str) -> Q:
        q = Q()
        if since is not None:
            q &= Q(**{f"{field}__gte": since})
        if until is not None:
            q &= Q(**{f"{field}__lt": until})
        return q

    cases = Case.objects.filter(Q(agency__in=ids) & period("started_at"))
    by_kind, by_procedure, by_stage = (_grouped(cases, f) for f in ("kind", "procedure", "stage"))
    deadlines = Deadline.objects.filter(Q(agency__in=ids) & period("due_at"))
    dl: dict[int, dict[str, int]] = defaultdict(dict)
    for row in deadlines.values("agency_id").annotate(
        red=Count("pk", filter=Q(met_at__isnull=True, due_at__lte=now)),
        yellow=Count("pk", filter=Q(met_at__isnull=True, due_at__gt=now, warn_at__lte=now)),
        open=Count("pk", filter=Q(met_at__isnull=True)),
        met_on_time=Count("pk", filter=Q(met_at__isnull=False, met_at__lte=F("due_at"))),
        met_late=Count("pk", filter=Q(met_at__gt=F("due_at"))),
    ):
        dl[row.pop("agency_id")] = row
    accepted = RectificationReview.objects.filter(outcome=ReviewOutcome.ACCEPTED).values("order_id")
    orders: dict[int, dict[str, int]] = defaultdict(dict)
    for row in (
        RectificationOrder.objects.filter(Q(agency__in=ids) & period("issued_at"))
        .values("agency_id")
        .annotate(
            issued=Count("pk"),
            open=Count("pk", filter=~Q(pk__in=accepted)),
            overdue=Count("pk", filter=~Q(pk__in=accepted) & Q(due_at__lte=now)),
        )
    ):
        orders[row.pop("agency_id")] = row
    certs: dict[int, dict[str, int]] = defaultdict(dict)
    soon = today + dt.timedelta(days=EXPIRING_DAYS)
    for row in (
        Officer.objects.filter(agency__in=ids, is_active=True)
        .exclude(certificate_no="")
        .values("agency_id")
        .annotate(
            holders=Count("pk"),
            suspended=Count("pk", filter=Q(certificate_suspended=True)),
            expired=Count("pk", filter=Q(certificate_suspended=False, certificate_valid_until__lt=today)),
            expiring=Count(
                "pk",
                filter=Q(
                    certificate_suspended=False,
                    certificate_valid_until__gte=today,
                    certificate_valid_until__lte=soon,
                ),
            ),
        )
    ):
        certs[row.pop("agency_id")] = row

    def full(counts: dict[str, int], choices: Any) -> dict[str, int]:
        return {value: counts.get(value, 0) for value in choices.values}

    zero_dl = {"red": 0, "yellow": 0, "open": 0, "met_on_time": 0, "met_late": 0}
    rows = []
    for a in agencies:
        stages = full(by_stage.get(a.pk, {}), Stage)
        rows.append(
            {
                "agency": a,
                "cases": sum(stages.values()),
                "by_kind": full(by_kind.get(a.pk, {}), EnforcementKind),
                "by_procedure": full(by_procedure.get(a.pk, {}), Procedure),
                "by_stage": stages,
                "deadlines": {**zero_dl, **dl.get(a.pk, {})},
                "rectification": {"issued": 0, "open": 0, "overdue": 0, **orders.get(a.pk, {})},
                "certificates": {
                    "holders": 0,
                    "suspended": 0,
                    "expired": 0,
                    "expiring": 0,
                    **certs.get(a.pk, {}),
                },
            }
        )
    return rows


def row_dict(row: dict[str, Any]) -> dict[str, Any]:
    agency: Agency = row["agency"]
    return {**row, "agency": {"id": agency.public_id, "name": agency.name}}
