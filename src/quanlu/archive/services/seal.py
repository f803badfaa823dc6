"""Sealing (封卷归档): 档号, cover, file index, 备考表 printing the ledger checkpoint it is
sealed against, the DA/T 48 metadata, the 四性检测 (DA/T 70) and the seal event; and the
close gate (a case closes only with its dossier sealed)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from quanlu.archive import checks, events, sealing
from quanlu.archive import dossier as plans
from quanlu.archive.locking import retain_sealed
from quanlu.archive.models import (
    RETENTION_CODES,
    ArchiveNumberSequence,
    CheckResult,
    Dossier,
    DossierCheck,
    DossierItem,
    DossierStatus,
    ItemKind,
    Retention,
)
from quanlu.archive.selectors import current_dossier
from quanlu.archive.services.common import _integrate, _lock_case, _lock_dossier, _require_archivist, log
from quanlu.blobs.services import blob_store_bytes
from quanlu.blobs.store import local_files
from quanlu.cases.models import Case, Stage
from quanlu.cases.services import deadlines_refresh
from quanlu.core.errors import Conflict, Finding, Refused
from quanlu.ledger.models import Pending
from quanlu.ledger.sequencer import checkpoint_note, latest_checkpoint, log_for_agency
from quanlu.ledger.services import record_event
from quanlu.org.models import Officer


class _NotIntegrated(Exception):
    """Events of the agency arrived after the checkpoint was signed; integrate and retry."""


def _archive_number(dossier: Dossier, year: int) -> str:
    seq, _ = ArchiveNumberSequence.objects.select_for_update().get_or_create(
        agency=dossier.agency, year=year, retention=dossier.retention
    )
    ArchiveNumberSequence.objects.filter(pk=seq.pk).update(last=F("last") + 1)
    seq.refresh_from_db()
    return archive_number_format(
        fonds=dossier.fonds_code,
        category=dossier.category_code,
        year=year,
        retention=dossier.retention,
        unit=dossier.unit_code,
        serial=seq.last,
    )


def archive_number_format(
    *, fonds: str, category: str, year: int, retention: str, unit: str, serial: int
) -> str:
    """DA/T 22-2015 档号: 全宗号-门类代码·年度-保管期限代码-机构（问题）代码-件号."""
    return f"{fonds}-{category}·{year}-{RETENTION_CODES[Retention(retention)]}-{unit}-{serial:04d}"


def archive_number_pattern(dossier: Dossier) -> re.Pattern[str]:
    return re.compile(
        rf"{re.escape(dossier.fonds_code)}-{re.escape(dossier.category_code)}·\d{{4}}-(Y|D30|D10)-"
        rf"{re.escape(dossier.unit_code)}-\d{{4,}}"
    )


def _ledger_state(case: Case) -> tuple[Any, Any, str, list[str]]:
    """(log, latest checkpoint, its served note, log vkeys) of the case's agency."""

    log_row = log_for_agency(case.agency_id)
    checkpoint = latest_checkpoint(log_row)
    if checkpoint is None or Pending.objects.filter(agency_id=case.agency_id).exists():
        raise _NotIntegrated()
    vkeys = list(log_row.keys.filter(algorithm="ed25519").values_list("vkey", flat=True))
    return log_row, checkpoint, checkpoint_note(checkpoint), vkeys


def dossier_seal(*, actor: Officer, dossier: Dossier) -> Dossier:
    """Seal (封卷归档) an assembled dossier: see the module docstring. Refused, with every
    finding, if anything is missing or any 四性 check fails; nothing is written then."""
    case = dossier.case
    _require_archivist(actor, case, "封卷归档")
    for _attempt in range(3):
        _integrate()
        try:
            sealed = _seal(actor=actor, dossier_id=dossier.pk)
        except _NotIntegrated:
            continue
        retain_sealed(sealed)  # committed: the object store keeps its contents for the period
        try:
            _integrate()  # the seal event into a signed checkpoint, for exports to prove
        except Exception:  # the worker integrates it later; the seal itself stands
            log.exception("archive: integrating the seal event of %s failed", sealed.archive_number)
        return sealed
    raise Conflict("日志持续有新事件写入，未能取得封卷所需的检查点，请稍后重试。", code="ledger_busy")


