"""The sequencer: queued events become leaves of their log, in batches, under one lock.

Per-agency logs: an event goes to the log of its agency (origin
``<QUANLU_LEDGER_ORIGIN>/<agency public id>``); events without an agency (system set-up,
imports) go to the system log (``<QUANLU_LEDGER_ORIGIN>/system``). Logs, their keys
and the witnesses' keys are made the first time they are needed.

Each batch, in one transaction: take the lock (PostgreSQL advisory lock; on SQLite an
in-process lock plus the IMMEDIATE write lock), read up to QUANLU_LEDGER_BATCH queued
events, append each log's leaves and the perfect nodes they complete, check that the
stored right border still folds to the last signed root, sign one checkpoint per log
touched, have the supervising agency's witness cosign it after checking consistency
with the last checkpoint it cosigned, and remove the batch from the queue.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction

from quanlu.core.errors import DomainError
from quanlu.ledger import directory, keys, merkle, note, queue, sm2
from quanlu.ledger.models import Checkpoint, Cosignature, Key, KeyAlgorithm, Log, Pending, Witness
from quanlu.ledger.tree import StoredTree

log = logging.getLogger("quanlu.ledger")
alert_log = logging.getLogger("quanlu.ledger.alert")

_LOCK = threading.Lock()
_TAKE = (
    f"SELECT event_seq, event_uid, event_type, agency_id, leaf_hash, mac FROM {Pending._meta.db_table}"  # noqa: S608
    " ORDER BY event_seq LIMIT %s"
)
# pg_advisory_xact_lock key: "quanlu ledger sequencer".
ADVISORY_KEY = 0x716C_6C73_6571


class LedgerError(DomainError):
    def __init__(self, message: str, *, code: str = "ledger_error") -> None:
        super().__init__(message=message, code=code, status=500)


# --- names ------------------------------------------------------------------------------


def _base() -> str:
    return str(settings.QUANLU_LEDGER_ORIGIN).rstrip("/")


def log_origin(agency_id: int | None) -> str:
    if agency_id is None:
        return f"{_base()}/system"
    return f"{_base()}/{directory.current().public_id(agency_id)}"


def log_slug(log_row: Log) -> str:
    if log_row.agency_id is None:
        return "system"
    return str(directory.current().public_id(log_row.agency_id))


def witness_slug(witness: Witness) -> str:
    return str(directory.current().public_id(witness.agency_id))


def witness_name(agency_id: int) -> str:
    return f"{_base()}/witness/{directory.current().public_id(agency_id)}"


# --- logs, witnesses and their keys ------------------------------------------------------


def _add_key(*, log_row: Log | None = None, witness: Witness | None = None, algorithm: str, vkey: str) -> Key:
    existing = Key.objects.filter(vkey=vkey).first()
    if existing is not None:
        return existing
    return Key.objects.create(log=log_row, witness=witness, algorithm=algorithm, vkey=vkey)


def log_for_agency(agency_id: int | None) -> Log:
    """The log of an agency (None: the system log), made with its keys on first use."""
    qs = Log.objects.select_related("agency")
    found = (
        qs.filter(agency__isnull=True).first()
        if agency_id is None
        else qs.filter(agency_id=agency_id).first()
    )
    if found is None:
        found = Log.objects.create(origin=log_origin(agency_id), agency_id=agency_id)
        log.info("ledger: new log %s", found.origin)
    ensure_log_keys(found)
    return found


def ensure_log_keys(log_row: Log) -> None:
    slug = log_slug(log_row)
    known = {k.algorithm for k in log_row.keys.all()}
    if KeyAlgorithm.ED25519 not in known:
        signer = keys.create_or_load(keys.log_key_file(slug), log_row.origin, "ed25519")
        _add_key(log_row=log_row, algorithm=KeyAlgorithm.ED25519, vkey=keys.vkey_of(signer))
    if settings.QUANLU_LEDGER_SM2 and KeyAlgorithm.SM2 not in known:
        signer = keys.create_or_load(keys.log_sm2_key_file(slug), log_row.origin, "sm2")
        _add_key(log_row=log_row, algorithm=KeyAlgorithm.SM2, vkey=keys.vkey_of(signer))


def log_signers(log_row: Log) -> list[note.Signer]:
    """The log's private keys, each checked against a public key the database knows."""
    slug = log_slug(log_row)
    registered = set(log_row.keys.values_list("vkey", flat=True))
    files = [keys.log_key_file(slug)]
    if settings.QUANLU_LEDGER_SM2:
        files.append(keys.log_sm2_key_file(slug))
    signers: list[note.Signer] = []
    for filename in files:
        signer = keys.load(filename)
        if keys.vkey_of(signer) not in registered:
            raise LedgerError(
                f"签名私钥文件 {filename} 与数据库登记的日志「{log_row.origin}」公钥不符，拒绝签署检查点。",
                code="key_mismatch",
            )
        signers.append(signer)
    return signers


