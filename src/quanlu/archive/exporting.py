"""Exporting a sealed dossier: the ledger files of its package (the case's events, each with
its inclusion proof against the latest checkpoint; the checkpoint the dossier was sealed against
and a consistency proof to it; the agency's and its witnesses' keys) and the check of the
package as written. ``services.dossier_export`` puts them together."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from quanlu.archive import dossier as plans
from quanlu.archive import events
from quanlu.archive.bagwriter import WrittenBag
from quanlu.archive.models import Dossier
from quanlu.cases.models import Case
from quanlu.core.errors import Conflict
from quanlu.ledger import merkle, tlogproof
from quanlu.ledger.leaves import ENTRY_COLUMNS, entry_from_row
from quanlu.ledger.models import Event, Key, Leaf, Witness
from quanlu.ledger.sequencer import checkpoint_note, latest_checkpoint, log_for_agency
from quanlu.ledger.tree import StoredTree
from quanlu.org.selectors import supervisor_of


def standalone_verifier() -> bytes:
    from quanlu.archive.standalone.build import build

    return build().encode("utf-8")


def check_written(written: WrittenBag, vkeys: list[str]) -> None:
    """Re-verify the package as written, without re-reading the payload (its digests are the
    ingest digests, re-hashed when the dossier was sealed): structure, profile and ledger."""
    from quanlu.archive import bagit, ledgerpack
    from quanlu.archive.package import PACKAGE_CHECKS

    report = bagit.validate_bag(str(written.path), completeness_only=True)
    for extra_check in PACKAGE_CHECKS:
        extra_check(report, str(written.path))
    ledgerpack.check_ledger(report, str(written.path), trusted_keys=tuple(vkeys))
    errors = [i for i in report.errors if i.code != "package.sm3_untagged"]
    if errors:
        raise Conflict(
            "写出的档案包未通过核验，已删除："
            + "；".join(f"[{i.code}] {i.file} {i.message}" for i in errors[:5]),
            code="package_invalid",
        )


@dataclass
class LedgerFiles:
    files: dict[str, bytes]
    origin: str
    size: int
    root: str
    vkeys: list[str]
    events: int


def ledger_files(case: Case, dossier: Dossier) -> LedgerFiles:
    """The case's events in the agency's log, each with its inclusion proof against the latest
    checkpoint; the checkpoint the dossier was sealed against and a consistency proof to it."""

    log_row = log_for_agency(case.agency_id)
    checkpoint = latest_checkpoint(log_row)
    if checkpoint is None:
        raise Conflict("本机关日志还没有签名检查点，请稍后再试。", code="no_checkpoint")
    size = checkpoint.size
    note_text = checkpoint_note(checkpoint)
    leaves = dict(
        Leaf.objects.filter(
            log=log_row,
            index__lt=size,
            event_seq__in=Event.objects.filter(case_uid=case.public_id).values("seq"),
        ).values_list("event_seq", "index")
    )
    sealed_seq = (
        Event.objects.filter(
            case_uid=case.public_id, type=events.DOSSIER_SEALED.name, payload__dossier=str(dossier.public_id)
        )
        .values_list("seq", flat=True)
        .first()
    )
    if sealed_seq is None or sealed_seq not in leaves:
        raise Conflict("封卷事件尚未记入签名检查点，请稍后再导出。", code="not_integrated")
    rows = Event.objects.filter(seq__in=list(leaves)).order_by("seq").values_list("seq", *ENTRY_COLUMNS)
    tree = StoredTree(log_row.pk)
    # Every proof's nodes in one batched lookup (a case has hundreds of events, and their
    # paths share most of their nodes), then each proof folded from them.
    plans = {seq: merkle.inclusion_plan(index, size) for seq, index in leaves.items()}
    nodes = tree.fetch(sorted({node for plan in plans.values() for node in plan.ids}))
    files: dict[str, bytes] = {}
    entries: list[bytes] = []
    # In leaf order: line k of events.jsonl goes with the k-th proof (one file per event would
    # cost a file creation and an fsync each, for nothing a reader needs).
    for seq, *row in sorted(rows, key=lambda r: leaves[r[0]]):
        index = leaves[seq]
        entries.append(entry_from_row(tuple(row)))
        path = merkle.prove_from_store(plans[seq], lambda ids: {i: nodes[i] for i in ids if i in nodes})
        proof = tlogproof.TlogProof(index=index, path=tuple(path), checkpoint_note=note_text)
        files[f"proofs/{index:010d}.tlog-proof"] = proof.render().encode("utf-8")
    files["events.jsonl"] = b"".join(e + b"\n" for e in entries)
    vkeys = list(Key.objects.filter(log=log_row, algorithm="ed25519").values_list("vkey", flat=True))
    all_keys = list(Key.objects.filter(log=log_row).order_by("pk").values_list("vkey", flat=True))
    files["log.vkey"] = ("\n".join(all_keys) + "\n").encode("utf-8")
    supervisor = supervisor_of(case.agency)
    if supervisor is not None:
        witness_keys = list(
            Key.objects.filter(witness__in=Witness.objects.filter(agency=supervisor)).values_list(
                "vkey", flat=True
            )
        )
        if witness_keys:
            files["witness.vkeys"] = ("\n".join(witness_keys) + "\n").encode("utf-8")
    files["checkpoint.txt"] = note_text.encode("utf-8")
    sealed_note = dossier.checkpoint_note
    files["sealed-checkpoint.txt"] = sealed_note.encode("utf-8")
    old = int(dossier.checkpoint_size or 0)
    proof_nodes = tree.consistency_proof(old, size) if 0 < old < size else []
    files["consistency.json"] = (
        tlogproof.consistency_bundle(sealed_note, note_text, proof_nodes) + "\n"
    ).encode("utf-8")
    return LedgerFiles(
        files=files,
        origin=log_row.origin,
        size=size,
        root=bytes(checkpoint.root).hex(),
        vkeys=vkeys,
        events=len(leaves),
    )


def export_target(dossier: Dossier) -> Path:
    """Where the web page's export writes: QUANLU_ARCHIVE_EXPORT_DIR/<档号>[-n]."""
    from django.conf import settings

    root = Path(settings.QUANLU_ARCHIVE_EXPORT_DIR)
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    base = plans.safe_name(dossier.archive_number, 80)
    n = dossier.exports.count()
    return root / (base if n == 0 else f"{base}-{n + 1}")