@transaction.atomic
def _seal(*, actor: Officer, dossier_id: int) -> Dossier:
    dossier = Dossier.objects.select_related("case", "agency").get(pk=dossier_id)
    case = _lock_case(dossier.case)
    dossier = _lock_dossier(dossier)
    _require_archivist(actor, case, "封卷归档")
    blocking, items = _check_sealable(case, dossier)
    log_row, checkpoint, checkpoint_text, vkeys = _ledger_state(case)
    ledger = sealing.SealedAgainst(
        origin=log_row.origin,
        size=checkpoint.size,
        root=bytes(checkpoint.root).hex(),
        note=checkpoint_text,
        vkey=vkeys[0] if vkeys else "",
    )
    now = timezone.now()
    number = _archive_number(dossier, timezone.localtime(now).year)
    # Everything that reads the stored bytes (the 四性检测 re-hash and probe them) reads them
    # from local files: the blobs themselves, or private copies from S3 removed afterwards.
    with local_files(i.sha256 for i in items) as paths:
        files = sealing.pages(
            dossier=dossier,
            case=case,
            items=items,
            number=number,
            actor=actor,
            now=now,
            ledger=ledger,
            paths=paths,
        )
        outcomes = checks.run(
            checks.SealInput(
                case=case,
                archive_number=number,
                archive_number_pattern=archive_number_pattern(dossier),
                retention=dossier.retention,
                title=dossier.title,
                start=dossier.start_date,
                end=dossier.end_date,
                files=files,
                xml=next(f.data for f in files if f.kind == ItemKind.METADATA) or b"",
                checkpoint_note=checkpoint_text,
                log_vkeys=vkeys,
                missing=blocking,
                now=now,
            )
        )
        _refuse_failed(outcomes)
        reports, counts = sealing.report_files(
            dossier=dossier, case=case, number=number, files=files, outcomes=outcomes, now=now
        )
    files += reports
    _store_generated(actor=actor, case=case, dossier=dossier, files=files, items=items, now=now)
    _mark_sealed(dossier, actor=actor, number=number, now=now, ledger=ledger, outcomes=outcomes)
    sealed_items = list(dossier.items.order_by("position"))
    assembled_pks = {i.pk for i in items}
    record_event(
        type=events.DOSSIER_SEALED,
        actor=actor,
        agency=case.agency,
        case_uid=case.public_id,
        at=now,
        payload={
            "dossier": dossier.public_id,
            "version": dossier.version,
            "archive_number": number,
            "case_number": case.number,
            "agency_name": case.agency.name,
            "title": dossier.title,
            "retention": dossier.retention,
            "checkpoint": {
                "origin": ledger.origin,
                "size": ledger.size,
                "root": ledger.root,
                "note_sha256": hashlib.sha256(ledger.note.encode("utf-8")).hexdigest(),
            },
            "items": [_sealed_item(i) for i in sealed_items],
            "checks": counts,
        },
        # The dossier (now sealed), the generated files added to it and the 四性检测 results.
        rows=[dossier, *(i for i in sealed_items if i.pk not in assembled_pks), *dossier.checks.all()],
    )
    # Sealing meets the archiving deadline, in this transaction (supervision keeps it).
    deadlines_refresh(actor=actor, case=case)
    return dossier


def _check_sealable(case: Case, dossier: Dossier) -> tuple[list[Any], list[DossierItem]]:
    """An assembled dossier of a case in its archiving stage, with nothing missing, assembled
    from the case's records as they are now. Returns the blocking gaps (none, for the 四性检测)
    and the assembled items."""
    if dossier.status != DossierStatus.ASSEMBLED:
        raise Conflict(f"案卷处于「{dossier.get_status_display()}」状态，不能封卷。", code="not_assembled")
    if case.stage != Stage.ARCHIVING:
        raise Conflict("案件不在归档阶段，不能封卷。", code="not_archiving")
    blocking = plans.blocking(case)
    if blocking:
        raise Refused(
            "案卷尚不完整，不能封卷：" + "；".join(m.message for m in blocking),
            [m.finding for m in blocking],
            code="dossier_incomplete",
        )
    items = list(dossier.items.order_by("position"))
    now_plan = {(p.kind, p.source_uid, p.source_version) for p in plans.plan(case, count_pages=False)}
    assembled = {(i.kind, str(i.source_uid), i.source_version) for i in items}
    if now_plan != assembled:
        raise Conflict(
            "组卷后案件的记录有了变化（新增、更正或签署），请重新组卷后再封卷。", code="dossier_stale"
        )
    return blocking, items


