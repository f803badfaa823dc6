"""Offline receipts (c2sp.org/tlog-proof@v1) and the verifier that needs no database.

    c2sp.org/tlog-proof@v1
    [extra <base64>]
    index <n>
    <base64 inclusion-path hash, leaf sibling first> ...
    <empty line>
    <the checkpoint note, verbatim, cosignatures included>

``verify_tlog_proof`` checks, in order: the form; that a log key signs the checkpoint
(unknown signatures ignored, a bad known one rejects); the witness quorum if one is
asked for; the inclusion of SHA-256(0x00 ‖ entry) at the index under the root.
It accepts any log's receipt given that log's verifier key (the real sum.golang.org
receipt verifies). No Django here; run it as
``python -m quanlu.ledger.tlogproof PROOF --vkey VKEY --data ENTRY``.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from quanlu.ledger import merkle
from quanlu.ledger.note import (
    Checkpoint,
    CosignatureVerifier,
    Note,
    NoteError,
    Verifier,
    open_note,
    parse_checkpoint,
    parse_note,
    parse_vkey,
)

MAGIC = "c2sp.org/tlog-proof@v1"
MAX_PROOF_BYTES = 1 << 20
_INDEX_RE = re.compile(r"index (0|[1-9][0-9]{0,19})")


class ProofFormatError(NoteError):
    pass


@dataclass(frozen=True)
class TlogProof:
    index: int
    path: tuple[bytes, ...]
    checkpoint_note: str  # verbatim
    extra: bytes | None = None

    def render(self) -> str:
        lines = [MAGIC]
        if self.extra is not None:
            lines.append("extra " + base64.b64encode(self.extra).decode())
        lines.append(f"index {self.index}")
        lines.extend(base64.b64encode(h).decode() for h in self.path)
        return "\n".join(lines) + "\n\n" + self.checkpoint_note


def parse_tlog_proof(text: str | bytes) -> TlogProof:
    if isinstance(text, bytes | bytearray):
        if len(text) > MAX_PROOF_BYTES:
            raise ProofFormatError("证明文件过大。", "proof_too_large")
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProofFormatError("证明文件不是有效的 UTF-8 文本。", "malformed_proof") from exc
    if len(text) > MAX_PROOF_BYTES:
        raise ProofFormatError("证明文件过大。", "proof_too_large")
    head, sep, note = text.partition("\n\n")
    if not sep:
        raise ProofFormatError("证明文件格式不正确：缺少分隔证明与检查点的空行。", "malformed_proof")
    lines = head.split("\n")
    if lines[0] != MAGIC:
        raise ProofFormatError(f"证明文件格式不正确：第一行应为 {MAGIC}。", "malformed_proof")
    pos = 1
    extra: bytes | None = None
    if pos < len(lines) and lines[pos].startswith("extra "):
        try:
            extra = base64.b64decode(lines[pos][6:].encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
            raise ProofFormatError("证明文件的 extra 行不是有效的 base64。", "malformed_proof") from exc
        pos += 1
    if pos >= len(lines) or not _INDEX_RE.fullmatch(lines[pos]):
        raise ProofFormatError(
            "证明文件格式不正确：缺少 “index 序号” 行（十进制、无前导零）。", "malformed_proof"
        )
    index = int(lines[pos].split(" ")[1])
    hashes = lines[pos + 1 :]
    if len(hashes) > merkle.MAX_PROOF_NODES:
        raise ProofFormatError(
            f"证明过长：{len(hashes)} 个哈希值（上限 {merkle.MAX_PROOF_NODES}）。", "proof_too_long"
        )
    path: list[bytes] = []
    for i, line in enumerate(hashes, 1):
        try:
            h = base64.b64decode(line.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
            raise ProofFormatError(f"证明的第 {i} 个哈希值不是有效的 base64。", "malformed_proof") from exc
        if len(h) != merkle.HASH_SIZE:
            raise ProofFormatError(
                f"证明的第 {i} 个哈希值应为 {merkle.HASH_SIZE} 字节（现为 {len(h)} 字节）。",
                "malformed_proof",
            )
        path.append(h)
    parse_note(note)  # form only; signatures are checked by verify_tlog_proof
    return TlogProof(index=index, path=tuple(path), checkpoint_note=note, extra=extra)


@dataclass(frozen=True)
class VerifiedProof:
    checkpoint: Checkpoint
    index: int
    leaf_hash: bytes
    log_signers: tuple[str, ...]
    witnesses: tuple[str, ...] = field(default=())


def _verifiers(keys: Sequence[str | Verifier]) -> list[Verifier]:
    return [parse_vkey(k) if isinstance(k, str) else k for k in keys]


def open_checkpoint(
    note_text: str | Note,
    log_keys: Sequence[str | Verifier],
    *,
    witness_keys: Sequence[str | Verifier] = (),
    quorum: int = 0,
    origin: str | None = None,
) -> tuple[Checkpoint, tuple[str, ...], tuple[str, ...]]:
    """Check a checkpoint's log signature and witness quorum; return it with who signed."""
    logs = _verifiers(log_keys)
    if not logs:
        raise NoteError("未提供日志的验证公钥。", "no_key")
    if any(isinstance(v, CosignatureVerifier) for v in logs):
        raise NoteError("日志验证公钥不能是副署（见证）公钥。", "bad_vkey")
    note = note_text if isinstance(note_text, Note) else parse_note(note_text)
    witnesses = _verifiers(witness_keys)
    opened = open_note(note, [*logs, *witnesses])
    log_ids = {(v.name, v.key_id) for v in logs}
    signed_by_log = tuple(s.name for s in opened.verified if (s.name, s.key_id) in log_ids)
    if not signed_by_log:
        raise NoteError("检查点没有日志密钥的有效签名（只有见证者签名）。", "unknown_key")
    cosigned = tuple(s.name for s in opened.verified if (s.name, s.key_id) not in log_ids)
    if len(set(cosigned)) < quorum:
        raise NoteError(
            f"见证者副署不足：需要 {quorum} 个，实际有效 {len(set(cosigned))} 个。", "quorum_not_met"
        )
    checkpoint = parse_checkpoint(note.text)
    if origin is not None and checkpoint.origin != origin:
        raise NoteError(f"检查点的来源「{checkpoint.origin}」不是所要求的「{origin}」。", "wrong_origin")
    return checkpoint, signed_by_log, cosigned


