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
from django.utils import timezone

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


# --- the Merkle logs over the events (RFC 9162 trees, C2SP checkpoints) ---------------------
# Everything below is append-only as well (triggers), except the pending queue.


class Log(models.Model):
    """One transparency log: an agency's events, or the system log (agency = None)."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    origin = models.CharField("日志来源", max_length=255, unique=True)
    agency = models.OneToOneField(
        "org.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="机关"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "日志"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return self.origin


class Witness(models.Model):
    """An agency's cosigning key: it cosigns the checkpoints of the logs it supervises."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    agency = models.OneToOneField(
        "org.Agency", on_delete=models.PROTECT, related_name="+", verbose_name="见证机关"
    )
    name = models.CharField("见证者名称", max_length=255, unique=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "见证者"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return self.name


class KeyAlgorithm(models.TextChoices):
    ED25519 = "ed25519", "Ed25519（日志签名）"
    SM2 = "sm2", "SM2/SM3（国密签名）"
    COSIGNATURE = "cosignature", "Ed25519 见证副署（tlog-cosignature/v1）"


class Key(models.Model):
    """A public verifier key (Go note ``vkey`` text) of a log or a witness. The private
    half lives only in QUANLU_KEY_DIR. A new key (rotation, or SM2 switched on later)
    is a new row; old ones stay so old checkpoints still verify."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    log = models.ForeignKey(Log, null=True, blank=True, on_delete=models.PROTECT, related_name="keys")
    witness = models.ForeignKey(Witness, null=True, blank=True, on_delete=models.PROTECT, related_name="keys")
    algorithm = models.CharField("算法", max_length=16, choices=KeyAlgorithm.choices)
    vkey = models.TextField("验证公钥", unique=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "公钥"
        verbose_name_plural = verbose_name
        constraints = [
            models.CheckConstraint(
                condition=models.Q(log__isnull=True) ^ models.Q(witness__isnull=True),
                name="key_has_one_owner",
            )
        ]

    def __str__(self) -> str:
        return self.vkey


class SeqField(models.BigIntegerField):
    """A 64-bit key that SQLite keeps as the rowid itself ("integer primary key"), so the
    table needs no second B-tree; bigint elsewhere. Values come from Event.seq."""

    def db_type(self, connection: Any) -> str | None:
        return "integer" if connection.vendor == "sqlite" else super().db_type(connection)


class Pending(models.Model):
    """An event waiting for the sequencer, with the leaf hash taken when it was written."""

    event_seq = SeqField("事件序号", primary_key=True)
    event_uid = models.UUIDField("事件标识")
    event_type = models.CharField("类型", max_length=64)
    agency = models.ForeignKey(
        "org.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    leaf_hash = models.BinaryField("叶子哈希", max_length=32)
    # HMAC-SHA256 of (seq, uid, leaf hash) under the queue key in QUANLU_KEY_DIR: someone
    # who can edit the database but not read the key cannot rewrite an event and its
    # queued hash together before the sequencer signs it (see ledger/queue.py).
    mac = models.BinaryField("队列认证码", max_length=32, default=b"")

    class Meta:
        verbose_name = "待入树事件"
        verbose_name_plural = verbose_name


class Leaf(models.Model):
    """Leaf ``index`` of ``log`` is the event ``event_seq``. The event is named, not
    referenced by a foreign key: a deleted event row must leave its leaf behind as evidence."""

    event_seq = SeqField("事件序号", primary_key=True)
    # The unique (log, index) index serves every lookup by log; a second one would slow writes.
    log = models.ForeignKey(Log, on_delete=models.PROTECT, related_name="+", db_index=False)
    index = models.BigIntegerField("叶子序号", db_column="idx")
    event_uid = models.UUIDField("事件标识")
    event_type = models.CharField("类型", max_length=64)
    leaf_hash = models.BinaryField("叶子哈希", max_length=32)

    class Meta:
        verbose_name = "叶子"
        verbose_name_plural = verbose_name
        constraints = [models.UniqueConstraint(fields=["log", "index"], name="one_leaf_per_log_index")]


class Node(models.Model):
    """A perfect subtree's hash: leaves [index·2^level, (index+1)·2^level). Written once,
    when its last leaf arrives. Level 0 is the leaf table, and only even levels are
    stored: an odd-level node is the hash of its two stored children, one more lookup and
    one hash at proof time for a third of the rows (see tree.py)."""

    pk = models.CompositePrimaryKey("log", "level", "index")
    log = models.ForeignKey(Log, on_delete=models.PROTECT, related_name="+", db_index=False)
    level = models.PositiveSmallIntegerField("层")
    index = models.BigIntegerField("序号", db_column="idx")
    hash = models.BinaryField("哈希", max_length=32)

    class Meta:
        verbose_name = "树节点"
        verbose_name_plural = verbose_name


class Checkpoint(models.Model):
    """A signed tree head: the C2SP tlog-checkpoint note, signed by the log's key."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    log = models.ForeignKey(Log, on_delete=models.PROTECT, related_name="checkpoints")
    size = models.BigIntegerField("树大小")
    root = models.BinaryField("根哈希", max_length=32)
    note = models.TextField("签名检查点")
    created_at = models.DateTimeField("签署时间", default=timezone.now)

    class Meta:
        verbose_name = "检查点"
        verbose_name_plural = verbose_name
        indexes = [models.Index(fields=["log", "size"], name="ledger_checkpoint_log_size")]

    def __str__(self) -> str:
        return f"{self.log.origin} @ {self.size}"


class Cosignature(models.Model):
    """A witness's tlog-cosignature/v1 line over a checkpoint it found consistent with
    the last one it cosigned. ``size``/``root`` repeat what it signed: its own memory."""

    checkpoint = models.ForeignKey(Checkpoint, on_delete=models.PROTECT, related_name="cosignatures")
    witness = models.ForeignKey(Witness, on_delete=models.PROTECT, related_name="+")
    size = models.BigIntegerField("树大小")
    root = models.BinaryField("根哈希", max_length=32)
    timestamp = models.BigIntegerField("副署时间（Unix 秒）")
    line = models.TextField("签名行")

    class Meta:
        verbose_name = "见证副署"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(fields=["checkpoint", "witness"], name="one_cosignature_per_witness")
        ]


