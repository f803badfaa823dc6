"""The stored Merkle tree of one log: leaves (level 0) and the perfect subtree nodes
of every even level (an odd-level node is rehashed from its two stored children).

A proof needs O(log n) stored nodes, fetched in one or two indexed queries; nothing
is recomputed beyond folding the ragged right border (``merkle.ProofPlan``). Raw SQL
on purpose: proofs must stay well under a millisecond, and the sequencer writes
hundreds of thousands of rows a second (``executemany`` on SQLite, ``COPY`` on PostgreSQL).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection

from quanlu.ledger import merkle
from quanlu.ledger.models import Leaf, Node

LEAF_TABLE = Leaf._meta.db_table
NODE_TABLE = Node._meta.db_table
# Lookups per query, under SQLite's bound-parameter limit.
_CHUNK = 200
_LEAF_LOOKUP = f"SELECT 0, idx, leaf_hash FROM {LEAF_TABLE} WHERE log_id = %s AND idx = %s"  # noqa: S608
_NODE_LOOKUP = f"SELECT level, idx, hash FROM {NODE_TABLE} WHERE log_id = %s AND level = %s AND idx = %s"  # noqa: S608


def insert_rows(table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    if not rows:
        return
    cols = ", ".join(columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # psycopg 3
            with raw.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)  # noqa: S608 - table names are our own constants


class StoredTree:
    """Reads of one log's stored tree."""

    def __init__(self, log_id: int) -> None:
        self.log_id = log_id

    def size(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT MAX(idx) FROM {LEAF_TABLE} WHERE log_id = %s", [self.log_id])  # noqa: S608 - table names are our own constants
            row = cursor.fetchone()
        return 0 if row is None or row[0] is None else int(row[0]) + 1

    def fetch(self, ids: Sequence[merkle.NodeId]) -> dict[merkle.NodeId, bytes]:
        """The hashes of the given nodes. Odd levels are not stored: such a node is the
        hash of its two (stored) children."""
        stored: set[merkle.NodeId] = set()
        for level, index in ids:
            if level & 1:
                stored.add((level - 1, 2 * index))
                stored.add((level - 1, 2 * index + 1))
            else:
                stored.add((level, index))
        raw = self.lookup(sorted(stored))
        found: dict[merkle.NodeId, bytes] = {}
        for level, index in ids:
            if level & 1:
                left, right = raw.get((level - 1, 2 * index)), raw.get((level - 1, 2 * index + 1))
                if left is not None and right is not None:
                    found[(level, index)] = merkle.node_hash(left, right)
            elif (level, index) in raw:
                found[(level, index)] = raw[(level, index)]
        return found

    def lookup(self, ids: Sequence[merkle.NodeId]) -> dict[merkle.NodeId, bytes]:
        """Stored hashes (leaves and even levels), in one round trip: a UNION ALL of
        point lookups on the unique indexes (row-value IN lists are not index-driven on SQLite)."""
        found: dict[merkle.NodeId, bytes] = {}
        with connection.cursor() as cursor:
            for start in range(0, len(ids), _CHUNK):
                parts: list[str] = []
                params: list[int] = []
                for level, index in ids[start : start + _CHUNK]:
                    if level == 0:
                        parts.append(_LEAF_LOOKUP)
                        params += [self.log_id, index]
                    else:
                        parts.append(_NODE_LOOKUP)
                        params += [self.log_id, level, index]
                cursor.execute(" UNION ALL ".join(parts), params)
                for level, index, h in cursor.fetchall():
                    found[(int(level), int(index))] = bytes(h)
        return found

    def compact_range(self, size: int) -> merkle.CompactRange:
        ids = merkle.root_plan(size)
        found = self.fetch(ids)
        missing = [i for i in ids if i not in found]
        if missing:
            raise merkle.MerkleError(f"存储的树缺少节点 {missing[0]}（日志 {self.log_id}）。", "node_missing")
        return merkle.CompactRange(size, [found[i] for i in ids])

    def root(self, size: int) -> bytes:
        return self.compact_range(size).root()

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        return merkle.prove_from_store(merkle.inclusion_plan(index, size), self.fetch)

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        return merkle.prove_from_store(merkle.consistency_plan(old_size, new_size), self.fetch)

    def append(
        self, compact: merkle.CompactRange, leaves: Iterable[tuple[int, Any, str, bytes]]
    ) -> list[tuple[int, int, int, Any, str, bytes]]:
        """Append ``(event_seq, event_uid, event_type, leaf_hash)`` leaves: write the leaf rows
        and every perfect node they complete. Returns the leaf rows written."""
        leaf_rows: list[tuple[int, int, int, Any, str, bytes]] = []
        node_rows: list[tuple[int, int, int, bytes]] = []
        log_id = self.log_id

        def keep(level: int, index: int, h: bytes) -> None:
            if not level & 1:
                node_rows.append((log_id, level, index, h))

        # Django keeps UUIDs as 32 hex characters on SQLite, as uuid on PostgreSQL; values
        # read raw from the queue are already in the database's form.
        hex_uuids = connection.vendor == "sqlite"
        for seq, uid, type_, h in leaves:
            if hex_uuids and isinstance(uid, uuid.UUID):
                uid = uid.hex
            leaf_rows.append((log_id, compact.size, seq, uid, type_, h))
            compact.append(h, keep)
        insert_rows(
            LEAF_TABLE, ("log_id", "idx", "event_seq", "event_uid", "event_type", "leaf_hash"), leaf_rows
        )
        insert_rows(NODE_TABLE, ("log_id", "level", "idx", "hash"), node_rows)
        return leaf_rows
