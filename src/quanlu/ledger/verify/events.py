"""2. Events (and the queue): every row's canonical bytes against the leaf or queue entry
written when it was recorded; collects what the later checks need."""

from __future__ import annotations

import datetime as dt
import heapq
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from quanlu.ledger import keys, queue, records
from quanlu.ledger.leaves import RawEntries, leaf_hash_of, raw_entry_sql
from quanlu.ledger.verify.report import BLOB_DISPOSED, BLOB_STORED, Report, event_name, raw_rows

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
# Where check_events leaves {sha256: seq} of ledgered, authorised disposals (not a digest).
DISPOSED_KEY = "disposed"


def _queue_rows() -> Iterator[tuple[Any, ...]]:
    """Leaves and queued events, merged by event sequence number."""
    leaves = raw_rows(
        "SELECT event_seq, 'leaf', log_id, idx, event_uid, event_type, leaf_hash, NULL FROM ledger_leaf"
        " ORDER BY event_seq"
    )
    pending = raw_rows(
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
            self.report.add("queue_key", f"{event_name(seq, uid, type_)}在待入树队列中，但{self.missing}")
            self.key = b""
            return
        if self.key and not queue.valid(self.key, seq, uid, bytes(q[6]), bytes(q[7] or b"")):
            self.report.add(
                "queue_forged",
                f"{event_name(seq, uid, type_)}的待入树队列条目认证码不符：事件或其队列哈希在入树前被改动"
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


def check_events(report: Report, origins: dict[int, str]) -> _Seen:
    seen = _Seen()
    refs, stored = seen.refs, seen.stored
    changed: list[_Changed] = []
    raw = RawEntries(connection.vendor)
    queue_check = _Queue(report)
    queue_rows = _queue_rows()
    q = next(queue_rows, None)
    # Two cursors at once: the events (below) and the merged leaves/queue (above).
    for row in raw_rows(raw_entry_sql(connection.vendor)):
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
                f"{event_name(seq, uid, type_)}的内容无法规范化（{exc}），已被改动。",
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
            if type_ == BLOB_DISPOSED and authorised_disposal(payload):
                stored.setdefault(DISPOSED_KEY, {})[payload["sha256"]] = seq
        if q is None or q[0] != seq:
            report.add(
                "event_not_logged",
                f"{event_name(seq, uid, type_)}不在任何日志中，也不在待入树队列中（可能绕过了 record_event 直接写入）。",
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
        f"{event_name(seq, uid, type_)}已从事件表中删除（{place}仍记录着它，叶子哈希 {recorded.hex()}）。",
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
                f"{event_name(c.seq, c.uid, c.type)}：序号 #{c.seq} 处现在是入树时记录为事件 #{twin.seq}"
                f"（{twin.recorded_uid}，{twin.recorded_type}）的内容，而原本的事件 #{c.seq} 是"
                f"（{c.recorded_uid}，{c.recorded_type}）：事件顺序被调换。",
                swapped_with=twin.seq,
                **ident,
            )
        elif str(c.recorded_uid) != str(c.uid) or c.recorded_type != c.type:
            report.add(
                "event_changed",
                f"{event_name(c.seq, c.uid, c.type)}的标识或类型与入树时记录的不同"
                f"（记录为 {c.recorded_uid}，{c.recorded_type}）。",
                **ident,
            )
        else:
            report.add(
                "event_changed",
                f"{event_name(c.seq, c.uid, c.type)}的内容已被改动：{c.place}记录的叶子哈希为 {c.recorded.hex()}，"
                f"按现在的内容计算为 {c.actual.hex()}。",
                **ident,
            )


def authorised_disposal(payload: Any) -> bool:
    """A disposal event as archive.services.disposition_execute writes it (through
    blobs.services.blob_dispose): the blob, the disposition, two distinct approvers."""
    if not isinstance(payload, dict) or not isinstance(payload.get("sha256"), str):
        return False
    authority = payload.get("authority")
    if not isinstance(authority, dict) or not authority.get("disposition"):
        return False
    approvers = authority.get("approvals")
    return isinstance(approvers, list) and len(set(map(str, approvers))) >= 2
