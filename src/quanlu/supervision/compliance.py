"""The compliance projection: each case's rulebook evaluation, materialised.

Supervisors' pages and the statistics ask "which obligations are broken, where" across
every case of many agencies; judging each case on each request costs a gathering of its
facts per case (0.5 s for fifteen cases). Here every case's evaluation is kept as rows —
``CaseCompliance`` (counts) and one ``ComplianceFinding`` per rule — read by grouped
queries.

When it is refreshed:

* after the commit of every write to a case's facts. Every such write appends a ledger
  event naming the case (``record_event(case_uid=...)``), so the ledger's
  ``CASE_WATCHERS`` hook is the one place all of them pass, whichever app wrote; the
  refresh is queued with ``transaction.on_commit`` (it sees the committed facts, and a
  rolled-back write refreshes nothing new), once per case per transaction.
* when time alone changes a judgement (a running deadline falls due): ``refresh_at``
  holds the earliest such time and the worker refreshes those cases
  (``compliance_refresh_due``).
* by ``quanlu supervision refresh [--agency]``, which rebuilds everything — after a
  rulebook file changes, or to repair.

The rows are derived and rebuildable, not records: a refresh replaces a case's rows in
place (no event; the ledger commits the facts they derive from). Not seen by a refresh:
a change that is no event of the case — an officer's certificate suspended, which the
judges read as of now — shows at the case's next event or the next rebuild.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from quanlu.cases.models import Case
from quanlu.org.models import Agency
from quanlu.rulebooks.evaluator import applies, deadlines, evaluate, judge, rule_stages
from quanlu.rulebooks.evaluators_av import av_steps
from quanlu.rulebooks.facts import Facts
from quanlu.rulebooks.judgement import RuleResult, Status
from quanlu.rulebooks.providers import gather_many
from quanlu.supervision.models import CaseCompliance, ComplianceFinding, ComplianceStatus

log = logging.getLogger("quanlu.supervision")

BATCH = 200  # cases judged per transaction in a rebuild (facts gathered at once)

# A running deadline turns unmet once ``now > due_at``: refresh just after.
_AFTER_DUE = dt.timedelta(seconds=1)


def status_of(result: RuleResult, facts: Facts, now: dt.datetime) -> str:
    """The projection's status of one evaluator result. The evaluator reports both
    "does not concern this case" and "not due yet" as not applicable; the second is
    ``pending``: a gated rule whose stage is not entered and which would be unmet on
    entry (the evaluator's own reading), or a deadline still running."""
    if result.status == Status.MET:
        return ComplianceStatus.MET
    if result.status == Status.UNMET:
        return ComplianceStatus.UNMET
    rule = result.rule
    stages = rule_stages(rule)
    if (
        stages
        and not facts.case.entered.intersection(stages)
        and judge(rule, facts, now).status == Status.UNMET
    ):
        return ComplianceStatus.PENDING
    return ComplianceStatus.NOT_APPLICABLE


def _running(facts: Facts, now: dt.datetime) -> dict[str, dt.datetime]:
    """Per rule id, the earliest due time of its deadlines still running now."""
    out: dict[str, dt.datetime] = {}
    for rule, spec in deadlines(facts, now=now):
        if spec.met_at is None and spec.due_at >= now:
            out[rule.id] = min(spec.due_at, out.get(rule.id, spec.due_at))
    return out


def project(case: Case, facts: Facts, now: dt.datetime) -> tuple[CaseCompliance, list[ComplianceFinding]]:
    """The rows of one case's evaluation at ``now`` (unsaved; ``since`` is ``now``)."""
    results = evaluate(facts, now=now)
    running = _running(facts, now)
    findings = []
    for r in results:
        status = status_of(r, facts, now)
        if status == ComplianceStatus.NOT_APPLICABLE and r.rule.id in running:
            status = ComplianceStatus.PENDING
        findings.append(
            ComplianceFinding(
                case=case,
                agency_id=case.agency_id,
                started_at=case.started_at,
                rulebook_id=r.rulebook.id,
                rulebook_version=r.rulebook.version,
                rule_id=r.rule.id,
                kind=r.rule.kind,
                severity=r.rule.severity,
                source=r.rule.citation.source,
                article=r.rule.citation.article,
                status=status,
                since=now,
                message=r.outcome.message,
                satisfy=r.outcome.satisfy,
                subjects=list(r.outcome.subjects),
            )
        )
    book = results[0].rulebook if results else None
    counts = {s.value: 0 for s in ComplianceStatus}
    for found in findings:
        counts[found.status] += 1
    required = recorded = exempted = 0
    for rule in book.rules_of("av_required") if book is not None else []:
        if not applies(rule, facts.case):
            continue
        for step in av_steps(rule, facts):
            required += 1
            recorded += bool(step.clips)
            exempted += step.exempted
    summary = CaseCompliance(
        case=case,
        agency_id=case.agency_id,
        started_at=case.started_at,
        rulebook_id=book.id if book is not None else case.rulebook_id,
        rulebook_version=book.version if book is not None else 0,
        evaluated_at=now,
        refresh_at=min(running.values()) + _AFTER_DUE if running else None,
        av_required=required,
        av_recorded=recorded,
        av_exempted=exempted,
        **counts,
    )
    return summary, findings


def compliance_refresh(*, cases: Iterable[Case], now: dt.datetime | None = None) -> int:
    """Judge ``cases`` now and replace their rows (at most ``BATCH`` at a time, each
    batch in its own transaction). Returns how many cases were judged."""
    return _refresh_ids(sorted({c.pk for c in cases}), now or timezone.now())


def _refresh_ids(ids: Sequence[int], now: dt.datetime) -> int:
    for start in range(0, len(ids), BATCH):
        _refresh_batch(ids[start : start + BATCH], now)
    return len(ids)


@transaction.atomic
def _refresh_batch(ids: Sequence[int], now: dt.datetime) -> None:
    # Lock the cases first, then read their facts: two refreshes of one case run one
    # after the other, and the later reads what the earlier could not have seen.
    locked = list(
        Case.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True)
    )
    batch = list(Case.objects.filter(pk__in=locked).select_related("agency").order_by("pk"))
    if not batch:
        return
    facts = gather_many(batch)
    old = {
        (case_id, rule_id): (status, since)
        for case_id, rule_id, status, since in ComplianceFinding.objects.filter(case__in=batch).values_list(
            "case_id", "rule_id", "status", "since"
        )
    }
    summaries, findings = [], []
    for case in batch:
        summary, found = project(case, facts[case.pk], now)
        summaries.append(summary)
        for f in found:
            status, since = old.get((case.pk, f.rule_id), (None, None))
            if status == f.status and since is not None:
                f.since = since
        findings.extend(found)
    # Derived rows: replaced wholesale (see the module's docstring).
    ComplianceFinding.objects.filter(case__in=batch).delete()
    CaseCompliance.objects.filter(case__in=batch).delete()
    CaseCompliance.objects.bulk_create(summaries)
    ComplianceFinding.objects.bulk_create(findings, batch_size=1000)


