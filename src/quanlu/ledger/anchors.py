"""Anchoring: a signed checkpoint handed to someone outside the system, and checked later.

The anchor file is plain UTF-8 text, short enough to print on a dossier's 备考表 or to
send to the supervising agency:

    quanlu.anchor@v1
    log <origin>
    vkey <the log's verifier key>            (one line per key)
    witness <a witness's verifier key>       (optional, one line per key)
    exported <ISO-8601 time>
    recipient <who received it>

    <the checkpoint note, verbatim, cosignatures included>

Re-importing it later proves the log was not rewritten since: the checkpoint must
verify with the keys *in the file* (the outside party's copy, not the database's),
and the log's current signed checkpoint must be consistent with it (an RFC 9162
consistency proof from the stored tree, verified against both signed roots).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from quanlu.core.errors import InvalidInput
from quanlu.ledger import merkle, note, tlogproof
from quanlu.ledger.models import Anchor, Checkpoint, Log
from quanlu.ledger.sequencer import checkpoint_note, latest_checkpoint
from quanlu.ledger.tree import StoredTree

MAGIC = "quanlu.anchor@v1"
MAX_ANCHOR_BYTES = 64 * 1024


def render(anchor: Anchor, checkpoint: Checkpoint, witnesses: list[str]) -> str:
    log = checkpoint.log
    lines = [MAGIC, f"log {log.origin}"]
    lines += [f"vkey {v}" for v in log.keys.values_list("vkey", flat=True)]
    lines += [f"witness {v}" for v in witnesses]
    lines.append(f"exported {anchor.exported_at.isoformat()}")
    lines.append(f"recipient {anchor.recipient}")
    return "\n".join(lines) + "\n\n" + checkpoint_note(checkpoint)


@dataclass
class ParsedAnchor:
    origin: str
    vkeys: list[str]
    witnesses: list[str]
    note: str
    exported: str = ""
    recipient: str = ""


def parse(text: str | bytes) -> ParsedAnchor:
    if isinstance(text, bytes | bytearray):
        if len(text) > MAX_ANCHOR_BYTES:
            raise InvalidInput("锚定文件过大。", code="anchor_too_large")
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInput("锚定文件不是有效的 UTF-8 文本。", code="malformed_anchor") from exc
    if len(text) > MAX_ANCHOR_BYTES:
        raise InvalidInput("锚定文件过大。", code="anchor_too_large")
    head, sep, body = text.replace("\r\n", "\n").partition("\n\n")
    lines = head.split("\n")
    if not sep or lines[0] != MAGIC:
        raise InvalidInput(
            f"锚定文件格式不正确（第一行应为 {MAGIC}，其后空一行接检查点）。", code="malformed_anchor"
        )
    parsed = ParsedAnchor(origin="", vkeys=[], witnesses=[], note=body)
    for line in lines[1:]:
        key, _, value = line.partition(" ")
        if key == "log":
            parsed.origin = value
        elif key == "vkey":
            parsed.vkeys.append(value)
        elif key == "witness":
            parsed.witnesses.append(value)
        elif key == "exported":
            parsed.exported = value
        elif key == "recipient":
            parsed.recipient = value
        else:
            raise InvalidInput(f"锚定文件含有未知的行「{key}」。", code="malformed_anchor")
    if not parsed.origin or not parsed.vkeys:
        raise InvalidInput("锚定文件缺少日志来源（log）或验证公钥（vkey）。", code="malformed_anchor")
    return parsed


@dataclass
class AnchorCheck:
    ok: bool
    origin: str
    anchored_size: int = 0
    anchored_root: str = ""
    current_size: int = 0
    current_root: str = ""
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def check(text: str | bytes) -> AnchorCheck:
    """Is the log still an extension of the anchored checkpoint? Never raises for what it
    finds about the log; raises InvalidInput for a malformed file."""
    parsed = parse(text)
    result = AnchorCheck(ok=False, origin=parsed.origin)
    try:
        anchored, _, cosigners = tlogproof.open_checkpoint(
            parsed.note, parsed.vkeys, witness_keys=parsed.witnesses, origin=parsed.origin
        )
    except (note.NoteError, merkle.MerkleError) as exc:
        result.problems.append(f"锚定的检查点没有通过签名核验：{exc}")
        return result
    result.anchored_size, result.anchored_root = anchored.size, anchored.root.hex()
    if cosigners:
        result.notes.append(f"锚定的检查点有见证副署：{'、'.join(cosigners)}。")
    log = Log.objects.filter(origin=parsed.origin).first()
    if log is None:
        result.problems.append(f"本系统中没有日志「{parsed.origin}」：日志被删除或换了来源。")
        return result
    current_keys = set(log.keys.values_list("vkey", flat=True))
    if not set(parsed.vkeys) & current_keys:
        result.problems.append("数据库登记的日志公钥与锚定时的公钥完全不同：公钥被替换。")
    latest = latest_checkpoint(log)
    if latest is None:
        result.problems.append("日志现在没有任何检查点。")
        return result
    try:
        current, _, _ = tlogproof.open_checkpoint(checkpoint_note(latest), parsed.vkeys, origin=parsed.origin)
    except (note.NoteError, merkle.MerkleError) as exc:
        result.problems.append(f"日志现在的检查点不是锚定时的密钥签署的：{exc}")
        return result
    result.current_size, result.current_root = current.size, current.root.hex()
    tree = StoredTree(log.pk)
    try:
        if anchored.size > current.size:
            raise merkle.ProofMismatch(
                f"日志现在只有 {current.size} 个条目，少于锚定时的 {anchored.size} 个：历史被截短。",
                "rollback",
            )
        if anchored.size == current.size:
            proof: list[bytes] = []
            if anchored.root != current.root:
                raise merkle.ProofMismatch("树大小相同但根哈希不同：日志被改写。", "root_mismatch")
        elif anchored.size == 0:
            proof = []
        else:
            proof = tree.consistency_proof(anchored.size, current.size)
            merkle.verify_consistency(anchored.size, current.size, proof, anchored.root, current.root)
        if anchored.size and tree.root(anchored.size) != anchored.root:
            raise merkle.ProofMismatch(
                "按存储的树重算锚定时大小的根哈希，与锚定的不同：日志被改写。", "root_mismatch"
            )
    except merkle.MerkleError as exc:
        result.problems.append(f"日志与锚定的检查点不一致：{exc.message}")
        return result
    result.ok = not result.problems
    return result
