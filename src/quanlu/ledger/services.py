"""``record_event``: the one way anything enters the ledger; and the log's own writes
(integration, anchoring, verification runs)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from quanlu.core.canonical import jsonable
from quanlu.core.validation import clean_text
from quanlu.ledger import events, queue, records
from quanlu.ledger.leaves import entry_bytes, leaf_hash_of
from quanlu.ledger.models import Anchor, Event, Key, Log, Pending, RowState, Verification
from quanlu.ledger.sequencer import IntegrateResult, integrate
from quanlu.ledger.types import EventType, lookup

if TYPE_CHECKING:
    import datetime as dt

    from django.db.models import Model

    from quanlu.ledger.anchors import AnchorCheck
    from quanlu.ledger.verify import Report
    from quanlu.org.models import Agency, Officer

# Called with the case's public id, inside the writer's transaction, for every event about
# a case: every write to a case's facts passes here, so an app that keeps something derived
# from them (supervision's compliance projection) learns of each change without the ledger
# importing it. Registered in the watcher's AppConfig.ready(); a watcher must not write.
CASE_WATCHERS: list[Callable[[uuid.UUID], None]] = []


def record_event(
    *,
    type: EventType,
    actor: Officer | None,
    agency: Agency | None,
    case_uid: uuid.UUID | None = None,
    payload: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
    rows: Iterable[Model] = (),
    removed: Iterable[Model] = (),
) -> Event:
    """Append an event. Must run inside the service's transaction, so the write
    and its event commit together or not at all.

    ``rows`` are the covered rows the service wrote (created or changed), read back
    now and committed by digest (``removed``: rows it deleted); call it after the
    last write to them. See ``quanlu.ledger.records``."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_event must be called inside the service's transaction")
    if lookup(type.name) is not type:
        raise ValueError(f"unregistered event type {type.name}")
    body = jsonable(payload or {})
    commitments = records.commit(rows, removed)
    if commitments:
        if records.ROWS_KEY in body:
            raise ValueError(f"payload key {records.ROWS_KEY!r} is reserved for committed rows")
        body[records.ROWS_KEY] = {c.key: c.digest for c in commitments}
    event = Event.objects.create(
        type=type.name,
        occurred_at=at or timezone.now(),
        actor=actor,
        agency=agency,
        case_uid=case_uid,
        payload=body,
    )
    # The leaf hash is taken now, in the writer's transaction (as Trillian queues leaves):
    # the log commits to the event as written, and a canonicalisation problem (e.g. an
    # integer beyond 2^53) fails the write instead of the sequencer.
    entry = entry_bytes(
        uid=event.uid,
        type=event.type,
        at=event.occurred_at,
        actor=actor.public_id if actor is not None else None,
        agency=agency.public_id if agency is not None else None,
        case=case_uid,
        payload=body,
    )
    leaf = leaf_hash_of(entry)
    Pending.objects.create(
        event_seq=event.seq,
        event_uid=event.uid,
        event_type=event.type,
        agency=agency,
        leaf_hash=leaf,
        mac=queue.mac(queue.queue_key(), event.seq, event.uid, leaf),
    )
    if commitments:
        RowState.objects.bulk_create(
            RowState(
                event_seq=event.seq,
                key=c.key,
                content="" if c.content is None else records.content_bytes(c.content).decode("utf-8"),
            )
            for c in commitments
        )
    if case_uid is not None:
        for watch in CASE_WATCHERS:
            watch(case_uid)
    return event


# --- the log: integration, anchoring, verification runs -----------------------------------


def ledger_integrate(*, batch_size: int | None = None) -> IntegrateResult:
    """Integrate every queued event into its log and sign checkpoints (see sequencer.py)."""
    return integrate(batch_size=batch_size)


def anchor_export(*, actor: Officer | None, log: Log, recipient: str) -> tuple[Anchor, str]:
    """Hand the log's latest checkpoint to someone outside; returns the anchor and its text."""
    from quanlu.ledger import anchors
    from quanlu.ledger.proofs import checkpoint_at
    from quanlu.ledger.sequencer import supervisor_of

    recipient = clean_text(recipient, label="接收方", field="recipient", max_length=200)
    with transaction.atomic():
        checkpoint = checkpoint_at(log)
        anchor = Anchor.objects.create(checkpoint=checkpoint, recipient=recipient, exported_by=actor)
        witnesses: list[str] = []
        supervisor = supervisor_of(log.agency_id) if log.agency_id is not None else None
        if supervisor is not None:
            witnesses = list(Key.objects.filter(witness__agency_id=supervisor).values_list("vkey", flat=True))
        record_event(
            type=events.ANCHOR_EXPORTED,
            actor=actor,
            agency=log.agency,
            payload={
                "anchor": anchor.public_id,
                "log": log.origin,
                "checkpoint": checkpoint.public_id,
                "size": checkpoint.size,
                "root": bytes(checkpoint.root).hex(),
                "recipient": recipient,
            },
        )
    return anchor, anchors.render(anchor, checkpoint, witnesses)


def anchor_verify(*, actor: Officer | None, text: str | bytes) -> AnchorCheck:
    """Check an anchor file against the log now, and record that it was checked."""
    from quanlu.ledger import anchors

    result = anchors.check(text)
    log = Log.objects.filter(origin=result.origin).select_related("agency").first()
    with transaction.atomic():
        record_event(
            type=events.ANCHOR_VERIFIED,
            actor=actor,
            agency=log.agency if log is not None else None,
            payload={
                "log": result.origin,
                "ok": result.ok,
                "anchored_size": result.anchored_size,
                "anchored_root": result.anchored_root,
                "current_size": result.current_size,
                "current_root": result.current_root,
                "problems": result.problems,
            },
        )
    return result


def verification_run(
    *, actor: Officer | None = None, blobs: bool = True, parallel: bool = False
) -> tuple[Verification, Report]:
    """Run the full verification and keep its result (a row and a ledger event);
    ``parallel`` as in ``verify``."""
    from quanlu.ledger.verify import verify

    started = timezone.now()
    report = verify(blobs=blobs, parallel=parallel)
    problems = [{"kind": p.kind, "message": p.message, **p.item} for p in report.problems]
    with transaction.atomic():
        run = Verification.objects.create(
            started_at=started,
            finished_at=timezone.now(),
            ok=report.ok,
            events=report.events,
            problems=problems[:1000],
        )
        record_event(
            type=events.VERIFICATION_COMPLETED,
            actor=actor,
            agency=None,
            payload={
                "verification": run.public_id,
                "ok": report.ok,
                "events": report.events,
                "problems": len(report.problems),
                "kinds": sorted({p.kind for p in report.problems}),
            },
        )
    return run, report