class Anchor(models.Model):
    """A checkpoint handed to someone outside (a supervising agency, a dossier's 备考表)."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    checkpoint = models.ForeignKey(Checkpoint, on_delete=models.PROTECT, related_name="+")
    recipient = models.CharField("接收方", max_length=200)
    exported_by = models.ForeignKey(
        "org.Officer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    exported_at = models.DateTimeField("导出时间", default=timezone.now)

    class Meta:
        verbose_name = "外部锚定"
        verbose_name_plural = verbose_name


class Verification(models.Model):
    """One run of the full verification, with what it found."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    started_at = models.DateTimeField("开始时间")
    finished_at = models.DateTimeField("结束时间")
    ok = models.BooleanField("通过")
    events = models.BigIntegerField("事件数")
    problems = models.JSONField("问题", default=list)

    class Meta:
        verbose_name = "校验记录"
        verbose_name_plural = verbose_name


class RowState(models.Model):
    """A covered row's canonical content as an event committed it (see records.py).

    The event's payload holds only the digest; this copy lets verify name the fields
    that changed. It is authenticated by that digest, so editing it is noticed too."""

    event_seq = models.BigIntegerField("事件序号")
    key = models.CharField("记录", max_length=200)
    content = models.TextField("规范内容", blank=True)  # empty: the row was removed

    class Meta:
        verbose_name = "记录状态"
        verbose_name_plural = verbose_name
        indexes = [models.Index(fields=["key", "event_seq"], name="ledger_rowstate_key_seq")]
