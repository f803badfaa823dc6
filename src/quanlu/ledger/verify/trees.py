"""3 and 4. Trees and checkpoints: each log rebuilt from its leaves, every stored node,
checkpoint signature, cosignature and consistency proof checked."""

from __future__ import annotations

from typing import Any

from quanlu.ledger import merkle, note
from quanlu.ledger.models import Checkpoint, Log
from quanlu.ledger.verify.report import Report, raw_rows


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


def check_log(
    report: Report, log_row: Log, log_keys: list[note.Verifier], witness_keys: dict[int, list[note.Verifier]]
) -> None:
    origin = log_row.origin
    hashes: list[bytes] = []
    gap = False
    for expect, (idx, h) in enumerate(
        raw_rows("SELECT idx, leaf_hash FROM ledger_leaf WHERE log_id = %s ORDER BY idx", [log_row.pk])
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
    for level, idx, h in raw_rows(
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
