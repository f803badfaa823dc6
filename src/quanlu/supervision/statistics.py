"""Statistics per agency over a period (001 第三十条: 统计分析 for 案卷评查、执法监督、评议考核):
cases by kind, procedure and stage; deadlines open yellow/red and met on time or late;
rectification orders open and overdue; officers' certificates (``statistics_for``); and,
each separately callable for the dashboards: compliance by rule and by article
(``compliance_by_rule``, ``compliance_by_article``), audio-visual coverage of the steps
that require it (``av_coverage``), upload and archive timeliness (``upload_timeliness``,
``archive_timeliness``), stage durations (``stage_durations``).

Each figure is one grouped query over the agencies the reader may see. Nothing is
evaluated case by case and no Python loop runs over the cases: the rulebook's judgement
of each case is materialised beforehand (``supervision.compliance``), so the database
does the counting with its indexes and the cost grows with the number of agencies
(and rules), not of cases — what lets the figures answer at a million cases.

Every function takes the reader (only agencies they may see), ``since``/``until``
(a half-open period) and ``within`` (an agency: only its tree)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db import connection
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from quanlu.cases.models import Case, EnforcementKind, Procedure, Stage, StageTransition
from quanlu.media.models import MediaRecord
from quanlu.org.models import Agency, AgencyKind, Officer
from quanlu.org.selectors import visible_agencies
from quanlu.rulebooks.evaluators import ARCHIVE
from quanlu.rulebooks.loader import citation_label
from quanlu.supervision.models import (
    CaseCompliance,
    ComplianceFinding,
    ComplianceStatus,
    Deadline,
    RectificationOrder,
    RectificationReview,
    ReviewOutcome,
)

EXPIRING_DAYS = 30


def scope(officer: Officer, within: Agency | None = None) -> list[Agency]:
    """The enforcement agencies ``officer`` may see, in tree order (``within``'s tree only)."""
    visible = visible_agencies(officer).filter(kind=AgencyKind.ENFORCEMENT)
    if within is not None:
        visible = visible.filter(path__startswith=within.path)
    return list(visible.order_by("path"))


def in_period(field: str, since: dt.datetime | None, until: dt.datetime | None) -> Q:
    """``field`` within [since, until); either end may be open."""
    q = Q()
    if since is not None:
        q &= Q(**{f"{field}__gte": since})
    if until is not None:
        q &= Q(**{f"{field}__lt": until})
    return q


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
    agencies = scope(officer, within)
    ids = [a.pk for a in agencies]

    def period(field: str) -> Q:
        return in_period(field, since, until)

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


# ------------------------------------------------------------ compliance by rule, article


def _rate(met: int, unmet: int) -> float | None:
    """The share of judged cases that kept the obligation (none judged: no rate)."""
    return round(met / (met + unmet), 4) if met + unmet else None


def _judged(officer: Officer, since: Any, until: Any, within: Agency | None) -> tuple[dict[int, Agency], Any]:
    agencies = {a.pk: a for a in scope(officer, within)}
    findings = ComplianceFinding.objects.filter(
        Q(agency__in=list(agencies)) & in_period("started_at", since, until)
    ).exclude(status=ComplianceStatus.NOT_APPLICABLE)
    return agencies, findings


def compliance_by_rule(
    officer: Officer,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    within: Agency | None = None,
) -> list[dict[str, Any]]:
    """Which obligations are broken most, and where: one row per agency and rule that
    judged any case (cases counted by the start of their procedure), with the cases
    that broke it (unmet), kept it (met) and for which it is not due yet (pending), and
    the rate kept; most broken first. Read from the compliance projection."""
    agencies, findings = _judged(officer, since, until, within)
    rows = findings.values(
        "agency_id", "rulebook_id", "rule_id", "kind", "severity", "source", "article"
    ).annotate(
        unmet=Count("pk", filter=Q(status=ComplianceStatus.UNMET)),
        met=Count("pk", filter=Q(status=ComplianceStatus.MET)),
        pending=Count("pk", filter=Q(status=ComplianceStatus.PENDING)),
    )
    out = [
        {
            "agency": agencies[r["agency_id"]],
            "rulebook": r["rulebook_id"],
            "rule": r["rule_id"],
            "kind": r["kind"],
            "severity": r["severity"],
            "source": r["source"],
            "article": r["article"],
            "citation": citation_label(f"{r['source']} {r['article']}", r["rulebook_id"]),
            "unmet": r["unmet"],
            "met": r["met"],
            "pending": r["pending"],
            "rate": _rate(r["met"], r["unmet"]),
        }
        for r in rows
    ]
    out.sort(key=lambda r: (-r["unmet"], r["agency"].path, r["rule"]))
    return out


def compliance_by_article(
    officer: Officer,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    within: Agency | None = None,
) -> list[dict[str, Any]]:
    """The same by article of the regulation, per agency: the cases that broke at least
    one of the article's rules (unmet), that kept at least one (met) — a case can be in
    both — and that kept them all (kept); most broken first."""
    agencies, findings = _judged(officer, since, until, within)
    rows = findings.values("agency_id", "rulebook_id", "source", "article").annotate(
        unmet=Count("case_id", distinct=True, filter=Q(status=ComplianceStatus.UNMET)),
        met=Count("case_id", distinct=True, filter=Q(status=ComplianceStatus.MET)),
        judged=Count("case_id", distinct=True, filter=~Q(status=ComplianceStatus.PENDING)),
        rules=Count("rule_id", distinct=True),
    )
    out = [
        {
            "agency": agencies[r["agency_id"]],
            "rulebook": r["rulebook_id"],
            "source": r["source"],
            "article": r["article"],
            "citation": citation_label(f"{r['source']} {r['article']}", r["rulebook_id"]),
            "rules": r["rules"],
            "unmet": r["unmet"],
            "met": r["met"],
            "kept": r["judged"] - r["unmet"],
            "rate": _rate(r["judged"] - r["unmet"], r["unmet"]),
        }
        for r in rows
    ]
    out.sort(key=lambda r: (-r["unmet"], r["agency"].path, r["source"], r["article"]))
    return out


# ------------------------------------------------------------ audio-visual coverage


def av_coverage(
    officer: Officer,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    within: Agency | None = None,
) -> list[dict[str, Any]]:
    """Per agency: the steps its rulebook requires recorded in audio and video (counted
    per rule and step, in the cases started in the period), those with a recording,
    those excused by a recorded exemption the regulation allows, and those with neither."""
    agencies = scope(officer, within)
    sums = {
        r.pop("agency_id"): r
        for r in CaseCompliance.objects.filter(Q(agency__in=agencies) & in_period("started_at", since, until))
        .values("agency_id")
        .annotate(required=Sum("av_required"), recorded=Sum("av_recorded"), exempted=Sum("av_exempted"))
    }
    out = []
    for a in agencies:
        r = sums.get(a.pk, {})
        required, recorded, exempted = (r.get(k) or 0 for k in ("required", "recorded", "exempted"))
        out.append(
            {
                "agency": a,
                "required": required,
                "recorded": recorded,
                "exempted": exempted,
                "missing": required - recorded - exempted,
                "rate": round(recorded / required, 4) if required else None,
            }
        )
    return out


# ------------------------------------------------------------ timeliness


def upload_timeliness(
    officer: Officer,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    within: Agency | None = None,
) -> list[dict[str, Any]]:
    """Per agency, the audio-visual records stored in the period (by their receipt):
    within the limit the rulebook sets (on_time), after it (late; with a recorded
    reason for the delay: late_explained), and those under no limit (no_limit)."""
    agencies = scope(officer, within)
    late = Q(upload_overdue=True)
    counts = {
        r.pop("agency_id"): r
        for r in MediaRecord.objects.filter(Q(agency__in=agencies) & in_period("received_at", since, until))
        .values("agency_id")
        .annotate(
            stored=Count("pk"),
            on_time=Count("pk", filter=Q(upload_due_at__isnull=False, upload_overdue=False)),
            late=Count("pk", filter=late),
            late_explained=Count("pk", filter=late & ~Q(delay_reason="")),
            no_limit=Count("pk", filter=Q(upload_due_at__isnull=True, upload_overdue=False)),
        )
    }
    zero = {"stored": 0, "on_time": 0, "late": 0, "late_explained": 0, "no_limit": 0}
    return [{"agency": a, **zero, **counts.get(a.pk, {})} for a in agencies]


def archive_timeliness(
    officer: Officer,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    within: Agency | None = None,
) -> list[dict[str, Any]]:
    """Per agency, the archive deadlines (立卷归档, counted from the end of the enforcement
    act) falling due in the period: archived within the deadline, archived late, open
    past it, and open and still running."""
    now = timezone.now()
    agencies = scope(officer, within)
    counts = {
        r.pop("agency_id"): r
        for r in Deadline.objects.filter(
            Q(agency__in=agencies, kind=ARCHIVE) & in_period("due_at", since, until)
        )
        .values("agency_id")
        .annotate(
            due=Count("pk"),
            on_time=Count("pk", filter=Q(met_at__isnull=False, met_at__lte=F("due_at"))),
            late=Count("pk", filter=Q(met_at__gt=F("due_at"))),
            overdue=Count("pk", filter=Q(met_at__isnull=True, due_at__lt=now)),
            running=Count("pk", filter=Q(met_at__isnull=True, due_at__gte=now)),
        )
    }
    zero = {"due": 0, "on_time": 0, "late": 0, "overdue": 0, "running": 0}
    return [{"agency": a, **zero, **counts.get(a.pk, {})} for a in agencies]


# ------------------------------------------------------------ stage durations

# Nearest-rank percentiles over each agency's and stage's completed stays, in one
# statement that SQLite and PostgreSQL both run (window functions; no PERCENTILE_CONT,
# which SQLite lacks): the stay ends with the case's next transition.
_DURATIONS_SQL = """
WITH stays AS (
    SELECT c.agency_id AS agency_id, t.to_stage AS stage, t.at AS entered_at,
           LEAD(t.at) OVER (PARTITION BY t.case_id ORDER BY t.at, t.id) AS left_at
    FROM {transitions} t JOIN {cases} c ON c.id = t.case_id
    WHERE c.agency_id IN ({agencies}) {period}
), days AS (
    SELECT agency_id, stage, {days} AS days FROM stays WHERE left_at IS NOT NULL
), ranked AS (
    SELECT agency_id, stage, days,
           ROW_NUMBER() OVER (PARTITION BY agency_id, stage ORDER BY days) AS rn,
           COUNT(*) OVER (PARTITION BY agency_id, stage) AS n
    FROM days
)
SELECT agency_id, stage, n,
       MIN(CASE WHEN rn >= 0.5 * n THEN days END) AS median,
       MIN(CASE WHEN rn >= 0.9 * n THEN days END) AS p90
FROM ranked GROUP BY agency_id, stage, n
"""

_DAYS = {
    "postgresql": "EXTRACT(EPOCH FROM (left_at - entered_at)) / 86400.0",
    "sqlite": "julianday(left_at) - julianday(entered_at)",
}


def stage_durations(
    officer: Officer,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    within: Agency | None = None,
) -> list[dict[str, Any]]:
    """Per agency and stage: how many completed stays (the case entered the stage and
    later left it; a case still in it is not counted) in the cases started in the
    period, and their median and 90th percentile in days (nearest rank: the smallest
    stay at or above that share of the stays)."""
    agencies = scope(officer, within)
    if not agencies:
        return []
    period = ""
    params: list[Any] = [a.pk for a in agencies]
    # Raw SQL: the values go in as the engine stores them (SQLite: naive UTC text).
    if since is not None:
        period += " AND c.started_at >= %s"
        params.append(connection.ops.adapt_datetimefield_value(since))
    if until is not None:
        period += " AND c.started_at < %s"
        params.append(connection.ops.adapt_datetimefield_value(until))
    sql = _DURATIONS_SQL.format(
        transitions=connection.ops.quote_name(StageTransition._meta.db_table),
        cases=connection.ops.quote_name(Case._meta.db_table),
        agencies=", ".join(["%s"] * len(agencies)),
        period=period,
        days=_DAYS[connection.vendor],
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = {(a, st): (n, med, p90) for a, st, n, med, p90 in cursor.fetchall()}
    out = []
    for a in agencies:
        for stage in Stage.values:
            n, median, p90 = found.get((a.pk, stage), (0, None, None))
            out.append(
                {
                    "agency": a,
                    "stage": stage,
                    "stays": n,
                    "median_days": None if median is None else round(float(median), 2),
                    "p90_days": None if p90 is None else round(float(p90), 2),
                }
            )
    return out