def _refuse_failed(outcomes: list[checks.Outcome]) -> None:
    """Refuse the seal, citing DA/T 70 for each check that failed."""
    failed = [o for o in outcomes if o.result == CheckResult.FAIL]
    if failed:
        findings = [
            Finding(
                rule=o.code, message=f"{o.code} {o.name}：{o.message}", article=f"{sealing.DA_T_70} {o.code}"
            )
            for o in failed
        ]
        raise Refused(
            "四性检测未通过，不能封卷：" + "；".join(f.message for f in findings),
            findings,
            code="checks_failed",
        )


def _store_generated(
    *,
    actor: Officer,
    case: Case,
    dossier: Dossier,
    files: list[checks.SealFile],
    items: list[DossierItem],
    now: dt.datetime,
) -> None:
    """Store what was generated (cover, index, 备考表, metadata, reports); record it beside
    the documents and media, the cover and index first and the rest after them."""
    last = max((i.position for i in items), default=1)
    positions = {
        ItemKind.COVER: 0,
        ItemKind.INDEX: 1,
        ItemKind.NOTE: last + 1,
        ItemKind.METADATA: last + 2,
        ItemKind.REPORT: last + 3,
        ItemKind.REPORT_JSON: last + 4,
    }
    new_items = []
    for f in files:
        if f.data is None:
            continue
        blob, _ = blob_store_bytes(actor=actor, agency=case.agency, data=f.data)
        new_items.append(
            DossierItem(
                dossier=dossier,
                position=positions[ItemKind(f.kind)],
                kind=f.kind,
                sha256=blob.sha256,
                size=blob.size,
                media_type=f.media_type,
                bag_path=f.bag_path,
                title=f.title,
                responsible=case.agency.name,
                date=timezone.localdate(now),
                pages=f.pages,
                source_sha256=blob.sha256,
            )
        )
    DossierItem.objects.bulk_create(new_items)


def _mark_sealed(
    dossier: Dossier,
    *,
    actor: Officer,
    number: str,
    now: dt.datetime,
    ledger: Any,
    outcomes: list[checks.Outcome],
) -> None:
    """Keep the 四性检测 results, then mark the dossier sealed under its 档号 against the
    ledger checkpoint (a 档号 taken meanwhile by another seal refuses this one)."""
    DossierCheck.objects.bulk_create(
        [
            DossierCheck(
                dossier=dossier,
                code=o.code,
                group=o.group,
                name=o.name,
                result=o.result,
                message=o.message,
                at=now,
            )
            for o in outcomes
        ]
    )
    dossier.status = DossierStatus.SEALED
    dossier.archive_number = number
    dossier.sealed_by = actor
    dossier.sealed_at = now
    dossier.checkpoint_origin = ledger.origin
    dossier.checkpoint_size = ledger.size
    dossier.checkpoint_root = ledger.root
    dossier.checkpoint_note = ledger.note
    dossier.checkpoint_key = ledger.vkey
    try:
        with transaction.atomic():
            dossier.save(
                update_fields=[
                    "status",
                    "archive_number",
                    "sealed_by",
                    "sealed_at",
                    "checkpoint_origin",
                    "checkpoint_size",
                    "checkpoint_root",
                    "checkpoint_note",
                    "checkpoint_key",
                ]
            )
    except IntegrityError as exc:
        raise Conflict(f"档号「{number}」已被使用，请重试。", code="archive_number_taken") from exc


def _sealed_item(i: DossierItem) -> dict[str, Any]:
    out: dict[str, Any] = {
        "path": i.bag_path,
        "sha256": i.sha256,
        "size": i.size,
        "kind": i.kind,
        "source": i.source_uid,
    }
    if i.source_sha256 and i.source_sha256 != i.sha256:
        out["source_sha256"] = i.source_sha256  # the uploaded original of a PDF/A rendition
    return out


# ---------------------------------------------------------------- the close gate


def closing_findings(case: Case) -> list[Finding]:
    """Registered in cases.services.CLOSING_CHECKS: a case closes only with its dossier sealed
    (closing freezes the case, so nothing could be added to an unsealed dossier afterwards)."""
    dossier = current_dossier(case)
    if dossier is not None and dossier.sealed:
        return []
    state = "尚未组卷" if dossier is None else "已组卷但尚未封卷"
    return [
        plans.archive_finding(
            case,
            "archive.dossier_sealed",
            f"案卷{state}：须由档案管理人员组卷、经四性检测后封卷归档，方可结案",
        )
    ]
