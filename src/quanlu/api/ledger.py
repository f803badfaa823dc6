"""The tamper-evident log over the API: checkpoints, inclusion receipts, consistency proofs.

Visibility: a log is visible with its agency; an event of a case is provable to whoever
may see the case, another event to whoever may see its agency; 404 otherwise.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema

from quanlu.access.redaction import event_withheld
from quanlu.access.selectors import content_view
from quanlu.api.base import ERRORS, file_content, officer_of, ref
from quanlu.api.schemas import Ref, WithheldOut
from quanlu.cases.models import Case
from quanlu.cases.selectors import case_get_for
from quanlu.core.errors import InvalidInput, NotFound
from quanlu.core.validation import parse_uuid
from quanlu.ledger import proofs
from quanlu.ledger.models import Event, Log
from quanlu.ledger.sequencer import checkpoint_note, latest_checkpoint
from quanlu.org.models import Officer
from quanlu.org.selectors import visible_agencies

router = Router(tags=["防篡改日志"])


# --- visibility (the ledger itself knows no officers or cases) -------------------------------


def event_get_for(officer: Officer, public_id: Any) -> Event:
    """The event if ``officer`` may see it: an event of a case, when the case is visible;
    another agency event, when the agency is visible; 404 otherwise, whether or not it exists."""
    try:
        uid = parse_uuid(public_id)
    except InvalidInput as exc:
        raise NotFound() from exc
    event = Event.objects.select_related("actor", "agency").filter(uid=uid).first()
    if event is None:
        raise NotFound()
    if event.case_uid is not None:
        case_get_for(officer, event.case_uid)
        return event
    if event.agency_id is None or not visible_agencies(officer).filter(pk=event.agency_id).exists():
        raise NotFound()
    return event


def logs_for(officer: Officer) -> list[Log]:
    return list(
        Log.objects.select_related("agency").filter(agency__in=visible_agencies(officer)).order_by("pk")
    )


def log_get_for(officer: Officer, public_id: Any) -> Log:
    try:
        uid = parse_uuid(public_id)
    except InvalidInput as exc:
        raise NotFound() from exc
    found = (
        Log.objects.select_related("agency")
        .filter(public_id=uid, agency__in=visible_agencies(officer))
        .first()
    )
    if found is None:
        raise NotFound()
    return found


class CheckpointOut(Schema):
    id: uuid.UUID
    log: uuid.UUID
    origin: str
    agency: Ref | None
    size: int
    root: str
    signed_at: str
    note: str
    vkeys: list[str]
    witnesses: list[str]


class LogOut(Schema):
    id: uuid.UUID
    origin: str
    agency: Ref | None
    vkeys: list[str]
    checkpoint: CheckpointOut | None


class EventProofOut(Schema):
    event: uuid.UUID
    seq: int
    type: str
    log: uuid.UUID
    origin: str
    index: int
    tree_size: int
    root: str
    checkpoint: uuid.UUID
    entry: str
    leaf_hash: str
    proof: str
    vkeys: list[str]
    # An event about a marked record the reader may not read: ``entry`` (its canonical
    # bytes, payload included) is empty; the leaf hash still proves its inclusion.
    withheld: WithheldOut | None = None


class ConsistencyOut(Schema):
    origin: str
    old_size: int
    new_size: int
    old: str
    new: str
    proof: list[str]


def _checkpoint_out(log: Log) -> dict[str, Any] | None:
    cp = latest_checkpoint(log)
    if cp is None:
        return None
    return {
        "id": cp.public_id,
        "log": log.public_id,
        "origin": log.origin,
        "agency": ref(log.agency),
        "size": cp.size,
        "root": bytes(cp.root).hex(),
        "signed_at": cp.created_at.isoformat(),
        "note": checkpoint_note(cp),
        "vkeys": list(log.keys.values_list("vkey", flat=True)),
        "witnesses": [c.witness.name for c in cp.cosignatures.select_related("witness")],
    }


@router.get("/ledger/logs", response={200: list[LogOut], **ERRORS}, summary="可见的日志及其最新检查点")
def logs_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "id": log.public_id,
            "origin": log.origin,
            "agency": ref(log.agency),
            "vkeys": list(log.keys.values_list("vkey", flat=True)),
            "checkpoint": _checkpoint_out(log),
        }
        for log in logs_for(officer_of(request))
    ]


@router.get(
    "/ledger/logs/{log_id}/checkpoint",
    response={200: CheckpointOut, **ERRORS},
    summary="日志的最新签名检查点",
)
def log_checkpoint(request: HttpRequest, log_id: str) -> dict[str, Any]:
    log = log_get_for(officer_of(request), log_id)
    out = _checkpoint_out(log)
    if out is None:
        proofs.checkpoint_at(log)  # raises the Chinese 409 "no checkpoint yet"
    return out  # type: ignore[return-value]


@router.get(
    "/ledger/logs/{log_id}/consistency",
    response={200: ConsistencyOut, **ERRORS},
    summary="两个检查点之间的一致性证明（RFC 9162）",
)
def log_consistency(
    request: HttpRequest, log_id: str, old: int = Query(..., ge=1), new: int | None = Query(None, ge=1)
) -> dict[str, Any]:
    log = log_get_for(officer_of(request), log_id)
    old_cp, new_cp, proof = proofs.consistency(log, old, new)
    return {
        "origin": log.origin,
        "old_size": old_cp.size,
        "new_size": new_cp.size,
        "old": checkpoint_note(old_cp),
        "new": checkpoint_note(new_cp),
        "proof": [base64.b64encode(h).decode() for h in proof],
    }


@router.get(
    "/ledger/events/{event_id}/proof",
    response={200: EventProofOut, **ERRORS},
    summary="事件的包含证明（C2SP tlog-proof，可离线验证）",
)
def event_proof(request: HttpRequest, event_id: str, size: int | None = Query(None, ge=1)) -> dict[str, Any]:
    officer = officer_of(request)
    event = event_get_for(officer, event_id)
    out = proofs.event_prove(event, size=size).as_dict()
    withheld = _withheld(officer, event)
    if withheld is not None:
        out["entry"] = ""
        out["withheld"] = withheld.as_dict()
    return out


def _withheld(officer: Any, event: Event) -> Any:
    """The marks keeping the event's payload from ``officer`` (the one content rule)."""
    case = Case.objects.filter(public_id=event.case_uid).first() if event.case_uid else None
    if case is None:
        return None
    return event_withheld(content_view(officer, cases=[case]), event.payload)


@router.get(
    "/ledger/events/{event_id}/proof.tlog-proof",
    response={200: None, **ERRORS},
    summary="事件的包含证明文件（text/plain，c2sp.org/tlog-proof@v1）",
    openapi_extra=file_content("tlog-proof 文件（c2sp.org/tlog-proof@v1）", "text/plain", text=True),
)
def event_proof_file(request: HttpRequest, event_id: str) -> HttpResponse:
    event = event_get_for(officer_of(request), event_id)
    proof = proofs.event_prove(event)
    response = HttpResponse(proof.proof, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="event-{event.uid}.tlog-proof"'
    return response
