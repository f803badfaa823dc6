"""``quanlu ledger verify``: recompute everything from the rows and the bytes, and name
every item that does not match.

1. Keys: the public keys the database lists must be those of the private key files
   (an attacker who swaps a public key in the database to re-sign history is named);
   signatures are checked against the key files' keys where present.
2. Events: every row's canonical bytes are recomputed and hashed, and compared with
   the leaf (or the queue entry) written when the event was recorded. A changed row,
   a deleted row (its leaf remains), a row that never entered the log, and two rows
   whose contents were swapped are each named by sequence number, id and type.
3. Trees: each log's tree is rebuilt from its leaves; every stored node is compared.
4. Checkpoints: every signature and cosignature is verified; every signed root must
   be the rebuilt root at its size; two checkpoints of one size with different roots
   (a fork) are named; successive checkpoints must be consistent (RFC 9162 proof).
5. Blobs: every blob an event names (a payload value under a key ``sha256``) is
   re-hashed in the store (SHA-256, and SM3 when recorded) and its size checked
   against the ``blob:blob:stored`` event. A blob whose disposal is ledgered
   (``blob:blob:disposed``, naming a disposition and two distinct approvers) is
   counted as disposed when its bytes are gone, not as tampered.
6. Records: every row of every covered model (``ledger.records``) is read as it is now
   and compared with the digest the latest event naming it committed; a changed row
   is named with its fields (from ``ledger.RowState``), a row no event committed and a
   committed row that is gone without a removing event are named too.
7. The queue: each waiting entry's code (``ledger.queue``) must match, and an entry
   older than QUANLU_LEDGER_STALE_SECONDS means the sequencer is not running.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import heapq
import json
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from quanlu.ledger import contents, keys, merkle, note, queue, records, sm2
from quanlu.ledger.leaves import RawEntries, leaf_hash_of, raw_entry_sql
from quanlu.ledger.models import (
    Checkpoint,
    Key,
    KeyAlgorithm,
    Log,
    RowState,
    Witness,
)
from quanlu.ledger.sequencer import log_slug, witness_slug

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
BLOB_STORED = "blob:blob:stored"
BLOB_DISPOSED = "blob:blob:disposed"


@dataclass
class Problem:
    kind: str
    message: str  # Chinese, names the item and what differs
    item: dict[str, Any] = field(default_factory=dict)


@dataclass
class Report:
    events: int = 0
    leaves: int = 0
    pending: int = 0
    logs: int = 0
    checkpoints: int = 0
    cosignatures: int = 0
    blobs: int = 0
    disposed: int = 0  # blobs whose bytes were removed by an approved, ledgered disposal
    rows: int = 0  # live rows of covered models compared with their latest event
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, kind: str, message: str, **item: Any) -> None:
        self.problems.append(Problem(kind, message, {k: _plain(v) for k, v in item.items()}))

    def as_dict(self) -> dict[str, Any]:
        body = asdict(self)
        body["problems"] = [{"kind": p.kind, "message": p.message, **p.item} for p in self.problems]
        body["ok"] = self.ok
        return body


def _plain(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, str | int | bool) or value is None:
        return value
    return str(value)


def _event_name(seq: int, uid: Any, type_: str) -> str:
    return f"事件 #{seq}（{uid}，{type_}）"


# --- 1. keys -----------------------------------------------------------------------------


def _trusted_keys(report: Report) -> tuple[dict[int, list[note.Verifier]], dict[int, list[note.Verifier]]]:
    """Per log and per witness: the verifiers to trust. From the private key files where
    this machine has them (the database's copy must then agree), else from the database."""
    log_keys: dict[int, list[note.Verifier]] = {}
    witness_keys: dict[int, list[note.Verifier]] = {}
    for log_row in Log.objects.select_related("agency"):
        slug = log_slug(log_row)
        db_keys = list(Key.objects.filter(log=log_row).values_list("vkey", "algorithm"))
        files = [
            (keys.log_key_file(slug), KeyAlgorithm.ED25519),
            (keys.log_sm2_key_file(slug), KeyAlgorithm.SM2),
        ]
        log_keys[log_row.pk] = _keys_for(report, f"日志「{log_row.origin}」", db_keys, files)
    for witness in Witness.objects.select_related("agency"):
        db_keys = list(Key.objects.filter(witness=witness).values_list("vkey", "algorithm"))
        files = [(keys.witness_key_file(witness_slug(witness)), KeyAlgorithm.COSIGNATURE)]
        witness_keys[witness.pk] = _keys_for(report, f"见证者「{witness.name}」", db_keys, files)
    return log_keys, witness_keys


def _keys_for(
    report: Report, owner: str, db_keys: Sequence[tuple[str, str]], files: Sequence[tuple[str, str]]
) -> list[note.Verifier]:
    trusted: list[note.Verifier] = []
    db_by_alg: dict[str, set[str]] = {}
    for vkey, alg in db_keys:
        db_by_alg.setdefault(alg, set()).add(vkey)
    for filename, alg in files:
        if alg == KeyAlgorithm.SM2 and not sm2.available():
            continue
        path = keys.key_dir() / filename
        if not path.exists():
            continue
        try:
            signer = keys.load(filename)
        except keys.KeyFileError as exc:
            report.add("key_file", f"{owner}：{exc.message}", file=filename)
            continue
        vkey = keys.vkey_of(signer)
        if vkey not in db_by_alg.get(alg, set()):
            report.add(
                "key_mismatch",
                f"{owner}：数据库登记的公钥与私钥文件 {filename} 不符（数据库中的公钥可能被替换）。",
                file=filename,
                expected=vkey,
                actual="、".join(sorted(db_by_alg.get(alg, set()))) or "无",
            )
        trusted.append(note.parse_vkey(vkey))
    if not trusted:
        if db_keys:
            report.warnings.append(f"{owner}：本机没有私钥文件，签名按数据库登记的公钥核验。")
        for vkey, alg in db_keys:
            if alg == KeyAlgorithm.SM2 and not sm2.available():
                continue
            trusted.append(note.parse_vkey(vkey))
    return trusted


# --- 2. events ---------------------------------------------------------------------------


def _raw(sql: str, params: Sequence[Any] = (), size: int = 20000) -> Iterator[tuple[Any, ...]]:
    """Rows of a raw query, in chunks, on a cursor of its own (server-side on PostgreSQL,
    so a million rows never sit in memory at once)."""
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(size):
            yield from rows


def _queue_rows() -> Iterator[tuple[Any, ...]]:
    """Leaves and queued events, merged by event sequence number."""
    leaves = _raw(
        "SELECT event_seq, 'leaf', log_id, idx, event_uid, event_type, leaf_hash, NULL FROM ledger_leaf"
        " ORDER BY event_seq"
    )
    pending = _raw(
        "SELECT event_seq, 'pending', NULL, NULL, event_uid, event_type, leaf_hash, mac FROM ledger_pending"
        " ORDER BY event_seq"
    )
    return heapq.merge(leaves, pending, key=lambda r: r[0])


def _blob_refs(value: Any, out: set[str]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "sha256" and isinstance(v, str) and _HEX64.match(v):
                out.add(v)
            else:
                _blob_refs(v, out)
    elif isinstance(value, list):
        for v in value:
            _blob_refs(v, out)


@dataclass
class _Seen:
    """What the event scan hands to the later checks."""

    refs: dict[str, int] = field(default_factory=dict)  # sha256 -> first event seq naming it
    stored: dict[str, dict[str, Any]] = field(default_factory=dict)  # sha256 -> blob:blob:stored payload
    # row key -> (digest or None if removed, seq of the latest event committing it)
    rows: dict[str, tuple[str | None, int]] = field(default_factory=dict)


class _Queue:
    """Checks each waiting entry's code and age."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.stale_before = timezone.now() - dt.timedelta(seconds=settings.QUANLU_LEDGER_STALE_SECONDS)
        self.stale: list[int] = []
        try:
            self.key: bytes | None = queue.queue_key(create=False)
        except keys.KeyFileError as exc:
            self.key = None
            self.missing = exc.message

    def check(self, seq: int, uid: str, type_: str, at: Any, q: tuple[Any, ...]) -> None:
        if self.key is None:
            self.report.add("queue_key", f"{_event_name(seq, uid, type_)}在待入树队列中，但{self.missing}")
            self.key = b""
            return
        if self.key and not queue.valid(self.key, seq, uid, bytes(q[6]), bytes(q[7] or b"")):
            self.report.add(
                "queue_forged",
                f"{_event_name(seq, uid, type_)}的待入树队列条目认证码不符：事件或其队列哈希在入树前被改动"
                "（序列器将拒绝签署）。",
                event_seq=seq,
                event_uid=uid,
                event_type=type_,
            )
        when = _aware(at)
        if when is not None and when < self.stale_before:
            self.stale.append(seq)

    def finish(self) -> None:
        if self.stale:
            self.report.add(
                "pending_stale",
                f"{len(self.stale)} 个事件等待入树已超过 {settings.QUANLU_LEDGER_STALE_SECONDS} 秒（最早的是事件 "
                f"#{self.stale[0]}）：后台入树没有运行，这些事件尚未被签名检查点覆盖。",
                event_seq=self.stale[0],
                count=len(self.stale),
            )


def _aware(value: Any) -> dt.datetime | None:
    if isinstance(value, str):
        from django.utils.dateparse import parse_datetime

        value = parse_datetime(value)
    if not isinstance(value, dt.datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _check_events(report: Report, origins: dict[int, str]) -> _Seen:
    seen = _Seen()
    refs, stored = seen.refs, seen.stored
    changed: list[_Changed] = []
    raw = RawEntries(connection.vendor)
    queue_check = _Queue(report)
    queue_rows = _queue_rows()
    q = next(queue_rows, None)
    # Two cursors at once: the events (below) and the merged leaves/queue (above).
    for row in _raw(raw_entry_sql(connection.vendor)):
        seq, type_, text = row[0], row[2], row[7]
        report.events += 1
        while q is not None and q[0] < seq:
            _deleted(report, q, origins)
            q = next(queue_rows, None)
        uid = raw.uuid_text(row[1])
        try:
            payload = raw.payload(text)
            actual = leaf_hash_of(raw.entry(row, payload))
        except (TypeError, ValueError) as exc:
            payload, actual = None, b""
            report.add(
                "event_unreadable",
                f"{_event_name(seq, uid, type_)}的内容无法规范化（{exc}），已被改动。",
                event_seq=seq,
                event_uid=uid,
                event_type=type_,
            )
        if payload is not None and (not isinstance(text, str) or '"rows"' in text):
            committed = payload.get(records.ROWS_KEY) if isinstance(payload, dict) else None
            if isinstance(committed, dict):
                for key, digest in committed.items():
                    seen.rows[key] = (digest if isinstance(digest, str) else None, seq)
        if payload is not None and (not isinstance(text, str) or '"sha256"' in text):
            refs_here: set[str] = set()
            _blob_refs(payload, refs_here)
            for sha in refs_here:
                refs.setdefault(sha, seq)
            if type_ == BLOB_STORED and isinstance(payload, dict) and isinstance(payload.get("sha256"), str):
                stored.setdefault(payload["sha256"], {**payload, "event_seq": seq})
            if type_ == BLOB_DISPOSED and _authorised_disposal(payload):
                stored.setdefault(DISPOSED_KEY, {})[payload["sha256"]] = seq
        if q is None or q[0] != seq:
            report.add(
                "event_not_logged",
                f"{_event_name(seq, uid, type_)}不在任何日志中，也不在待入树队列中（可能绕过了 record_event 直接写入）。",
                event_seq=seq,
                event_uid=uid,
                event_type=type_,
            )
            continue
        _, where, log_id, idx, q_uid, q_type, recorded, _code = q
        if where == "pending":
            queue_check.check(seq, uid or "", type_, row[3], q)
        q = next(queue_rows, None)
        recorded = bytes(recorded)
        if where == "leaf":
            report.leaves += 1
        else:
            report.pending += 1
        same_uid = q_uid == row[1] or raw.uuid_text(q_uid) == uid
        if actual and (actual != recorded or not same_uid or q_type != type_):
            place = (
                f"日志「{origins.get(log_id or 0, '?')}」第 {idx} 号叶子" if where == "leaf" else "待入树队列"
            )
            changed.append(_Changed(seq, uid, type_, recorded, actual, place, raw.uuid_text(q_uid), q_type))
    while q is not None:
        _deleted(report, q, origins)
        q = next(queue_rows, None)
    _report_changed(report, changed)
    queue_check.finish()
    return seen


def _deleted(report: Report, q: tuple[Any, ...], origins: dict[int, str]) -> None:
    seq, where, log_id, idx, uid, type_, recorded, _code = q
    uid, recorded = RawEntries(connection.vendor).uuid_text(uid), bytes(recorded)
    if where == "leaf":
        report.leaves += 1
        place = f"日志「{origins.get(log_id, '?')}」第 {idx} 号叶子"
    else:
        report.pending += 1
        place = "待入树队列"
    report.add(
        "event_deleted",
        f"{_event_name(seq, uid, type_)}已从事件表中删除（{place}仍记录着它，叶子哈希 {recorded.hex()}）。",
        event_seq=seq,
        event_uid=uid,
        event_type=type_,
        log=origins.get(log_id) if log_id else None,
        index=idx,
        expected=recorded,
    )


@dataclass
class _Changed:
    seq: int
    uid: Any
    type: str
    recorded: bytes  # the leaf hash taken when the event was written
    actual: bytes  # the leaf hash of the row as it is now
    place: str
    recorded_uid: Any
    recorded_type: str


def _report_changed(report: Report, changed: list[_Changed]) -> None:
    by_recorded = {c.recorded: c for c in changed}
    for c in changed:
        ident = {
            "event_seq": c.seq,
            "event_uid": c.uid,
            "event_type": c.type,
            "expected": c.recorded,
            "actual": c.actual,
        }
        twin = by_recorded.get(c.actual)
        if twin is not None and twin.seq != c.seq:
            report.add(
                "event_reordered",
                f"{_event_name(c.seq, c.uid, c.type)}：序号 #{c.seq} 处现在是入树时记录为事件 #{twin.seq}"
                f"（{twin.recorded_uid}，{twin.recorded_type}）的内容，而原本的事件 #{c.seq} 是"
                f"（{c.recorded_uid}，{c.recorded_type}）：事件顺序被调换。",
                swapped_with=twin.seq,
                **ident,
            )
        elif str(c.recorded_uid) != str(c.uid) or c.recorded_type != c.type:
            report.add(
                "event_changed",
                f"{_event_name(c.seq, c.uid, c.type)}的标识或类型与入树时记录的不同"
                f"（记录为 {c.recorded_uid}，{c.recorded_type}）。",
                **ident,
            )
        else:
            report.add(
                "event_changed",
                f"{_event_name(c.seq, c.uid, c.type)}的内容已被改动：{c.place}记录的叶子哈希为 {c.recorded.hex()}，"
                f"按现在的内容计算为 {c.actual.hex()}。",
                **ident,
            )


# --- 3 and 4. trees and checkpoints ---------------------------------------------------------


class _Levels:
    """A log's tree rebuilt in memory, level by level (level 0 = leaf hashes)."""

    def __init__(self, leaves: list[bytes]) -> None:
        self.levels = [leaves]
        row = leaves
        while len(row) > 1:
            nh = merkle.node_hash
            row = [nh(row[i], row[i + 1]) for i in range(0, len(row) - 1, 2)]
            self.levels.append(row)

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def fetch(self, ids: Any) -> dict[merkle.NodeId, bytes]:
        return {(lvl, i): self.levels[lvl][i] for lvl, i in ids}

    def root(self, size: int) -> bytes:
        return merkle.fold_stack([self.levels[lvl][i] for lvl, i in merkle.root_plan(size)])

    def node_count(self) -> int:
        """How many nodes the store keeps: every even level from 2 up (see tree.py)."""
        return sum(len(r) for level, r in enumerate(self.levels) if level >= 2 and not level & 1)


def _check_log(
    report: Report, log_row: Log, log_keys: list[note.Verifier], witness_keys: dict[int, list[note.Verifier]]
) -> None:
    origin = log_row.origin
    hashes: list[bytes] = []
    gap = False
    for expect, (idx, h) in enumerate(
        _raw("SELECT idx, leaf_hash FROM ledger_leaf WHERE log_id = %s ORDER BY idx", [log_row.pk])
    ):
        if idx != expect:
            report.add(
                "leaf_missing",
                f"日志「{origin}」缺少第 {expect} 号叶子（下一个是第 {idx} 号）：叶子记录被删除。",
                log=origin,
                index=expect,
            )
            gap = True
            break
        hashes.append(bytes(h))
    tree = _Levels(hashes)
    _check_nodes(report, log_row, tree, complete=not gap)
    _check_checkpoints(report, log_row, tree, log_keys, witness_keys)


def _check_nodes(report: Report, log_row: Log, tree: _Levels, *, complete: bool) -> None:
    origin = log_row.origin
    seen = 0
    reported = 0
    for level, idx, h in _raw(
        "SELECT level, idx, hash FROM ledger_node WHERE log_id = %s ORDER BY level, idx", [log_row.pk]
    ):
        seen += 1
        row = tree.levels[level] if level < len(tree.levels) else []
        if idx >= len(row):
            if complete and reported < 50:
                report.add(
                    "node_extra",
                    f"日志「{origin}」有多余的树节点（第 {level} 层第 {idx} 号），现有叶子构不成它。",
                    log=origin,
                    level=level,
                    index=idx,
                )
                reported += 1
            continue
        if bytes(h) != row[idx] and reported < 50:
            first, last = idx << level, ((idx + 1) << level) - 1
            report.add(
                "node_changed",
                f"日志「{origin}」第 {level} 层第 {idx} 号树节点（覆盖第 {first}–{last} 号叶子）与按叶子重建的不同。",
                log=origin,
                level=level,
                index=idx,
                expected=row[idx],
                actual=h,
            )
            reported += 1
    if complete and seen < tree.node_count():
        report.add(
            "node_missing",
            f"日志「{origin}」缺少 {tree.node_count() - seen} 个树节点（应有 {tree.node_count()} 个）。",
            log=origin,
        )


def _checkpoint_name(cp: Checkpoint) -> str:
    return f"检查点 {cp.public_id}（日志「{cp.log.origin}」，树大小 {cp.size}，{cp.created_at:%Y-%m-%d %H:%M:%S}）"


def _check_checkpoints(
    report: Report,
    log_row: Log,
    tree: _Levels,
    log_keys: list[note.Verifier],
    witness_keys: dict[int, list[note.Verifier]],
) -> None:
    checkpoints = list(
        Checkpoint.objects.filter(log=log_row)
        .select_related("log")
        .prefetch_related("cosignatures__witness")
        .order_by("size", "created_at", "pk")
    )
    good: list[Checkpoint] = []
    by_size: dict[int, list[Checkpoint]] = {}
    for cp in checkpoints:
        report.checkpoints += 1
        name = _checkpoint_name(cp)
        ident = {"checkpoint": cp.public_id, "log": log_row.origin, "size": cp.size}
        try:
            opened = note.open_note(cp.note, log_keys)
            body = note.parse_checkpoint(opened.note.text)
        except note.NoteError as exc:
            report.add("checkpoint_signature", f"{name}的签名无效：{exc.message}", **ident)
            continue
        if body.origin != log_row.origin or body.size != cp.size or body.root != bytes(cp.root):
            report.add(
                "checkpoint_changed",
                f"{name}的签名正文（{body.origin}，{body.size}，{body.root.hex()}）与数据库记录的不符。",
                **ident,
                expected=bytes(cp.root),
                actual=body.root,
            )
            continue
        by_size.setdefault(cp.size, []).append(cp)
        if cp.size > tree.size:
            report.add(
                "checkpoint_beyond_tree",
                f"{name}签署的树比现存的叶子（{tree.size} 个）更大：叶子被删除。",
                **ident,
            )
            continue
        rebuilt = tree.root(cp.size)
        if rebuilt != bytes(cp.root):
            report.add(
                "checkpoint_root",
                f"{name}签署的根哈希 {bytes(cp.root).hex()} 与按现存叶子重建的 {rebuilt.hex()} 不同："
                "该树大小之内的数据被改动。",
                **ident,
                expected=bytes(cp.root),
                actual=rebuilt,
            )
        else:
            good.append(cp)
        _check_cosignatures(report, cp, name, witness_keys)
    for size, group in by_size.items():
        roots = {bytes(c.root) for c in group}
        if len(roots) > 1:
            report.add(
                "fork",
                f"日志「{log_row.origin}」在树大小 {size} 有 {len(roots)} 个不同根哈希的已签名检查点（分叉）："
                + "、".join(f"{c.public_id}（{bytes(c.root).hex()[:16]}…）" for c in group),
                log=log_row.origin,
                size=size,
                checkpoints=",".join(str(c.public_id) for c in group),
            )
    _check_consistency(report, log_row, tree, by_size)
    if checkpoints and tree.size > checkpoints[-1].size:
        report.warnings.append(
            f"日志「{log_row.origin}」有 {tree.size - checkpoints[-1].size} 个叶子尚未被检查点覆盖（等待下一次入树签署）。"
        )
    if tree.size and not checkpoints:
        report.add(
            "checkpoint_missing",
            f"日志「{log_row.origin}」有 {tree.size} 个叶子，却没有任何检查点。",
            log=log_row.origin,
        )


def _check_consistency(
    report: Report, log_row: Log, tree: _Levels, by_size: dict[int, list[Checkpoint]]
) -> None:
    """Successive signed checkpoints must be consistent (RFC 9162 §2.1.4), proved over the
    rebuilt tree — the same proof a client would be served."""
    previous: Checkpoint | None = None
    for size in sorted(by_size):
        if size == 0 or size > tree.size:
            continue
        cp = by_size[size][0]
        if previous is not None:
            proof = merkle.prove_from_store(merkle.consistency_plan(previous.size, size), tree.fetch)
            try:
                merkle.verify_consistency(previous.size, size, proof, bytes(previous.root), bytes(cp.root))
            except merkle.MerkleError as exc:
                report.add(
                    "inconsistent",
                    f"日志「{log_row.origin}」的检查点 {previous.public_id}（{previous.size}）与 {cp.public_id}（{size}）"
                    f"不一致：{exc.message}",
                    log=log_row.origin,
                    old=previous.public_id,
                    new=cp.public_id,
                )
        previous = cp


def _check_cosignatures(
    report: Report, cp: Checkpoint, name: str, witness_keys: dict[int, list[note.Verifier]]
) -> None:
    body = note.Checkpoint(cp.log.origin, cp.size, bytes(cp.root)).body()
    for cos in cp.cosignatures.all():
        report.cosignatures += 1
        ident = {"checkpoint": cp.public_id, "witness": cos.witness.name}
        try:
            sig_note = note.parse_note(body + "\n" + cos.line)
            note.open_note(
                sig_note,
                [v for v in witness_keys.get(cos.witness_id, []) if isinstance(v, note.CosignatureVerifier)],
            )
        except note.NoteError as exc:
            report.add(
                "cosignature", f"{name}上见证者「{cos.witness.name}」的副署无效：{exc.message}", **ident
            )
            continue
        if cos.size != cp.size or bytes(cos.root) != bytes(cp.root):
            report.add(
                "cosignature",
                f"{name}上见证者「{cos.witness.name}」的副署记录（树大小 {cos.size}）与检查点不符。",
                **ident,
            )


# --- 5. blobs ----------------------------------------------------------------------------

# Where _check_events leaves {sha256: seq} of ledgered, authorised disposals (not a digest).
DISPOSED_KEY = "disposed"


def _authorised_disposal(payload: Any) -> bool:
    """A disposal event as archive.services.disposition_execute writes it (through
    blobs.services.blob_dispose): the blob, the disposition, two distinct approvers."""
    if not isinstance(payload, dict) or not isinstance(payload.get("sha256"), str):
        return False
    authority = payload.get("authority")
    if not isinstance(authority, dict) or not authority.get("disposition"):
        return False
    approvers = authority.get("approvals")
    return isinstance(approvers, list) and len(set(map(str, approvers))) >= 2


def _check_blobs(report: Report, refs: dict[str, int], stored: dict[str, dict[str, Any]]) -> None:
    store = contents.current()
    disposed = stored.pop(DISPOSED_KEY, {})
    if store is None:
        report.warnings.append("没有登记内容存储，未重算存储内容的摘要。")
        return
    rows = store.registered(list(refs)) if refs else {}
    for sha, seq in sorted(refs.items(), key=lambda kv: kv[1]):
        row = rows.get(sha)
        event = stored.get(sha)
        ident = {"blob": sha, "event_seq": event["event_seq"] if event else seq}
        if sha in disposed and not store.exists(sha):
            # Removed at the end of its retention, approved twice and ledgered: the hashes
            # and events stay, the bytes are gone by design.
            report.disposed += 1
            continue
        if row is None and event is None and not store.exists(sha):
            report.warnings.append(
                f"事件 #{seq} 提到的内容 {sha} 不在本系统的存储中（可能是外部内容的摘要）。"
            )
            continue
        report.blobs += 1
        size_row, sm3_row = row if row is not None else (None, "")
        if (
            row is not None
            and event is not None
            and (size_row != event.get("size") or (event.get("sm3") or "") != (sm3_row or ""))
        ):
            report.add(
                "blob_row_changed",
                f"存储内容 {sha} 的登记（{size_row} 字节，SM3 {sm3_row or '无'}）与存储事件 #{event['event_seq']} "
                f"记录的（{event.get('size')} 字节，SM3 {event.get('sm3') or '无'}）不符。",
                **ident,
            )
        sizes = {s for s in (size_row, (event.get("size") if event else None)) if s is not None}
        sm3_expected = (event.get("sm3") if event else None) or sm3_row
        try:
            fh = store.open(sha)
        except FileNotFoundError:
            report.add(
                "blob_missing", f"存储内容 {sha}（事件 #{ident['event_seq']} 引用）的文件缺失。", **ident
            )
            continue
        h256 = hashlib.sha256()
        hsm3 = hashlib.new("sm3") if sm3_expected and "sm3" in hashlib.algorithms_available else None
        size = 0
        with fh:
            while chunk := fh.read(1 << 20):
                size += len(chunk)
                h256.update(chunk)
                if hsm3 is not None:
                    hsm3.update(chunk)
        actual = h256.hexdigest()
        if actual != sha:
            report.add(
                "blob_changed",
                f"存储内容 {sha}（事件 #{ident['event_seq']} 引用）的文件已被改动或替换：现在的 SHA-256 为 {actual}，"
                f"大小 {size} 字节。",
                **ident,
                expected=sha,
                actual=actual,
            )
            continue
        if sizes and size not in sizes:
            report.add(
                "blob_changed", f"存储内容 {sha} 的大小为 {size} 字节，登记为 {sorted(sizes)}。", **ident
            )
        if hsm3 is not None and hsm3.hexdigest() != sm3_expected:
            report.add(
                "blob_changed",
                f"存储内容 {sha} 的 SM3 摘要为 {hsm3.hexdigest()}，登记为 {sm3_expected}。",
                **ident,
                expected=sm3_expected,
                actual=hsm3.hexdigest(),
            )


# --- 6. records --------------------------------------------------------------------------


def _row_name(spec: records.Covered, key: str) -> str:
    verbose = spec.model._meta.verbose_name
    return f"{verbose}（{spec.label}）记录 {key.split('/', 1)[1]}"


def _check_rows(report: Report, latest: dict[str, tuple[str | None, int]]) -> None:
    """Every live row against the latest event committing it (see records.py)."""
    for spec in records.covered():
        key_index = spec.columns.index(spec.key)
        for row in records.rows_of(spec):
            report.rows += 1
            content = records.content_of(spec, row)
            key = spec.key_of(records.content_value(row[key_index]))
            committed = latest.pop(key, None)
            if committed is None:
                report.add(
                    "row_unrecorded",
                    f"{_row_name(spec, key)}没有任何日志事件记录它的写入（可能是绕过服务直接写入数据库）。",
                    table=spec.model._meta.db_table,
                    row=key,
                )
                continue
            digest, seq = committed
            if digest is None:
                report.add(
                    "row_reappeared",
                    f"{_row_name(spec, key)}已由事件 #{seq} 记录为删除，现在却仍在数据库中。",
                    table=spec.model._meta.db_table,
                    row=key,
                    event_seq=seq,
                )
            elif records.digest_of(content) != digest:
                _row_changed(report, spec, key, content, digest, seq)
    for key, (digest, seq) in sorted(latest.items(), key=lambda kv: kv[1][1]):
        label = key.split("/", 1)[0]
        owner = records.spec_by_label(label)
        if owner is None:
            report.warnings.append(f"事件 #{seq} 记录的 {key} 不属于任何受保护的数据表（表已改名或停用）。")
        elif digest is not None:
            report.add(
                "row_deleted",
                f"{_row_name(owner, key)}（最近由事件 #{seq} 记录）已从数据库中删除，且没有记录删除的事件。",
                table=owner.model._meta.db_table,
                row=key,
                event_seq=seq,
            )


def _row_changed(
    report: Report, spec: records.Covered, key: str, content: dict[str, Any], digest: str, seq: int
) -> None:
    ident = {"table": spec.model._meta.db_table, "row": key, "event_seq": seq, "expected": digest}
    state = RowState.objects.filter(key=key, event_seq=seq).values_list("content", flat=True).first()
    fields: list[str] = []
    if state is not None and hashlib.sha256(state.encode("utf-8")).hexdigest() == digest:
        then = json.loads(state)
        fields = sorted(k for k in set(then) | set(content) if then.get(k) != content.get(k))
    names = "、".join(_field_label(spec, f) for f in fields) or "（记录内容的副本也被改动，无法指出具体字段）"
    report.add(
        "row_changed",
        f"{_row_name(spec, key)}与事件 #{seq} 记录的内容不符，被改动的字段：{names}。",
        fields=",".join(fields),
        actual=records.digest_of(content),
        **ident,
    )


def _field_label(spec: records.Covered, attname: str) -> str:
    for f in spec.model._meta.concrete_fields:
        if f.attname == attname:
            return f"{f.verbose_name}（{attname}）"
    return attname


def verify_records() -> Report:
    """Only the record comparison (6.), reading just the events that commit rows: for the
    test suite, which checks after every test that the services committed what they wrote."""
    report = Report()
    latest: dict[str, tuple[str | None, int]] = {}
    sql = "SELECT seq, payload FROM ledger_event WHERE payload LIKE %s ORDER BY seq"
    if connection.vendor == "postgresql":
        sql = "SELECT seq, payload::text FROM ledger_event WHERE payload::text LIKE %s ORDER BY seq"
    for seq, text in _raw(sql, ['%"rows"%']):
        payload = json.loads(text) if isinstance(text, str | bytes) else text
        committed = payload.get(records.ROWS_KEY) if isinstance(payload, dict) else None
        if isinstance(committed, dict):
            for key, digest in committed.items():
                latest[key] = (digest if isinstance(digest, str) else None, seq)
    _check_rows(report, latest)
    return report


# --- entry point -------------------------------------------------------------------------


def verify(*, blobs: bool = True, rows: bool = True) -> Report:
    """Check everything; never raises for what it finds (it reports it). ``rows=False``
    leaves out the record comparison (6.), for the benchmark's ledger-only baseline."""
    started = time.monotonic()
    report = Report()
    logs = list(Log.objects.select_related("agency").order_by("pk"))
    report.logs = len(logs)
    origins = {lg.pk: lg.origin for lg in logs}
    log_keys, witness_keys = _trusted_keys(report)
    seen = _check_events(report, origins)
    for log_row in logs:
        _check_log(report, log_row, log_keys.get(log_row.pk, []), witness_keys)
    if rows:
        _check_rows(report, seen.rows)
    if blobs:
        _check_blobs(report, seen.refs, seen.stored)
    report.seconds = round(time.monotonic() - started, 3)
    return report
