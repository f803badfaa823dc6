from __future__ import annotations

import datetime as dt

from django.db import transaction

from quanlu.cases.models import Case
from quanlu.ledger.services import record_event
from quanlu.org.models import Officer
from quanlu.rulebooks.loader import Rule
from quanlu.supervision import events
from quanlu.supervision.models import Deadline

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
) -> Deadline:
    warn_at = starts_at + (due_at - starts_at) * WARN_FRACTION
    deadline = Deadline.objects.create(
        case=case,
        agency=case.agency,
        kind=kind,
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
            "met_at": at,
            "late": at > deadline.due_at,
        },
    )
    return deadline
