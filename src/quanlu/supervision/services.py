"""Deadlines and alerts: opened from the rulebook's deadline rules, met when the
case shows the obligation done, and swept into yellow/red alerts."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from quanlu.cases.models import Case, Stage
from quanlu.ledger.services import record_event
from quanlu.org.models import Officer
from quanlu.rulebooks.evaluator import deadlines as rule_deadlines
from quanlu.rulebooks.loader import Rule
from quanlu.supervision import events
from quanlu.supervision.models import Alert, AlertLevel, Deadline

log = logging.getLogger("quanlu.supervision")

# Yellow alert once this share of the window has passed (e.g. 18 h into 24 h).
WARN_FRACTION = 0.75


@transaction.atomic
def deadline_open(
    *,
    actor: Officer | None,
    case: Case,
    kind: str,
    title: str,
    rule: Rule,
    starts_at: dt.datetime,
    due_at: dt.datetime,
    subject: str = "",
) -> Deadline:
    warn_at = starts_at + (due_at - starts_at) * WARN_FRACTION
    deadline = Deadline.objects.create(
        case=case,
        agency=case.agency,
        kind=kind,
        subject=subject,
        title=title,
        starts_at=starts_at,
        due_at=due_at,
        warn_at=warn_at,
        rulebook_id=rule.rulebook_id,
        rule_id=rule.id,
        article=f"{rule.citation.source} {rule.citation.article}",
        quote=rule.citation.quote,
    )
    record_event(
        type=events.DEADLINE_OPENED,
        actor=actor,
        agency=case.agency,
        case_uid=case.public_id,
        payload={
            "deadline": deadline.public_id,
            "kind": kind,
            "subject": subject,
            "title": title,
            "starts_at": starts_at,
            "due_at": due_at,
            "rule": rule.id,
            "rulebook": rule.rulebook_id,
        },
    )
    return deadline


@transaction.atomic
def deadline_meet(*, actor: Officer | None, deadline: Deadline, at: dt.datetime) -> Deadline:
    deadline = Deadline.objects.select_for_update().get(pk=deadline.pk)
    if deadline.met_at is not None:
        return deadline
    deadline.met_at = at
    deadline.save(update_fields=["met_at"])
    record_event(
        type=events.DEADLINE_MET,
        actor=actor,
        agency=deadline.agency,
        case_uid=deadline.case.public_id,
        payload={
            "deadline": deadline.public_id,
            "kind": deadline.kind,
            "subject": deadline.subject,
            "met_at": at,
            "late": at > deadline.due_at,
        },
    )
    return deadline


@transaction.atomic
def deadlines_sync(*, actor: Officer | None, case: Case) -> list[Deadline]:
    """Open the deadlines the rulebook sets for the case and mark those now met."""
    out: list[Deadline] = []
    for rule, spec in rule_deadlines(case):
        deadline = Deadline.objects.filter(case=case, kind=spec.kind, subject=spec.subject).first()
        if deadline is None:
            try:
                with transaction.atomic():
                    deadline = deadline_open(
                        actor=actor,
                        case=case,
                        kind=spec.kind,
                        title=spec.title,
                        rule=rule,
                        starts_at=spec.starts_at,
                        due_at=spec.due_at,
                        subject=spec.subject,
                    )
            except IntegrityError:  # a concurrent sync opened it first
                deadline = Deadline.objects.get(case=case, kind=spec.kind, subject=spec.subject)
        if spec.met_at is not None and deadline.met_at is None:
            deadline = deadline_meet(actor=actor, deadline=deadline, at=spec.met_at)
        out.append(deadline)
    return out


@transaction.atomic
def alert_raise(*, deadline: Deadline, level: str, now: dt.datetime) -> Alert | None:
    """Raise the alert once; a second sweep (or a concurrent one) raises nothing."""
    try:
        with transaction.atomic():
            alert = Alert.objects.create(deadline=deadline, level=level, raised_at=now)
    except IntegrityError:
        return None
    record_event(
        type=events.ALERT_RAISED,
        actor=None,
        agency=deadline.agency,
        case_uid=deadline.case.public_id,
        payload={
            "alert": alert.public_id,
            "deadline": deadline.public_id,
            "kind": deadline.kind,
            "subject": deadline.subject,
            "level": level,
            "due_at": deadline.due_at,
        },
    )
    return alert


def deadlines_sweep(*, now: dt.datetime | None = None) -> list[Alert]:
    """Sync every open case's deadlines, then raise yellow/red alerts that are due.

    Scheduled in the running app (quanlu worker); also `quanlu deadlines sweep`.
    """
    now = now or timezone.now()
    for case in Case.objects.exclude(stage=Stage.CLOSED).select_related("agency").iterator():
        deadlines_sync(actor=None, case=case)
    raised: list[Alert] = []
    for deadline in Deadline.objects.select_related("case", "agency").filter(met_at__isnull=True):
        level = deadline.level(now)
        levels = [AlertLevel.YELLOW] if level == AlertLevel.YELLOW else []
        if level == AlertLevel.RED:
            levels = [AlertLevel.YELLOW, AlertLevel.RED] if now >= deadline.warn_at else [AlertLevel.RED]
        for lvl in levels:
            alert = alert_raise(deadline=deadline, level=lvl, now=now)
            if alert is not None:
                raised.append(alert)
                log.warning("deadline %s of case %s: %s", deadline.kind, deadline.case.number, lvl)
    return raised
