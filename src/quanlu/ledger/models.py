"""Ledger events: the append-only record of every write.

The row's fields are everything that goes into the event's canonical bytes
(RFC 8785), and the leaf hash of the Merkle log is SHA-256(0x00 ‖ bytes) (RFC 9162).
Nothing here is ever updated or deleted: database triggers refuse it
(see ``quanlu.ledger.triggers``). Whatever the log learns later about an event
(its leaf index, a checkpoint) lives in other tables, so this one never changes.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from django.db import models

from quanlu.core.canonical import canonical_bytes
from quanlu.ledger.types import lookup

CANONICAL_VERSION = 1


class Event(models.Model):
    seq = models.BigAutoField("序号", primary_key=True)
    uid = models.UUIDField("事件标识", default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField("类型", max_length=64, db_index=True)
    occurred_at = models.DateTimeField("时间", db_index=True)
    actor = models.ForeignKey(
        "org.Officer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="操作人",
    )
    agency = models.ForeignKey(
        "org.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="机关"
    )
    # The subject case by public id (not a foreign key: the ledger depends on no
    # domain table, so any domain can write to it).
    case_uid = models.UUIDField("案件", null=True, blank=True, db_index=True)
    payload = models.JSONField("内容", default=dict)

    class Meta:
        verbose_name = "日志事件"
        verbose_name_plural = verbose_name
        ordering = ["seq"]
        indexes = [models.Index(fields=["case_uid", "seq"], name="ledger_event_case_seq")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.type}"

    @property
    def label(self) -> str:
        known = lookup(self.type)
        return known.label if known else self.type

    def canonical_document(self) -> dict[str, Any]:
        return {
            "v": CANONICAL_VERSION,
            "id": self.uid,
            "type": self.type,
            "at": self.occurred_at,
            "actor": self.actor.public_id if self.actor is not None else None,
            "agency": self.agency.public_id if self.agency is not None else None,
            "case": self.case_uid,
            "payload": self.payload,
        }

    def canonical_bytes(self) -> bytes:
        return canonical_bytes(self.canonical_document())

    def leaf_hash(self) -> bytes:
        return hashlib.sha256(b"\x00" + self.canonical_bytes()).digest()
