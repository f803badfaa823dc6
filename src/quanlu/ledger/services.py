"""``record_event``: the one way anything enters the ledger."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from quanlu.core.canonical import jsonable
from quanlu.ledger.models import Event
from quanlu.ledger.types import EventType, lookup

if TYPE_CHECKING:
    import datetime as dt

    from quanlu.org.models import Agency, Officer


def record_event(
    *,
    type: EventType,
    actor: Officer | None,
    agency: Agency | None,
    case_uid: uuid.UUID | None = None,
    payload: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> Event:
    """Append an event. Must run inside the service's transaction, so the write
    and its event commit together or not at all."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_event must be called inside the service's transaction")
    if lookup(type.name) is not type:
        raise ValueError(f"unregistered event type {type.name}")
    body = jsonable(payload or {})
    return Event.objects.create(
        type=type.name,
        occurred_at=at or timezone.now(),
        actor=actor,
        agency=agency,
        case_uid=case_uid,
        payload=body,
    )
