"""The ledger layer of a quanlu package: events, their inclusion proofs, the signed checkpoints.

Layout under ``data/账本/`` (written by ``archive.services.dossier_export``)::

    log.vkey                 the agency log's public key(s), Go note vkey text, one per line
    witness.vkeys            the supervising agencies' cosignature keys (tlog-cosignature/v1)
    checkpoint.txt           the signed checkpoint (C2SP tlog-checkpoint note) the proofs are against
    sealed-checkpoint.txt    the checkpoint the dossier was sealed against (printed on the 备考表)
    consistency.json         RFC 9162 consistency proof from the sealed checkpoint to checkpoint.txt
    events.jsonl             the case's events, one per line in leaf order: each line's bytes are
                             the event's canonical JSON (RFC 8785), the leaf data of the log
    proofs/<leaf index>.tlog-proof   each event's inclusion proof (c2sp.org/tlog-proof@v1)

``check_ledger`` verifies all of it with the log's key (from the package, or a trusted key the
caller gives, e.g. the one printed on the 备考表), and ties the bag to the ledger: the dossier's
``archive:dossier:sealed`` event must list exactly the package's payload files with their
SHA-256, every payload file must be named by an event whose inclusion is proven, and bag-info.txt
must say what the sealed event says (档号, 案号, 保管期限, 机关).

Standard library only, no Django: embedded in the standalone verifier, with ledger/merkle.py,
note.py and tlogproof.py (note.py's Ed25519 comes from ``cryptography`` in the source tree, and
from a pure-Python RFC 8032 verifier inside the standalone file).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from dataclasses import dataclass, field
from typing import Any

from quanlu.ledger import merkle, note, tlogproof

try:  # in the source tree
    from quanlu.archive import bagit
except ImportError:  # pragma: no cover - inside the standalone verifier
    import bagit  # type: ignore[no-redef]

LEDGER_DIR = "data/账本"
RULE = "quanlu 档案包规范 v1：账本"
SEALED_TYPE = "archive:dossier:sealed"
RETENTION_LABELS = {"permanent": "永久", "y30": "30年", "y10": "10年"}
_INDEX_NAME = re.compile(r"^(0|[1-9][0-9]*|[0-9]{10,})\.(json|tlog-proof)$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
MAX_LEDGER_FILE = 1 << 20


@dataclass
class LedgerSummary:
    origin: str = ""
    size: int = 0
    root: str = ""
    key_ids: list[str] = field(default_factory=list)
    key_source: str = ""  # "package" or "trusted"
    witnesses: list[str] = field(default_factory=list)
    events: int = 0
    proven: int = 0
    sealed_size: int = 0
    archive_number: str = ""

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _key_type(vkey: str) -> int | None:
    try:
        raw = base64.b64decode(vkey.strip().split("+", 2)[-1].encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return None
    return raw[0] if raw else None


def _read(base: str, rel: str) -> bytes | None:
    path = os.path.join(base, *rel.split("/"))
    if not os.path.isfile(path) or os.path.islink(path):
        return None
    if os.path.getsize(path) > MAX_LEDGER_FILE:
        raise ValueError(f"{rel} 过大")
    with open(path, "rb") as fh:
        return fh.read()


def _text(report: bagit.BagReport, base: str, rel: str) -> str | None:
    try:
        data = _read(base, rel)
    except ValueError as exc:
        report.error("ledger.file_too_large", f"{exc}。", file=rel, rule=RULE)
        return None
    if data is None:
        report.error("ledger.file_missing", f"账本缺少 {rel}。", file=rel, rule=RULE)
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        report.error("ledger.not_utf8", f"{rel} 不是 UTF-8 文本。", file=rel, rule=RULE)
        return None


def _verifiers(
    report: bagit.BagReport, lines: list[str], rel: str, wanted: int
) -> tuple[list[note.Verifier], list[str]]:
    out: list[note.Verifier] = []
    texts: list[str] = []
    for n, line in enumerate(lines, 1):
        line = line.strip()
        if not line:
            continue
        kind = _key_type(line)
        if kind != wanted:
            if kind == 0xFF:
                report.warn(
                    "ledger.sm2_not_checked",
                    "国密 SM2 签名行未核对（离线校验只核对 Ed25519 签名；SM2 需国密算法库）。",
                    file=rel,
                    line=n,
                )
            continue
        try:
            out.append(note.parse_vkey(line))
            texts.append(line)
        except note.NoteError as exc:
            report.error("ledger.bad_key", f"公钥无效：{exc.message}", file=rel, line=n, rule=RULE)
    return out, texts


def _payload_hexes(value: Any, out: set[str]) -> None:
    if isinstance(value, str):
        if _HEX64.match(value):
            out.add(value)
    elif isinstance(value, dict):
        for v in value.values():
            _payload_hexes(v, out)
    elif isinstance(value, list):
        for v in value:
            _payload_hexes(v, out)


def check_ledger(
    report: bagit.BagReport, base: str, *, trusted_keys: tuple[str, ...] = ()
) -> LedgerSummary | None:
    summary = LedgerSummary()
    if not os.path.isdir(os.path.join(base, *LEDGER_DIR.split("/"))):
        report.error(
            "ledger.missing",
            f"档案包缺少账本目录 {LEDGER_DIR}/（日志事件、包含证明和签名检查点），无法核验来源。",
            file=LEDGER_DIR,
            rule=RULE,
        )
        return None

    # -- keys ---------------------------------------------------------------------------
    key_text = _text(report, base, f"{LEDGER_DIR}/log.vkey")
    if key_text is None:
        return None
    package_keys, package_texts = _verifiers(
        report, key_text.splitlines(), f"{LEDGER_DIR}/log.vkey", note.ALG_ED25519
    )
    if trusted_keys:
        trusted, trusted_texts = _verifiers(report, list(trusted_keys), "--key", note.ALG_ED25519)
        if not trusted:
            report.error("ledger.bad_trusted_key", "给出的公钥不是有效的 Ed25519 日志公钥。", rule=RULE)
            return None
        if not set(trusted_texts) & set(package_texts):
            report.error(
                "ledger.key_not_trusted",
                "包内的日志公钥与给出的可信公钥（如备考表所印）不同：包可能被整体伪造或重新签名。",
                file=f"{LEDGER_DIR}/log.vkey",
                rule=RULE,
            )
        log_keys, summary.key_source = trusted, "trusted"
    else:
        log_keys, summary.key_source = package_keys, "package"
    if not log_keys:
        report.error(
            "ledger.no_key", "没有可用的 Ed25519 日志公钥。", file=f"{LEDGER_DIR}/log.vkey", rule=RULE
        )
        return None
    summary.key_ids = [f"{v.name}+{v.key_id:08x}" for v in log_keys]
    witness_keys: list[note.Verifier] = []
    witness_rel = f"{LEDGER_DIR}/witness.vkeys"
    if os.path.exists(os.path.join(base, *witness_rel.split("/"))):
        witness_text = _text(report, base, witness_rel)
        if witness_text is not None:
            witness_keys, _ = _verifiers(
                report, witness_text.splitlines(), witness_rel, note.ALG_COSIGNATURE_V1
            )

    # -- checkpoints ----------------------------------------------------------------------
    cp_rel = f"{LEDGER_DIR}/checkpoint.txt"
    cp_text = _text(report, base, cp_rel)
    if cp_text is None:
        return None
    try:
        checkpoint, _signers, cosigners = tlogproof.open_checkpoint(
            cp_text, log_keys, witness_keys=witness_keys
        )
    except note.NoteError as exc:
        report.error(
            "ledger.checkpoint_invalid",
            f"签名检查点未通过核验：{exc.message}",
            file=cp_rel,
            rule="C2SP tlog-checkpoint / signed-note",
        )
        return None
    summary.origin, summary.size, summary.root = checkpoint.origin, checkpoint.size, checkpoint.root.hex()
    summary.witnesses = sorted(set(cosigners))

    sealed_rel = f"{LEDGER_DIR}/sealed-checkpoint.txt"
    sealed_text = _text(report, base, sealed_rel)
    sealed: note.Checkpoint | None = None
    if sealed_text is not None:
        try:
            sealed, _, _ = tlogproof.open_checkpoint(sealed_text, log_keys, origin=checkpoint.origin)
            summary.sealed_size = sealed.size
        except note.NoteError as exc:
            report.error(
                "ledger.sealed_checkpoint_invalid",
                f"封卷检查点（备考表所记）未通过核验：{exc.message}",
                file=sealed_rel,
                rule="C2SP tlog-checkpoint / signed-note",
            )
    if sealed is not None:
        _check_consistency(report, base, sealed, sealed_text or "", checkpoint, cp_text)

    # -- events and their proofs ------------------------------------------------------------
    entries = _check_proofs(report, base, checkpoint, cp_text, summary)

    # -- the bag against the ledger ------------------------------------------------------------
    _check_sealed_event(report, entries, sealed, summary)
    _check_coverage(report, entries)
    return summary


def _check_consistency(
    report: bagit.BagReport,
    base: str,
    sealed: note.Checkpoint,
    sealed_text: str,
    checkpoint: note.Checkpoint,
    cp_text: str,
) -> None:
    rel = f"{LEDGER_DIR}/consistency.json"
    text = _text(report, base, rel)
    if text is None:
        return
    try:
        bundle = json.loads(text)
        if not isinstance(bundle, dict) or bundle.get("format") != "quanlu.consistency-proof@v1":
            raise ValueError("format")
        proof = [base64.b64decode(h, validate=True) for h in bundle.get("proof", [])]
    except (ValueError, TypeError, binascii.Error):
        report.error("ledger.consistency_malformed", "一致性证明文件格式不正确。", file=rel, rule=RULE)
        return
    if bundle.get("old") != sealed_text or bundle.get("new") != cp_text:
        report.error(
            "ledger.consistency_mismatch",
            "一致性证明所连接的两个检查点与 sealed-checkpoint.txt、checkpoint.txt 不同。",
            file=rel,
            rule=RULE,
        )
        return
    try:
        if sealed.size > checkpoint.size:
            raise merkle.MerkleError("封卷检查点的树比导出检查点的大", "size_out_of_range")
        merkle.verify_consistency(sealed.size, checkpoint.size, proof, sealed.root, checkpoint.root)
    except merkle.MerkleError as exc:
        report.error(
            "ledger.inconsistent",
            f"封卷检查点（树大小 {sealed.size}）与导出检查点（树大小 {checkpoint.size}）不一致：{exc.message}——日志可能被改写。",
            file=rel,
            rule="RFC 9162 §2.1.4",
        )


EVENTS_FILE = f"{LEDGER_DIR}/events.jsonl"


def _check_proofs(
    report: bagit.BagReport, base: str, checkpoint: note.Checkpoint, cp_text: str, summary: LedgerSummary
) -> list[tuple[str, dict[str, Any]]]:
    """Verify each event's inclusion; returns (where, event document) of the proven ones.

    Line k of events.jsonl (its bytes, without the line end, are the leaf data: canonical JSON
    has no raw line breaks) goes with the k-th proof in leaf-index order."""
    entries = _read_events(report, base)
    if entries is None:
        return []
    indexed = _proof_files(report, base)
    summary.events = len(entries)
    if not entries:
        report.error("ledger.no_events", "账本中没有日志事件。", file=EVENTS_FILE, rule=RULE)
    if len(indexed) != len(entries):
        report.error(
            "ledger.proof_count",
            f"{EVENTS_FILE} 有 {len(entries)} 条事件，包含证明却有 {len(indexed)} 份：事件或证明被增删。",
            file=EVENTS_FILE,
            rule=RULE,
        )
    proven: list[tuple[str, dict[str, Any]]] = []
    for line_no, (entry, (index, name)) in enumerate(zip(entries, indexed, strict=False), 1):
        document = _proven_event(report, base, entry, index, name, line_no, checkpoint, cp_text)
        if document is not None:
            summary.proven += 1
            proven.append((f"{EVENTS_FILE}:{line_no}", document))
    cases = {d.get("case") for _, d in proven}
    if len(cases) > 1:
        report.error("ledger.mixed_cases", "账本中的事件属于不同案件。", file=EVENTS_FILE, rule=RULE)
    return proven


def _read_events(report: bagit.BagReport, base: str) -> list[bytes] | None:
    """The lines of events.jsonl, or None (reported) when it is missing or too large."""
    path = os.path.join(base, *EVENTS_FILE.split("/"))
    try:
        size = os.path.getsize(path) if os.path.isfile(path) and not os.path.islink(path) else -1
    except OSError:
        size = -1
    if size < 0:
        report.error("ledger.no_events", f"账本缺少日志事件文件 {EVENTS_FILE}。", file=EVENTS_FILE, rule=RULE)
        return None
    if size > 64 * MAX_LEDGER_FILE:
        report.error("ledger.file_too_large", f"{EVENTS_FILE} 过大。", file=EVENTS_FILE, rule=RULE)
        return None
    with open(path, "rb") as fh:
        body = fh.read()
    if body and not body.endswith(b"\n"):
        report.error("ledger.events_format", f"{EVENTS_FILE} 应以换行结束。", file=EVENTS_FILE, rule=RULE)
    return body.split(b"\n")[:-1] if body.endswith(b"\n") else body.split(b"\n")


def _proof_files(report: bagit.BagReport, base: str) -> list[tuple[int, str]]:
    """(leaf index, file name) of the proofs, in leaf-index order; a misnamed file is reported."""
    proofs_dir = os.path.join(base, *LEDGER_DIR.split("/"), "proofs")
    names = sorted(os.listdir(proofs_dir)) if os.path.isdir(proofs_dir) else []
    indexed: list[tuple[int, str]] = []
    for name in names:
        match = _INDEX_NAME.match(name)
        if match is None or match.group(2) != "tlog-proof":
            report.error(
                "ledger.bad_name",
                f"包含证明文件名「{name}」应为 <叶子序号>.tlog-proof。",
                file=f"{LEDGER_DIR}/proofs/{name}",
                rule=RULE,
            )
            continue
        indexed.append((int(match.group(1)), name))
    indexed.sort()
    return indexed


def _proven_event(
    report: bagit.BagReport,
    base: str,
    entry: bytes,
    index: int,
    name: str,
    line_no: int,
    checkpoint: note.Checkpoint,
    cp_text: str,
) -> dict[str, Any] | None:
    """The event on line ``line_no``, if its proof (file ``name``) shows it is leaf ``index`` of
    the checkpoint's tree; None, with the reason reported, if not."""
    proof_rel = f"{LEDGER_DIR}/proofs/{name}"
    try:
        proof_bytes = _read(base, proof_rel)
    except ValueError as exc:
        report.error("ledger.file_too_large", f"{exc}。", file=proof_rel, rule=RULE)
        return None
    if proof_bytes is None:
        report.error("ledger.proof_missing", f"{proof_rel} 无法读取。", file=proof_rel, rule=RULE)
        return None
    try:
        proof = _parse_proof(proof_bytes, cp_text)
    except note.NoteError as exc:
        report.error(
            "ledger.proof_malformed",
            f"包含证明格式不正确：{exc.message}",
            file=proof_rel,
            rule="c2sp.org/tlog-proof@v1",
        )
        return None
    if proof.checkpoint_note != cp_text:
        report.error(
            "ledger.proof_checkpoint",
            "包含证明所附的检查点与 checkpoint.txt 不同（检查点被替换，或证明来自别处）。",
            file=proof_rel,
            rule=RULE,
        )
        return None
    if proof.index != index:
        report.error(
            "ledger.proof_index",
            f"包含证明的叶子序号 {proof.index} 与文件名 {index} 不符。",
            file=proof_rel,
            rule=RULE,
        )
        return None
    try:
        if index >= checkpoint.size:
            raise merkle.MerkleInputError(f"叶子序号 {index} 不在树中（树大小 {checkpoint.size}）", "index")
        merkle.verify_inclusion(
            merkle.leaf_hash(entry), index, checkpoint.size, list(proof.path), checkpoint.root
        )
    except merkle.MerkleError as exc:
        report.error(
            "ledger.proof_invalid",
            f"第 {line_no} 条事件（叶子 {index}）的包含证明未通过（{exc.message}）：事件内容或证明被改动。",
            file=EVENTS_FILE,
            line=line_no,
            rule="RFC 9162 §2.1.3",
        )
        return None
    try:
        document = json.loads(entry.decode("utf-8"))
        if not isinstance(document, dict):
            raise ValueError("not an object")
    except (UnicodeDecodeError, ValueError):
        report.error(
            "ledger.event_unreadable",
            f"第 {line_no} 条事件不是 JSON 对象。",
            file=EVENTS_FILE,
            line=line_no,
            rule=RULE,
        )
        return None
    return document