def log_verifiers(log_row: Log) -> list[note.Verifier]:
    """The log's public keys. An SM2 key is left out where gmssl-pyx is not installed:
    its signature line is then ignored like any unknown key's (C2SP)."""
    verifiers: list[note.Verifier] = []
    for vkey, algorithm in log_row.keys.values_list("vkey", "algorithm"):
        if algorithm == KeyAlgorithm.SM2 and not sm2.available():
            continue
        verifiers.append(note.parse_vkey(vkey))
    return verifiers


def supervisor_of(agency_id: int) -> int | None:
    """Who witnesses an agency's log (org decides: see ``org.selectors.supervisor_of``)."""
    return directory.current().supervisor(agency_id)


def witness_for(agency_id: int) -> Witness:
    witness = Witness.objects.filter(agency_id=agency_id).first()
    if witness is None:
        witness = Witness.objects.create(agency_id=agency_id, name=witness_name(agency_id))
    if not witness.keys.exists():
        signer = keys.create_or_load(
            keys.witness_key_file(witness_slug(witness)), witness.name, "cosignature"
        )
        _add_key(witness=witness, algorithm=KeyAlgorithm.COSIGNATURE, vkey=keys.vkey_of(signer))
    return witness


def witness_signer(witness: Witness) -> note.Signer:
    signer = keys.load(keys.witness_key_file(witness_slug(witness)))
    if not witness.keys.filter(vkey=keys.vkey_of(signer)).exists():
        raise LedgerError(f"见证者「{witness.name}」的私钥文件与数据库登记的公钥不符。", code="key_mismatch")
    return signer


# --- checkpoints and cosignatures --------------------------------------------------------


def latest_checkpoint(log_row: Log) -> Checkpoint | None:
    return Checkpoint.objects.filter(log=log_row).order_by("-size", "-created_at", "-pk").first()


def checkpoint_sign(log_row: Log, size: int, root: bytes) -> Checkpoint:
    body = note.Checkpoint(log_row.origin, size, root).body()
    signed = note.sign_note(body, log_signers(log_row))
    return Checkpoint.objects.create(log=log_row, size=size, root=root, note=signed.render())


def checkpoint_cosign(checkpoint: Checkpoint, witness: Witness) -> Cosignature:
    """The witness cosigns only a checkpoint consistent with the last one it cosigned for
    that log (C2SP tlog-witness): it never vouches for two diverging histories."""
    if Cosignature.objects.filter(checkpoint=checkpoint, witness=witness).exists():
        return Cosignature.objects.get(checkpoint=checkpoint, witness=witness)
    body = note.Checkpoint(checkpoint.log.origin, checkpoint.size, bytes(checkpoint.root)).body()
    opened = note.open_note(checkpoint.note, log_verifiers(checkpoint.log))
    if opened.note.text != body:
        raise LedgerError(
            "检查点的签名正文与其记录的树大小、根哈希不符，见证者拒绝副署。", code="checkpoint_mismatch"
        )
    last = (
        Cosignature.objects.filter(witness=witness, checkpoint__log=checkpoint.log)
        .order_by("-size", "-pk")
        .first()
    )
    if last is not None:
        old_root = bytes(last.root)
        if last.size > checkpoint.size:
            raise LedgerError(
                f"见证者已副署树大小 {last.size} 的检查点，拒绝副署更小的树（{checkpoint.size}）。",
                code="witness_rollback",
            )
        if last.size == checkpoint.size:
            if old_root != bytes(checkpoint.root):
                raise LedgerError("同一树大小出现两个不同的根哈希：日志分叉，见证者拒绝副署。", code="fork")
        else:
            try:
                proof = StoredTree(checkpoint.log_id).consistency_proof(last.size, checkpoint.size)
                merkle.verify_consistency(last.size, checkpoint.size, proof, old_root, bytes(checkpoint.root))
            except merkle.MerkleError as exc:
                raise LedgerError(
                    f"新检查点与见证者上次副署的检查点（树大小 {last.size}）不一致：{exc.message}",
                    code="inconsistent",
                ) from exc
    signer = witness_signer(witness)
    sig = note.Signature(signer.name, signer.key_id, signer.sign(body.encode("utf-8")))
    timestamp = int.from_bytes(sig.sig[:8], "big")
    return Cosignature.objects.create(
        checkpoint=checkpoint,
        witness=witness,
        size=checkpoint.size,
        root=bytes(checkpoint.root),
        timestamp=timestamp,
        line=sig.line,
    )


def checkpoint_note(checkpoint: Checkpoint) -> str:
    """The checkpoint as served: the log's signed note plus every cosignature line."""
    lines = [c.line for c in checkpoint.cosignatures.order_by("pk")]
    return checkpoint.note + "".join(lines)


# --- integration -------------------------------------------------------------------------


@dataclass
class IntegrateResult:
    integrated: int = 0
    checkpoints: list[Checkpoint] = field(default_factory=list)
    cosignatures: int = 0
    warnings: list[str] = field(default_factory=list)


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_KEY])


