"""Reads of the log: checkpoints, inclusion receipts (tlog-proof), consistency proofs.
Who may see them is decided by the callers (``quanlu.api.ledger``), not here: the
ledger knows no officers or cases."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from quanlu.core.errors import Conflict, InvalidInput, NotFound
from quanlu.core.validation import parse_uuid
from quanlu.ledger import merkle, note, tlogproof
from quanlu.ledger.leaves import ENTRY_COLUMNS, entry_from_row
from quanlu.ledger.models import Checkpoint, Event, Leaf, Log
from quanlu.ledger.sequencer import LedgerError, checkpoint_note, latest_checkpoint, log_verifiers
from quanlu.ledger.tree import StoredTree


@dataclass(frozen=True)
class EventProof:
    event: Event
    log: Log
    index: int
    checkpoint: Checkpoint
    entry: bytes  # the event's canonical bytes: the leaf data a verifier hashes
    proof: str  # c2sp.org/tlog-proof@v1 text

    def as_dict(self) -> dict[str, Any]:
        return {
            "event": self.event.uid,
            "seq": self.event.seq,
            "type": self.event.type,
            "log": self.log.public_id,
            "origin": self.log.origin,
            "index": self.index,
            "tree_size": self.checkpoint.size,
            "root": bytes(self.checkpoint.root).hex(),
            "checkpoint": self.checkpoint.public_id,
            "entry": base64.b64encode(self.entry).decode(),
            "leaf_hash": merkle.leaf_hash(self.entry).hex(),
            "proof": self.proof,
            "vkeys": list(self.log.keys.values_list("vkey", flat=True)),
        }


# --- lookups -----------------------------------------------------------------------------


def event_by_ref(ref: str) -> Event:
    """An event by sequence number or uid (for the CLI, which sees everything)."""
    ref = str(ref).strip().lstrip("#")
    qs = Event.objects.select_related("actor", "agency")
    event = (
        qs.filter(seq=int(ref)).first()
        if ref.isdigit()
        else qs.filter(uid=parse_uuid(ref, label="事件")).first()
    )
    if event is None:
        raise NotFound(f"没有事件「{ref}」。")
    return event


def log_by_ref(ref: str) -> Log:
    """A log by origin, public id, agency code, or ``system``."""
    qs = Log.objects.select_related("agency")
    if ref == "system":
        found = qs.filter(agency__isnull=True).first()
    else:
        found = qs.filter(origin=ref).first() or qs.filter(agency__code=ref).first()
        if found is None:
            try:
                found = qs.filter(public_id=parse_uuid(ref)).first()
            except InvalidInput:
                found = None
    if found is None:
        raise NotFound(f"没有日志「{ref}」（可用来源、机关代码、标识或 system）。")
    return found


def entry_of(event: Event) -> bytes:
    row = Event.objects.filter(seq=event.seq).values_list(*ENTRY_COLUMNS).get()
    return entry_from_row(row)


def checkpoint_at(log: Log, size: int | None = None) -> Checkpoint:
    if size is None:
        found = latest_checkpoint(log)
    else:
        found = Checkpoint.objects.filter(log=log, size=size).order_by("created_at", "pk").first()
    if found is None:
        if size is None:
            raise Conflict("该日志还没有签署任何检查点。", code="no_checkpoint")
        raise NotFound(f"日志「{log.origin}」没有树大小为 {size} 的检查点。")
    return found


# --- proofs ------------------------------------------------------------------------------


def event_prove(event: Event, *, size: int | None = None) -> EventProof:
    """The event's tlog-proof against the latest checkpoint (or the one of ``size``).
    The receipt is checked before it is handed out, so a tampered row or tree is refused."""
    leaf = Leaf.objects.select_related("log", "log__agency").filter(event_seq=event.seq).first()
    if leaf is None:
        raise Conflict(
            "该事件尚未入树（等待下一次入树签署，或运行 quanlu ledger integrate）。", code="not_integrated"
        )
    checkpoint = checkpoint_at(leaf.log, size)
    if leaf.index >= checkpoint.size:
        if size is not None:
            raise InvalidInput(
                f"事件是第 {leaf.index} 号叶子，不在树大小为 {size} 的检查点中。", code="index_out_of_range"
            )
        raise Conflict("该事件尚未被检查点覆盖，请稍后再试。", code="not_integrated")
    path = StoredTree(leaf.log_id).inclusion_proof(leaf.index, checkpoint.size)
    text = tlogproof.TlogProof(
        index=leaf.index, path=tuple(path), checkpoint_note=checkpoint_note(checkpoint)
    ).render()
    entry = entry_of(event)
    try:
        tlogproof.verify_tlog_proof(text, entry, log_verifiers(leaf.log))
    except (note.NoteError, merkle.MerkleError) as exc:
        raise LedgerError(
            f"事件 #{event.seq} 的包含证明未通过自检（{exc}）：数据可能被篡改，请运行 quanlu ledger verify。",
            code="proof_failed",
        ) from exc
    return EventProof(
        event=event, log=leaf.log, index=leaf.index, checkpoint=checkpoint, entry=entry, proof=text
    )


def consistency(
    log: Log, old_size: int, new_size: int | None = None
) -> tuple[Checkpoint, Checkpoint, list[bytes]]:
    """A consistency proof between two signed checkpoints of ``log``."""
    old = checkpoint_at(log, old_size)
    new = checkpoint_at(log, new_size)
    if old.size > new.size:
        raise InvalidInput(
            f"旧检查点的树大小 {old.size} 大于新检查点的 {new.size}。", code="size_out_of_range"
        )
    try:
        proof = StoredTree(log.pk).consistency_proof(old.size, new.size) if old.size != new.size else []
        merkle.verify_consistency(old.size, new.size, proof, bytes(old.root), bytes(new.root))
    except merkle.MerkleInputError as exc:
        raise InvalidInput(exc.message, code=exc.code) from exc
    except merkle.MerkleError as exc:
        raise LedgerError(
            f"两个检查点不一致：{exc.message}（请运行 quanlu ledger verify）", code="inconsistent"
        ) from exc
    return old, new, proof


def consistency_bundle(log: Log, old_size: int, new_size: int | None = None) -> str:
    old, new, proof = consistency(log, old_size, new_size)
    return tlogproof.consistency_bundle(checkpoint_note(old), checkpoint_note(new), proof)