def _parse_proof(data: bytes, cp_text: str) -> tlogproof.TlogProof:
    """A tlog-proof; when it carries the package's own checkpoint (already verified), only its
    head (index and path) is parsed here — hundreds of proofs share that one note."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return tlogproof.parse_tlog_proof(data)  # which says why
    head, sep, tail = text.partition("\n\n")
    if not sep or tail != cp_text:
        return tlogproof.parse_tlog_proof(data)
    lines = head.split("\n")
    if lines[0] != tlogproof.MAGIC or len(lines) < 2:
        return tlogproof.parse_tlog_proof(data)
    pos = 2 if lines[1].startswith("extra ") else 1
    if pos >= len(lines) or not tlogproof._INDEX_RE.fullmatch(lines[pos]):
        return tlogproof.parse_tlog_proof(data)
    path: list[bytes] = []
    for line in lines[pos + 1 :]:
        try:
            h = base64.b64decode(line.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            return tlogproof.parse_tlog_proof(data)
        if len(h) != merkle.HASH_SIZE or len(path) >= merkle.MAX_PROOF_NODES:
            return tlogproof.parse_tlog_proof(data)
        path.append(h)
    return tlogproof.TlogProof(index=int(lines[pos].split(" ")[1]), path=tuple(path), checkpoint_note=tail)


def _payload_digests(report: bagit.BagReport) -> dict[str, str]:
    manifest = next((m for m in report.manifests if m.kind == "payload" and m.algorithm == "sha256"), None)
    return {path: digest for path, (digest, _line) in (manifest.entries.items() if manifest else [])}


def _check_sealed_event(
    report: bagit.BagReport,
    entries: list[tuple[str, dict[str, Any]]],
    sealed: note.Checkpoint | None,
    summary: LedgerSummary,
) -> None:
    found = [(rel, d) for rel, d in entries if d.get("type") == SEALED_TYPE]
    if len(found) != 1:
        report.error(
            "ledger.sealed_event",
            f"账本中应有且只有一条封卷事件（{SEALED_TYPE}），实有 {len(found)} 条。",
            file=f"{LEDGER_DIR}/events",
            rule=RULE,
        )
        return
    rel, event = found[0]
    payload = event.get("payload") if isinstance(event.get("payload"), dict) else {}
    assert isinstance(payload, dict)
    cp = payload.get("checkpoint") if isinstance(payload.get("checkpoint"), dict) else {}
    assert isinstance(cp, dict)
    if sealed is not None and (
        cp.get("size") != sealed.size
        or cp.get("root") != sealed.root.hex()
        or cp.get("origin") != sealed.origin
    ):
        report.error(
            "ledger.sealed_checkpoint_mismatch",
            "封卷事件记录的检查点与 sealed-checkpoint.txt 不同。",
            file=rel,
            rule=RULE,
        )
    summary.archive_number = str(payload.get("archive_number", ""))
    listed = {}
    for item in payload.get("items") or []:
        if isinstance(item, dict) and isinstance(item.get("path"), str):
            listed["data/" + item["path"]] = item.get("sha256")
    actual = {p: d for p, d in _payload_digests(report).items() if not p.startswith(LEDGER_DIR + "/")}
    for path in sorted(set(listed) - set(actual)):
        report.error(
            "ledger.sealed_file_missing",
            f"封卷事件登记的文件 {path} 不在档案包中（被移除或改名）。",
            file=path,
            rule=RULE,
        )
    for path in sorted(set(actual) - set(listed)):
        report.error(
            "ledger.file_not_sealed", f"{path} 不是封卷时登记的文件（被加入）。", file=path, rule=RULE
        )
    for path in sorted(set(actual) & set(listed)):
        if actual[path] != listed[path]:
            report.error(
                "ledger.sealed_digest_mismatch",
                f"{path} 的 SHA-256 与封卷事件登记的不同（文件被替换或改动）。",
                file=path,
                rule=RULE,
            )
    expected = {
        "External-Identifier": payload.get("archive_number"),
        "Bag-Group-Identifier": payload.get("case_number"),
        "Source-Organization": payload.get("agency_name"),
        "Retention-Period": RETENTION_LABELS.get(str(payload.get("retention"))),
    }
    for label, value in expected.items():
        got = report.info_values(label)
        if value is not None and got and got[0] != value:
            report.error(
                "ledger.bag_info_mismatch",
                f"bag-info.txt 的 {label}「{got[0]}」与封卷事件记录的「{value}」不同。",
                file="bag-info.txt",
                rule=RULE,
            )


def _check_coverage(report: bagit.BagReport, entries: list[tuple[str, dict[str, Any]]]) -> None:
    named: set[str] = set()
    for _rel, document in entries:
        _payload_hexes(document.get("payload"), named)
    for path, digest in sorted(_payload_digests(report).items()):
        if path.startswith(LEDGER_DIR + "/"):
            continue  # the ledger's own files are proven by the signatures and proofs
        if digest not in named:
            report.error(
                "ledger.not_covered",
                f"{path} 没有任何已证明的日志事件记录它的 SHA-256（来源无法核验）。",
                file=path,
                rule=RULE,
            )