def compliance_rebuild(*, agency: Agency | None = None, now: dt.datetime | None = None) -> int:
    """Judge every case again (of ``agency`` and the agencies below it when given)."""
    cases = Case.objects.order_by("pk")
    if agency is not None:
        cases = cases.filter(agency__path__startswith=agency.path)
    return _refresh_ids(list(cases.values_list("pk", flat=True)), now or timezone.now())


def compliance_refresh_due(*, now: dt.datetime | None = None) -> int:
    """Refresh the cases whose judgement time alone has changed since (a deadline that
    was running is now due), and judge cases not judged yet (a site upgraded to the
    projection, a refresh that failed after its commit). Scheduled in the worker; at most
    ``BATCH * 10`` cases of each per run, the rest at the next."""
    now = now or timezone.now()
    due = CaseCompliance.objects.filter(refresh_at__lte=now).order_by("refresh_at")
    ids = set(due.values_list("case_id", flat=True)[: BATCH * 10])
    ids |= set(Case.objects.filter(compliance__isnull=True).values_list("pk", flat=True)[: BATCH * 10])
    return _refresh_ids(sorted(ids), now)


# ------------------------------------------------------------------ after each commit

_local = threading.local()


def _changed() -> set[uuid.UUID]:
    found: set[uuid.UUID] | None = getattr(_local, "changed", None)
    if found is None:
        found = _local.changed = set()
    return found


def case_changed(case_uid: uuid.UUID) -> None:
    """The ledger's case watcher: queue the case's refresh for after the commit. One
    callback per event, but the first to run refreshes every case queued so far and
    the others find nothing left; a case of a rolled-back write is merely judged again."""
    _changed().add(case_uid)
    transaction.on_commit(_refresh_changed)


def _refresh_changed() -> None:
    uids = _changed()
    if not uids:
        return
    taken = list(uids)
    uids.clear()
    try:
        compliance_refresh(cases=Case.objects.filter(public_id__in=taken))
    except Exception:
        # The write itself committed; the projection of these cases stays as it was
        # until their next change or a rebuild. Say so, do not fail the request.
        log.exception("compliance refresh failed for %d case(s)", len(taken))


# ------------------------------------------------------------------ reading


def findings_for(case: Case) -> QuerySet[ComplianceFinding]:
    """The case's materialised findings, in rulebook order (for 案卷评查 pre-filling
    and pages): one row per rule, with status, citation and message."""
    return ComplianceFinding.objects.filter(case=case).order_by("pk")


def cases_unmet(rule_id: str) -> QuerySet[ComplianceFinding, Any]:
    """The ids of the cases whose projection finds ``rule_id`` not kept: a dashboard's
    drill-down from a rule to its cases (a subquery, for the case list's filter)."""
    return ComplianceFinding.objects.filter(rule_id=rule_id, status=ComplianceStatus.UNMET).values("case_id")