@contextlib.contextmanager
def sequencer_lock() -> Iterator[None]:
    """One transaction holding the sequencer's lock: for anything that creates logs,
    witnesses or checkpoints outside ``integrate`` (``quanlu ledger keys --init``)."""
    with _LOCK, transaction.atomic():
        _lock()
        yield


def integrate(*, batch_size: int | None = None, max_batches: int | None = None) -> IntegrateResult:
    """Integrate every queued event (in batches of ``batch_size``)."""
    size = batch_size or settings.QUANLU_LEDGER_BATCH
    result = IntegrateResult()
    batches = 0
    while max_batches is None or batches < max_batches:
        batches += 1
        done = _integrate_batch(size, result)
        if done < size:
            break
    return result


def _integrate_batch(batch_size: int, result: IntegrateResult) -> int:
    with _LOCK, transaction.atomic():
        _lock()
        # Raw: the uid and type go to the leaf rows as stored, with no conversions.
        with connection.cursor() as cursor:
            cursor.execute(_TAKE, [batch_size])
            rows = cursor.fetchall()
        if not rows:
            return 0
        _check_queue(rows)
        groups: dict[int | None, list[tuple[int, object, str, bytes]]] = {}
        for seq, uid, type_, agency_pk, h, _mac in rows:
            groups.setdefault(agency_pk, []).append((seq, uid, type_, bytes(h)))
        for group, leaves in groups.items():
            log_row = log_for_agency(group)
            checkpoint = _append(log_row, leaves)
            result.checkpoints.append(checkpoint)
            result.integrated += len(leaves)
            if log_row.agency_id is not None:
                _cosign(checkpoint, log_row.agency_id, result)
        _dequeue([r[0] for r in rows])
    return len(rows)


def _check_queue(rows: Sequence[tuple[int, object, str, int | None, bytes, bytes]]) -> None:
    """Refuse to sign a queue entry whose code does not match (see queue.py): it was
    rewritten by someone without the key. Integration stops (fail closed) until an
    operator has looked; ``quanlu ledger verify`` names the entry."""
    key = queue.queue_key(create=False)
    for seq, uid, type_, _agency, h, code in rows:
        if not queue.valid(key, seq, uid if isinstance(uid, str) else str(uid), bytes(h), bytes(code)):
            alert_log.critical(
                "ledger: queue entry of event #%d (%s) fails its code: refusing to integrate", seq, type_
            )
            raise LedgerError(
                f"待入树队列中事件 #{seq}（{type_}）的认证码不符：事件或其队列哈希在入树前被改动，"
                "已停止入树，请运行 quanlu ledger verify。",
                code="queue_forged",
            )


def _append(log_row: Log, leaves: Sequence[tuple[int, object, str, bytes]]) -> Checkpoint:
    tree = StoredTree(log_row.pk)
    size = tree.size()
    compact = tree.compact_range(size)
    last = latest_checkpoint(log_row)
    if last is not None and (last.size != size or bytes(last.root) != compact.root()):
        alert_log.critical(
            "ledger: stored tree of %s (size %d) does not fold to its last checkpoint (size %d)",
            log_row.origin,
            size,
            last.size,
        )
        raise LedgerError(
            f"日志「{log_row.origin}」存储的树（大小 {size}）与最近签署的检查点（大小 {last.size}）不符，"
            "疑似被篡改；已停止入树，请运行 quanlu ledger verify。",
            code="tree_mismatch",
        )
    if last is None and size:
        raise LedgerError(
            f"日志「{log_row.origin}」有叶子却没有任何检查点，疑似被篡改。", code="tree_mismatch"
        )
    tree.append(compact, leaves)
    return checkpoint_sign(log_row, compact.size, compact.root())


def _cosign(checkpoint: Checkpoint, agency_id: int, result: IntegrateResult) -> None:
    supervisor = supervisor_of(agency_id)
    if supervisor is None:
        return
    witness = witness_for(supervisor)
    try:
        with transaction.atomic():
            checkpoint_cosign(checkpoint, witness)
        result.cosignatures += 1
    except (LedgerError, keys.KeyFileError, merkle.MerkleError, note.NoteError) as exc:
        message = getattr(exc, "message", str(exc))
        alert_log.critical(
            "ledger: witness %s refused %s@%d: %s",
            witness.name,
            checkpoint.log.origin,
            checkpoint.size,
            message,
        )
        result.warnings.append(f"见证者「{witness.name}」未副署检查点（{checkpoint.size}）：{message}")


def _dequeue(seqs: Sequence[int]) -> None:
    table = Pending._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # SQLite serialises writers and numbers events in commit order, so no row at or
            # below the batch's last number can still appear: one range delete suffices.
            cursor.execute(f"DELETE FROM {table} WHERE event_seq <= %s", [max(seqs)])  # noqa: S608 - our own table
        elif connection.vendor == "postgresql":
            cursor.execute(f"DELETE FROM {table} WHERE event_seq = ANY(%s)", [list(seqs)])  # noqa: S608 - our own table
        else:
            cursor.executemany(f"DELETE FROM {table} WHERE event_seq = %s", [(s,) for s in seqs])  # noqa: S608 - our own table
