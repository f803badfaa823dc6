"""What ``quanlu ledger verify`` finds: problems, each naming what it is about, and the
counts of what was checked; and the raw reads every check shares."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import connection

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
        self.problems.append(Problem(kind, message, {k: plain(v) for k, v in item.items()}))

    def as_dict(self) -> dict[str, Any]:
        body = asdict(self)
        body["problems"] = [{"kind": p.kind, "message": p.message, **p.item} for p in self.problems]
        body["ok"] = self.ok
        return body


def plain(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, str | int | bool) or value is None:
        return value
    return str(value)


def event_name(seq: int, uid: Any, type_: str) -> str:
    return f"事件 #{seq}（{uid}，{type_}）"


def raw_rows(sql: str, params: Sequence[Any] = (), size: int = 20000) -> Iterator[tuple[Any, ...]]:
    """Rows of a raw query, in chunks, on a cursor of its own (server-side on PostgreSQL,
    so a million rows never sit in memory at once)."""
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(size):
            yield from rows