def verify_tlog_proof(
    proof: str | bytes | TlogProof,
    entry: bytes,
    log_keys: Sequence[str | Verifier],
    *,
    witness_keys: Sequence[str | Verifier] = (),
    quorum: int = 0,
    origin: str | None = None,
) -> VerifiedProof:
    """Raise ``NoteError``/``MerkleError`` unless ``entry`` is included under a checkpoint
    correctly signed by one of ``log_keys`` (and cosigned by ``quorum`` witnesses)."""
    parsed = proof if isinstance(proof, TlogProof) else parse_tlog_proof(proof)
    checkpoint, signers, witnesses = open_checkpoint(
        parsed.checkpoint_note, log_keys, witness_keys=witness_keys, quorum=quorum, origin=origin
    )
    if parsed.index >= checkpoint.size:
        raise merkle.MerkleInputError(
            f"证明的叶子序号 {parsed.index} 不在检查点的树中（树大小 {checkpoint.size}）。",
            "index_out_of_range",
        )
    leaf = merkle.leaf_hash(entry)
    merkle.verify_inclusion(leaf, parsed.index, checkpoint.size, list(parsed.path), checkpoint.root)
    return VerifiedProof(checkpoint, parsed.index, leaf, signers, witnesses)


# --- consistency between two checkpoints (a JSON bundle; C2SP defines no file for it) -------


def consistency_bundle(old_note: str, new_note: str, proof: Sequence[bytes]) -> str:
    return json.dumps(
        {
            "format": "quanlu.consistency-proof@v1",
            "old": old_note,
            "new": new_note,
            "proof": [base64.b64encode(h).decode() for h in proof],
        },
        ensure_ascii=False,
        indent=2,
    )


def verify_consistency_bundle(
    bundle: str | bytes, log_keys: Sequence[str | Verifier]
) -> tuple[Checkpoint, Checkpoint]:
    try:
        data = json.loads(bundle)
        old_note, new_note, hashes = data["old"], data["new"], data["proof"]
        if not (isinstance(old_note, str) and isinstance(new_note, str) and isinstance(hashes, list)):
            raise TypeError
        proof = [base64.b64decode(h, validate=True) for h in hashes]
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise ProofFormatError("一致性证明文件格式不正确。", "malformed_proof") from exc
    old, _, _ = open_checkpoint(old_note, log_keys)
    new, _, _ = open_checkpoint(new_note, log_keys)
    if old.origin != new.origin:
        raise NoteError("两个检查点来自不同的日志。", "wrong_origin")
    merkle.verify_consistency(old.size, new.size, proof, old.root, new.root)
    return old, new


# --- command line -----------------------------------------------------------------------


def _read_keys(values: Sequence[str]) -> list[str]:
    keys: list[str] = []
    for value in values:
        path = Path(value)
        if "+" not in value and path.is_file():
            keys.extend(line.strip() for line in path.read_text("utf-8").splitlines() if line.strip())
        else:
            keys.append(value)
    return keys


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="tlog-verify",
        description="离线验证 C2SP tlog-proof 收据：退出码 0 表示条目已被正确签名的检查点收录。",
    )
    parser.add_argument("proof", help="tlog-proof 文件")
    parser.add_argument("--vkey", action="append", required=True, help="日志验证公钥（文字或文件），可重复")
    parser.add_argument("--data", required=True, help="条目原文文件（叶子数据）")
    parser.add_argument("--witness", action="append", default=[], help="见证者副署公钥，可重复")
    parser.add_argument("--quorum", type=int, default=0, help="至少需要的见证者副署数")
    parser.add_argument("--origin", help="要求的日志来源（origin）")
    args = parser.parse_args(argv)
    try:
        proof = Path(args.proof).read_bytes()
        entry = Path(args.data).read_bytes()
        result = verify_tlog_proof(
            proof,
            entry,
            _read_keys(args.vkey),
            witness_keys=_read_keys(args.witness),
            quorum=args.quorum,
            origin=args.origin,
        )
    except OSError as exc:
        print(f"验证失败：无法读取文件：{exc.filename}", file=sys.stderr)
        return 2
    except (NoteError, merkle.MerkleError) as exc:
        print(f"验证失败：{exc}", file=sys.stderr)
        return 1
    cp = result.checkpoint
    print(
        f"验证通过：条目（叶子哈希 {result.leaf_hash.hex()}）是日志「{cp.origin}」的第 {result.index} 号条目，"
    )
    print(
        f"收录于树大小 {cp.size}、根哈希 {cp.root.hex()} 的检查点；日志签名：{'、'.join(result.log_signers)}",
        end="",
    )
    print(f"；见证副署：{'、'.join(result.witnesses)}" if result.witnesses else "。")
    return 0


if __name__ == "__main__":
    sys.exit(main())
