"""Archive writes: ``grep "def archive_\\|def dossier_\\|def legal_hold_\\|def disposition_\\|def package_"``.

- ``archive_settings_set``: the agency's 全宗号, 档号 codes and retention periods (ARC-06).
- ``dossier_assemble``: the case's documents and audio-visual records, in order, as a dossier
  (a new version each time, until it is sealed).
- ``dossier_seal``: 档号, cover, file index, 备考表 printing the ledger checkpoint it is sealed
  against, the DA/T 48 metadata, the 四性检测 (DA/T 70) — refused unless every check passes and
  nothing is missing — and the seal event listing every file's SHA-256. Meets the 30-day
  archiving deadline; only a sealed case may close.
- ``dossier_export``: a closed case's sealed dossier as a BagIt 1.0 package with its ledger
  events, inclusion proofs and signed checkpoints; every digest from ingest, bytes copied by the
  kernel.
- ``legal_hold_place`` / ``legal_hold_release``; ``disposition_request`` → two
  ``disposition_approve`` by different approvers → ``disposition_execute`` (tombstones, bytes
  removed, hashes and events kept, 销毁清册).
- ``package_write``: blobs to a package (phase 1; the building block of exports).

Sealing and exporting are not one transaction on purpose: the ledger's sequencer signs
checkpoints in its own transactions, and copying gigabytes inside one would hold the database's
write lock for minutes. Each writes its files first (all or nothing) and records its event in a
short transaction afterwards, undoing the files if that fails.
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from quanlu.archive import checks, events, exporting, sealing
from quanlu.archive import disposal as disposals
from quanlu.archive import dossier as plans
from quanlu.archive.bagwriter import BagWriteError, PayloadFile, WrittenBag, write_bag
from quanlu.archive.models import (
    RETENTION_CODES,
    ApprovalOutcome,
    ArchiveNumberSequence,
    ArchiveSettings,
    CheckResult,
    DispositionApproval,
    DispositionRequest,
    DispositionStatus,
    Dossier,
    DossierCheck,
    DossierItem,
    DossierStatus,
    ItemKind,
    LegalHold,
    PackageExport,
    Retention,
)
from quanlu.archive.package import package_bag_info
from quanlu.archive.selectors import (
    archive_settings_for,
    current_dossier,
    is_archivist,
    is_disposal_approver,
)
from quanlu.blobs.models import Blob, Tombstone
from quanlu.blobs.services import blob_dispose, blob_dispose_bytes, blob_store_bytes
from quanlu.blobs.store import BlobError, check_sha256, get_store
from quanlu.cases.models import Case, SignatureMethod, Stage
from quanlu.core.errors import Conflict, Finding, InvalidInput, NotFound, PermissionDenied, Refused
from quanlu.core.validation import clean_choice, clean_text
from quanlu.ledger.services import record_event
from quanlu.org.models import AgencyKind, Officer, Role

log = logging.getLogger("quanlu.archive")

MAX_ITEMS = 100_000
_CODE_RE = re.compile(r"^[A-Za-z0-9]{1,16}$")
_SHORT_CODE_RE = re.compile(r"^[A-Z0-9]{1,8}$")


# ---------------------------------------------------------------- permissions


def _require_archivist(actor: Officer, case: Case, action: str) -> None:
    if actor.agency_id != case.agency_id:
        # Supervisors above see the dossier but may not act on it.
        raise PermissionDenied(f"只有本案办案机关的档案管理人员可以{action}。")
    if not is_archivist(actor, case.agency):
        raise PermissionDenied(f"{action}需要档案管理人员角色。")


def _lock_case(case: Case) -> Case:
    return Case.objects.select_for_update().select_related("agency").get(pk=case.pk)


def _lock_dossier(dossier: Dossier) -> Dossier:
    return Dossier.objects.select_for_update().select_related("case", "agency").get(pk=dossier.pk)


# ---------------------------------------------------------------- settings


@transaction.atomic
def archive_settings_set(
    *,
    actor: Officer,
    fonds_code: str,
    fonds_name: str,
    category_code: str = "ZF",
    unit_code: str = "AJ",
    retention_general: str = Retention.PERMANENT,
    retention_simplified: str = Retention.Y30,
    retention_major: str = Retention.PERMANENT,
    retention_terminated: str = Retention.Y10,
) -> ArchiveSettings:
    """Set the actor's agency's archive settings (a new row; the latest applies to dossiers
    assembled from now on, sealed ones keep theirs)."""
    agency = actor.agency
    if agency is None or agency.kind != AgencyKind.ENFORCEMENT:
        raise PermissionDenied("只有行政执法机关可以设置档案规则。")
    if not actor.is_active or not actor.has_role(Role.ARCHIVIST, Role.APPROVER):
        raise PermissionDenied("设置档案规则需要档案管理人员或机关负责人角色。")
    fonds_code = clean_text(fonds_code, label="全宗号", field="fonds_code", max_length=16)
    if not _CODE_RE.match(fonds_code):
        raise InvalidInput("「全宗号」只能由字母和数字组成（1—16 位）。", field_name="fonds_code")
    fonds_name = clean_text(fonds_name, label="全宗名称", field="fonds_name", max_length=100)
    category_code = clean_text(category_code, label="门类代码", field="category_code", max_length=8).upper()
    unit_code = clean_text(unit_code, label="机构（问题）代码", field="unit_code", max_length=8).upper()
    for value, field_name, label in (
        (category_code, "category_code", "门类代码"),
        (unit_code, "unit_code", "机构（问题）代码"),
    ):
        if not _SHORT_CODE_RE.match(value):
            raise InvalidInput(f"「{label}」只能由大写字母和数字组成（1—8 位）。", field_name=field_name)
    periods = {}
    for key, label in (
        ("retention_general", "一般程序案件保管期限"),
        ("retention_simplified", "简易程序案件保管期限"),
        ("retention_major", "重大行政执法决定案件保管期限"),
        ("retention_terminated", "未作出决定即终结的案件保管期限"),
    ):
        periods[key] = clean_choice(locals()[key], label=label, field=key, choices=Retention)
    row = ArchiveSettings.objects.create(
        agency=agency,
        fonds_code=fonds_code,
        fonds_name=fonds_name,
        category_code=category_code,
        unit_code=unit_code,
        changed_by=actor,
        changed_at=timezone.now(),
        **periods,
    )
    record_event(
        type=events.SETTINGS_CHANGED,
        actor=actor,
        agency=agency,
        payload={
            "settings": row.public_id,
            "fonds_code": fonds_code,
            "fonds_name": fonds_name,
            "category_code": category_code,
            "unit_code": unit_code,
            **periods,
        },
        rows=[row],
    )
    return row


# ---------------------------------------------------------------- assembly


def _convert_to_pdfa(path: Path) -> bytes | None:
    """A PDF/A-2b rendition of an uploaded PDF (pikepdf repairs output intent, XMP and
    annotation flags, then validates what it wrote); None if it cannot be made one."""
    import io

    import pikepdf
    import pikepdf.pdfa

    try:
        with pikepdf.open(path) as pdf:
            if pdf.is_encrypted:
                return None
            out = io.BytesIO()
            pikepdf.pdfa.save(pdf, out, "2b")
            return out.getvalue()
    except Exception:
        return None


def _pdfa_ok(path: Path) -> bool:
    import pikepdf.pdfa

    return bool(pikepdf.pdfa.validate_written(path, "2b").passed)


def _archival_file(actor: Officer, case: Case, item: plans.PlannedItem) -> plans.PlannedItem:
    """The file the dossier keeps for a planned item: as recorded, or — for an uploaded PDF that
    is not PDF/A — its PDF/A-2b rendition, stored as a blob, the original named beside it."""
    if item.kind != ItemKind.DOCUMENT or item.media_type != "application/pdf":
        return item
    path = get_store().local_path(item.sha256)
    if path is None or not path.is_file() or _pdfa_ok(path):
        return item
    rendition = _convert_to_pdfa(path)
    if rendition is None:
        finding = plans.archive_finding(
            case,
            "archive.pdfa",
            f"「{item.title}」不是 PDF/A 长期保存格式，且无法自动转换（字体未嵌入或文件加密）。",
        )
        raise Refused(
            finding.message + "请上传符合 PDF/A 的版本或扫描图像后重新组卷。", [finding], code="not_pdfa"
        )
    blob, _ = blob_store_bytes(actor=actor, agency=case.agency, data=rendition)
    item.note = (
        item.note + "；" if item.note else ""
    ) + f"由上传的 PDF 转换为 PDF/A-2b（原件 SHA-256 {item.sha256[:16]}…）"
    item.source_sha256 = item.sha256
    item.sha256, item.size = blob.sha256, blob.size
    return item


@transaction.atomic
def dossier_assemble(
    *, actor: Officer, case: Case, retention: str | None = None, retention_reason: str = ""
) -> Dossier:
    """Assemble (组卷) the case's dossier: every document (its signed PDF/A, or the uploaded
    scan) and audio-visual record, in 卷内目录 order with page numbers. Until it is sealed the
    archivist may assemble again; each time is a new version superseding the last."""
    case = _lock_case(case)
    _require_archivist(actor, case, "组卷")
    if case.stage == Stage.CLOSED:
        raise Conflict("案件已结案，不能再组卷。", code="case_closed")
    if case.stage != Stage.ARCHIVING:
        raise Conflict(
            f"案件处于「{Stage(case.stage).label}」阶段；执法行为终结、进入归档阶段后才能组卷。",
            code="not_archiving",
        )
    current = current_dossier(case)
    if current is not None and current.status != DossierStatus.ASSEMBLED:
        raise Conflict("本案案卷已封卷归档，不能重新组卷。", code="dossier_sealed")
    settings_row = archive_settings_for(case.agency)
    default = plans.default_retention(case, settings_row)
    if retention in (None, ""):
        retention = default
    retention = clean_choice(retention, label="保管期限", field="retention", choices=Retention)
    retention_reason = clean_text(
        retention_reason,
        label="保管期限说明",
        field="retention_reason",
        max_length=500,
        required=retention != default,
    )
    items = [_archival_file(actor, case, i) for i in plans.plan(case)]
    if len(items) > MAX_ITEMS:
        raise InvalidInput(f"一个案卷最多 {MAX_ITEMS} 件。", field_name="items")
    empty = [i.title for i in items if not i.sha256]
    if empty:
        raise Conflict(f"以下文书尚无可归档的文件：{'、'.join(empty)}。", code="no_file")
    now = timezone.now()
    start, end = plans.case_dates(case)
    version = (
        Dossier.objects.filter(case=case).order_by("-version").values_list("version", flat=True).first() or 0
    ) + 1
    if current is not None:
        Dossier.objects.filter(pk=current.pk, status=DossierStatus.ASSEMBLED).update(
            status=DossierStatus.SUPERSEDED
        )
    documents = [i for i in items if i.kind == ItemKind.DOCUMENT]
    dossier = Dossier.objects.create(
        case=case,
        agency=case.agency,
        version=version,
        supersedes=current,
        status=DossierStatus.ASSEMBLED,
        title=plans.dossier_title(case)[:300],
        retention=retention,
        retention_reason=retention_reason,
        fonds_code=settings_row.fonds_code,
        fonds_name=settings_row.fonds_name,
        category_code=settings_row.category_code,
        unit_code=settings_row.unit_code,
        start_date=start,
        end_date=end,
        documents=len(documents),
        media=len(items) - len(documents),
        pages=sum(i.pages for i in documents),
        assembled_by=actor,
        assembled_at=now,
    )
    DossierItem.objects.bulk_create(
        [
            DossierItem(
                dossier=dossier,
                position=(i.index_no or 0) + 1,
                index_no=i.index_no,
                kind=i.kind,
                sha256=i.sha256,
                size=i.size,
                media_type=i.media_type,
                bag_path=i.bag_path,
                title=i.title[:300],
                doc_number=i.doc_number,
                responsible=i.responsible[:200],
                date=i.date,
                pages=i.pages,
                page_from=i.page_from,
                page_to=i.page_to,
                source_uid=i.source_uid or None,
                source_version=i.source_version,
                source_sha256=i.source_sha256 or i.sha256,
                av=i.av,
                note=i.note[:500],
            )
            for i in items
        ]
    )
    record_event(
        type=events.DOSSIER_ASSEMBLED,
        actor=actor,
        agency=case.agency,
        case_uid=case.public_id,
        at=now,
        payload={
            "dossier": dossier.public_id,
            "version": version,
            "supersedes": current.public_id if current else None,
            "title": dossier.title,
            "retention": retention,
            "retention_reason": retention_reason,
            "items": [
                {"path": i.bag_path, "sha256": i.sha256, "kind": i.kind, "source": i.source_uid or None}
                for i in items
            ],
            "missing": len(plans.blocking(case)),
        },
        # The new version, its items and the version it supersedes (status changed above).
        rows=[dossier, *dossier.items.all(), *([current] if current is not None else [])],
    )
    return dossier


# ---------------------------------------------------------------- sealing


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
    from quanlu.ledger.models import Pending
    from quanlu.ledger.sequencer import checkpoint_note, latest_checkpoint, log_for_agency

    log_row = log_for_agency(case.agency_id)
    checkpoint = latest_checkpoint(log_row)
    if checkpoint is None or Pending.objects.filter(agency_id=case.agency_id).exists():
        raise _NotIntegrated()
    vkeys = list(log_row.keys.filter(algorithm="ed25519").values_list("vkey", flat=True))
    return log_row, checkpoint, checkpoint_note(checkpoint), vkeys


def _integrate() -> None:
    from quanlu.ledger.services import ledger_integrate

    ledger_integrate()


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
    files = sealing.pages(
        dossier=dossier, case=case, items=items, number=number, actor=actor, now=now, ledger=ledger
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
    reports, counts = sealing.report_files(
        dossier=dossier, case=case, number=number, files=files, outcomes=outcomes, now=now
    )
    files += reports

    # Store what was generated; record it beside the documents and media.
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
    from quanlu.supervision.services import deadlines_sync

    deadlines_sync(actor=actor, case=case)
    return dossier


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


# ---------------------------------------------------------------- export


LEDGER_PREFIX = plans.LEDGER_DIR


def dossier_export(*, actor: Officer | None, dossier: Dossier, target_dir: str | Path) -> PackageExport:
    """Write the sealed dossier of a closed case as a BagIt 1.0 package at ``target_dir``
    (which must not exist). ``actor`` None is the operator at the command line."""
    case = Case.objects.select_related("agency").get(pk=dossier.case_id)
    dossier = Dossier.objects.select_related("case", "agency").get(pk=dossier.pk)
    if actor is not None:
        _require_archivist(actor, case, "导出档案包")
        # The package carries every record's content: the exporter must be allowed to read
        # each marked one (the one rule of quanlu.access; the archivist's role is in it).
        from quanlu.access.selectors import CONTENT_DENIED, content_view

        sources = dossier.items.exclude(source_uid=None).values_list("source_uid", flat=True)
        if content_view(actor, cases=[case]).withheld_any(sources) is not None:
            raise PermissionDenied(CONTENT_DENIED, code="confidential")
    if not dossier.sealed:
        lacking = plans.blocking(case) if case.stage == Stage.ARCHIVING else []
        if lacking:
            raise Refused(
                "案件记录不全，不能导出：" + "；".join(m.message for m in lacking),
                [m.finding for m in lacking],
                code="dossier_incomplete",
            )
        raise Conflict("案卷尚未封卷归档，不能导出档案包。", code="not_sealed")
    if dossier.status == DossierStatus.DISPOSED:
        raise Conflict("该案卷已按期销毁，只保留目录和摘要，不能导出。", code="disposed")
    if case.stage != Stage.CLOSED:
        raise Conflict("案件尚未结案，不能导出档案包。", code="case_open")
    target = Path(target_dir).absolute()
    items = list(dossier.items.order_by("position"))
    blobs = Blob.objects.in_bulk([i.sha256 for i in items])
    store = get_store()
    for i in items:
        path = store.local_path(i.sha256)
        if i.sha256 not in blobs or path is None or not path.is_file():
            raise Conflict(f"「{i.title}」的内容不在存储中，不能导出。", code="blob_missing")
    try:
        _integrate()
    except Exception:
        log.exception("archive: integrating before an export failed; using the latest checkpoint")
    ledger = exporting.ledger_files(case, dossier)
    if not target.parent.is_dir():
        raise InvalidInput(f"目标位置的上级目录 {target.parent} 不存在。", code="archive_no_parent")
    if target.exists() or target.is_symlink():
        raise Conflict(f"目标位置 {target} 已存在，不会覆盖。", code="archive_target_exists")
    files = []
    for i in items:
        blob = blobs[i.sha256]
        known = {"sha256": blob.sha256}
        if blob.sm3:
            known["sm3"] = blob.sm3
        if blob.sha512:
            known["sha512"] = blob.sha512
        files.append(PayloadFile(store.local_path(i.sha256), i.bag_path, known, size=blob.size))
    # The ledger files are made here, small: written straight into the bag, hashed as written.
    files += [PayloadFile(None, f"{LEDGER_PREFIX}/{rel}", data=data) for rel, data in ledger.files.items()]
    closed = timezone.localtime(case.closed_at).date().isoformat() if case.closed_at else ""
    info = package_bag_info(
        source_organization=case.agency.name,
        archive_number=dossier.archive_number,
        case_number=case.number,
        retention=dossier.retention,
        case_closed_date=closed,
        extra=[
            ("External-Description", dossier.title),
            ("Internal-Sender-Identifier", str(dossier.public_id)),
            ("Ledger-Checkpoint", f"{ledger.origin} {ledger.size} {ledger.root}"),
        ],
    )
    try:
        written = write_bag(
            target, files, info, tag_files={"verify_package.py": exporting.standalone_verifier()}
        )
    except BagWriteError as exc:
        if exc.code == "target_exists":
            raise Conflict(exc.message, code="archive_target_exists") from exc
        raise InvalidInput(exc.message, code=f"archive_{exc.code}") from exc
    try:
        exporting.check_written(written, ledger.vkeys)
        with transaction.atomic():
            export = PackageExport.objects.create(
                dossier=dossier,
                path=str(written.path),
                exported_by=actor,
                exported_at=timezone.now(),
                files=written.files,
                bytes=written.bytes,
                payload_oxum=written.payload_oxum,
                checkpoint_size=ledger.size,
                checkpoint_root=ledger.root,
                seal=written.seal,
            )
            record_event(
                type=events.PACKAGE_EXPORTED,
                actor=actor,
                agency=case.agency,
                case_uid=case.public_id,
                at=export.exported_at,
                payload={
                    "export": export.public_id,
                    "dossier": dossier.public_id,
                    "archive_number": dossier.archive_number,
                    "target": written.path.name,
                    "via": "cli" if actor is None else "archivist",
                    "payload_oxum": written.payload_oxum,
                    "bag_size": written.bag_size,
                    "checkpoint": {"origin": ledger.origin, "size": ledger.size, "root": ledger.root},
                    "events": ledger.events,
                    "seal": written.seal,
                },
                rows=[export],
            )
    except BaseException:
        shutil.rmtree(written.path, ignore_errors=True)
        raise
    return export


# ---------------------------------------------------------------- legal holds


def _require_hold_keeper(actor: Officer, case: Case, action: str) -> None:
    if actor.agency_id != case.agency_id:
        raise PermissionDenied(f"只有本案办案机关的人员可以{action}。")
    if not actor.is_active or not actor.has_role(Role.ARCHIVIST, Role.APPROVER):
        raise PermissionDenied(f"{action}需要档案管理人员或机关负责人角色。")


@transaction.atomic
def legal_hold_place(*, actor: Officer, case: Case, reason: str) -> LegalHold:
    """Keep a case's records from disposal (诉讼、复议、审计、执法监督 …), whatever its retention."""
    case = _lock_case(case)
    _require_hold_keeper(actor, case, "设置保全")
    reason = clean_text(reason, label="保全事由", field="reason", max_length=2000)
    hold = LegalHold.objects.create(case=case, reason=reason, placed_by=actor, placed_at=timezone.now())
    record_event(
        type=events.HOLD_PLACED,
        actor=actor,
        agency=case.agency,
        case_uid=case.public_id,
        at=hold.placed_at,
        payload={"hold": hold.public_id, "reason": reason},
        rows=[hold],
    )
    return hold


@transaction.atomic
def legal_hold_release(*, actor: Officer, hold: LegalHold, reason: str) -> LegalHold:
    hold = LegalHold.objects.select_for_update().select_related("case", "case__agency").get(pk=hold.pk)
    _require_hold_keeper(actor, hold.case, "解除保全")
    if hold.released_at is not None:
        raise Conflict("该保全已经解除。", code="hold_released")
    reason = clean_text(reason, label="解除理由", field="reason", max_length=2000)
    hold.released_by = actor
    hold.released_at = timezone.now()
    hold.release_reason = reason
    hold.save(update_fields=["released_by", "released_at", "release_reason"])
    record_event(
        type=events.HOLD_RELEASED,
        actor=actor,
        agency=hold.case.agency,
        case_uid=hold.case.public_id,
        at=hold.released_at,
        payload={"hold": hold.public_id, "reason": reason},
        rows=[hold],
    )
    return hold


# ---------------------------------------------------------------- disposition


def _refuse_disposal(dossier: Dossier) -> None:
    found = disposals.disposal_refusals(dossier)
    if found:
        raise Refused("不能销毁：" + "；".join(f.message for f in found), found, code="disposal_refused")


def disposition_request(
    *, actor: Officer, dossier: Dossier, reason: str, client_token: uuid.UUID | None = None
) -> DispositionRequest:
    """Ask to dispose of a dossier whose retention has ended (鉴定意见). Two approvers decide."""
    if client_token is not None:
        existing = DispositionRequest.objects.filter(client_token=client_token).first()
        if existing is not None:
            if existing.requested_by_id != actor.pk:
                raise Conflict("提交标识已被他人使用，请刷新页面后重试。", code="token_reused")
            return existing
    try:
        return _disposition_request(actor=actor, dossier=dossier, reason=reason, client_token=client_token)
    except IntegrityError as exc:
        raise Conflict("该案卷已有待批准或待执行的销毁申请。", code="disposition_open") from exc


@transaction.atomic
def _disposition_request(
    *, actor: Officer, dossier: Dossier, reason: str, client_token: uuid.UUID | None
) -> DispositionRequest:
    dossier = _lock_dossier(dossier)
    _require_archivist(actor, dossier.case, "申请销毁")
    reason = clean_text(reason, label="鉴定意见", field="reason", max_length=2000)
    _refuse_disposal(dossier)
    if dossier.dispositions.filter(
        status__in=(DispositionStatus.PENDING, DispositionStatus.APPROVED)
    ).exists():
        raise Conflict("该案卷已有待批准或待执行的销毁申请。", code="disposition_open")
    request = DispositionRequest.objects.create(
        dossier=dossier,
        reason=reason,
        status=DispositionStatus.PENDING,
        requested_by=actor,
        requested_at=timezone.now(),
        client_token=client_token,
    )
    record_event(
        type=events.DISPOSITION_REQUESTED,
        actor=actor,
        agency=dossier.agency,
        case_uid=dossier.case.public_id,
        at=request.requested_at,
        payload={
            "disposition": request.public_id,
            "dossier": dossier.public_id,
            "archive_number": dossier.archive_number,
            "retention": dossier.retention,
            "retention_until": dossier.retention_until(),
            "reason": reason,
        },
        rows=[request],
    )
    return request


REQUIRED_APPROVALS = 2


def _decide_disposition(
    *, actor: Officer, request: DispositionRequest, outcome: str, opinion: str, signature_method: str
) -> DispositionApproval:
    request = (
        DispositionRequest.objects.select_for_update()
        .select_related("dossier", "dossier__case", "dossier__agency")
        .get(pk=request.pk)
    )
    agency = request.dossier.agency
    if actor.agency_id != agency.pk:
        raise PermissionDenied("只有本机关负责人可以审批销毁。")
    if not is_disposal_approver(actor, agency):
        raise PermissionDenied("审批销毁需要批准人（机关负责人）角色。")
    if actor.pk == request.requested_by_id:
        raise PermissionDenied("申请人不能审批自己的销毁申请。")
    if request.approvals.filter(officer=actor).exists():
        raise Refused(
            "同一人不能两次审批同一销毁申请：销毁须经两名不同的批准人同意。",
            [
                plans.archive_finding(
                    request.dossier.case, "archive.two_approvers", "销毁须经两名不同的批准人同意"
                )
            ],
            code="same_approver",
        )
    if request.status != DispositionStatus.PENDING:
        raise Conflict(f"该销毁申请已{request.get_status_display()}。", code="disposition_decided")
    opinion = clean_text(opinion, label="意见", field="opinion", max_length=2000)
    signature_method = clean_choice(
        signature_method,
        label="签名方式",
        field="signature_method",
        choices=SignatureMethod,
    )
    if outcome == ApprovalOutcome.APPROVED:
        _refuse_disposal(request.dossier)
    now = timezone.now()
    try:
        with transaction.atomic():
            approval = DispositionApproval.objects.create(
                request=request,
                officer=actor,
                outcome=outcome,
                opinion=opinion,
                signature_method=signature_method,
                signed_at=now,
            )
    except IntegrityError as exc:
        raise Refused(
            "同一人不能两次审批同一销毁申请：销毁须经两名不同的批准人同意。",
            [
                plans.archive_finding(
                    request.dossier.case, "archive.two_approvers", "销毁须经两名不同的批准人同意"
                )
            ],
            code="same_approver",
        ) from exc
    approvers = set(
        request.approvals.filter(outcome=ApprovalOutcome.APPROVED).values_list("officer_id", flat=True)
    )
    if outcome == ApprovalOutcome.REJECTED:
        request.status = DispositionStatus.REJECTED
        request.decided_at = now
    elif len(approvers) >= REQUIRED_APPROVALS:
        request.status = DispositionStatus.APPROVED
        request.decided_at = now
    request.save(update_fields=["status", "decided_at"])
    record_event(
        type=events.DISPOSITION_APPROVED
        if outcome == ApprovalOutcome.APPROVED
        else events.DISPOSITION_REJECTED,
        actor=actor,
        agency=agency,
        case_uid=request.dossier.case.public_id,
        at=now,
        payload={
            "disposition": request.public_id,
            "dossier": request.dossier.public_id,
            "opinion": opinion,
            "signature_method": signature_method,
            "approvals": len(approvers),
            "status": request.status,
        },
        rows=[approval, request],
    )
    return approval


@transaction.atomic
def disposition_approve(
    *, actor: Officer, request: DispositionRequest, opinion: str, signature_method: str
) -> DispositionApproval:
    return _decide_disposition(
        actor=actor,
        request=request,
        outcome=ApprovalOutcome.APPROVED,
        opinion=opinion,
        signature_method=signature_method,
    )


@transaction.atomic
def disposition_reject(
    *, actor: Officer, request: DispositionRequest, opinion: str, signature_method: str
) -> DispositionApproval:
    return _decide_disposition(
        actor=actor,
        request=request,
        outcome=ApprovalOutcome.REJECTED,
        opinion=opinion,
        signature_method=signature_method,
    )


def disposition_execute(*, actor: Officer, request: DispositionRequest) -> DispositionRequest:
    """Dispose of an approved request's dossier: tombstones and events in one transaction,
    then the bytes removed from the store. What other cases share is kept."""
    request, tombstones = _disposition_execute(actor=actor, request=request)
    for tombstone in tombstones:
        try:
            blob_dispose_bytes(tombstone)
        except (BlobError, NotFound, OSError):
            # The tombstone stands; the bytes can be removed again later (idempotent).
            log.exception("archive: removing the bytes of %s failed", tombstone.blob_id)
    return request


@transaction.atomic
def _disposition_execute(
    *, actor: Officer, request: DispositionRequest
) -> tuple[DispositionRequest, list[Tombstone]]:
    request = (
        DispositionRequest.objects.select_for_update()
        .select_related("dossier", "dossier__case", "dossier__agency", "requested_by")
        .get(pk=request.pk)
    )
    dossier = _lock_dossier(request.dossier)
    case = dossier.case
    _require_archivist(actor, case, "执行销毁")
    if request.status != DispositionStatus.APPROVED:
        raise Conflict(
            f"销毁申请处于「{request.get_status_display()}」状态：须经两名不同的批准人同意后才能执行。",
            code="not_approved",
        )
    approvals = list(request.approvals.filter(outcome=ApprovalOutcome.APPROVED).select_related("officer"))
    approvers = {a.officer_id for a in approvals}
    if len(approvers) < REQUIRED_APPROVALS:
        raise Conflict("销毁须经两名不同的批准人同意。", code="not_approved")
    _refuse_disposal(dossier)
    contents = disposals.case_blobs(case, dossier)
    shared = disposals.shared_elsewhere(set(contents), case)
    already = set(Tombstone.objects.filter(blob_id__in=list(contents)).values_list("blob_id", flat=True))
    now = timezone.now()
    authority = {
        "disposition": str(request.public_id),
        "dossier": str(dossier.public_id),
        "archive_number": dossier.archive_number,
        "approvals": [str(a.officer.public_id) for a in approvals],
    }
    blobs = Blob.objects.in_bulk(list(contents))
    disposed = [
        (sha, title)
        for sha, title in sorted(contents.items())
        if sha not in shared and sha not in already and sha in blobs
    ]
    kept = [(sha, title) for sha, title in sorted(contents.items()) if sha in shared]
    register = sealing.render(
        "disposal",
        {
            "archive_number": dossier.archive_number,
            "title": dossier.title,
            "case_number": case.number,
            "retention": dossier.get_retention_display(),
            "until": (dossier.retention_until() or "").__str__(),
            "reason": request.reason,
            "requested_by": request.requested_by.full_name,
            "requested_at": timezone.localtime(request.requested_at).strftime("%Y-%m-%d %H:%M"),
            "approvals": [
                {
                    "name": a.officer.full_name,
                    "at": timezone.localtime(a.signed_at).strftime("%Y-%m-%d %H:%M"),
                    "opinion": a.opinion,
                }
                for a in approvals
            ],
            "executed_by": actor.full_name,
            "executed_at": timezone.localtime(now).strftime("%Y-%m-%d %H:%M"),
            "disposed": [{"title": t, "sha256": s, "size": blobs[s].size} for s, t in disposed],
            "kept": [{"title": t, "sha256": s} for s, t in kept],
        },
        "档案销毁清册",
        case,
        f"档号：{dossier.archive_number}",
    )
    register_blob, _ = blob_store_bytes(actor=actor, agency=case.agency, data=register)
    tombstones = [
        blob_dispose(
            actor=actor,
            agency=case.agency,
            sha256=check_sha256(sha),
            reason=f"案卷 {dossier.archive_number} 保管期满销毁（{title}）",
            authority=authority,
        )
        for sha, title in disposed
    ]
    dossier.status = DossierStatus.DISPOSED
    dossier.disposed_at = now
    dossier.save(update_fields=["status", "disposed_at"])
    request.status = DispositionStatus.EXECUTED
    request.executed_by = actor
    request.executed_at = now
    request.register_sha256 = register_blob.sha256
    request.save(update_fields=["status", "executed_by", "executed_at", "register_sha256"])
    record_event(
        type=events.DISPOSITION_EXECUTED,
        actor=actor,
        agency=case.agency,
        case_uid=case.public_id,
        at=now,
        payload={
            "disposition": request.public_id,
            "dossier": dossier.public_id,
            "archive_number": dossier.archive_number,
            "approvals": authority["approvals"],
            "disposed": [{"sha256": s, "size": blobs[s].size, "sm3": blobs[s].sm3} for s, _ in disposed],
            "kept": [s for s, _ in kept],
            "register": {"sha256": register_blob.sha256, "size": register_blob.size},
        },
        rows=[dossier, request],
    )
    return request, tombstones


# ---------------------------------------------------------------- phase 1: blobs to a package


def package_write(
    *,
    actor: Officer,
    target_dir: str | Path,
    items: Sequence[tuple[str, str]],
    bag_info: Sequence[tuple[str, str]],
) -> WrittenBag:
    """Write the blobs ``items`` = [(sha256, path under data/)] as a new bag at ``target_dir``.

    Every digest the blob store computed at ingest (SHA-256, SHA-512, SM3) is reused: the bytes
    are copied by the kernel and hashed by nobody. The bag is written (all or nothing, renamed
    into place at the end), then its event is recorded in a short transaction; if that fails
    the new bag is removed again, so there is never a package without its event.
    """
    if not actor.has_role(Role.ARCHIVIST):
        raise PermissionDenied("只有档案管理人员可以写出档案包。")
    if not isinstance(items, Sequence) or isinstance(items, str) or not items:
        raise InvalidInput("档案包至少要有一个文件。", field_name="items")
    if len(items) > MAX_ITEMS:
        raise InvalidInput(f"一个档案包最多 {MAX_ITEMS} 个文件。", field_name="items")
    shas: list[str] = []
    for entry in items:
        if not (
            isinstance(entry, tuple | list) and len(entry) == 2 and all(isinstance(x, str) for x in entry)
        ):
            raise InvalidInput("每个文件应为（SHA-256，包内路径）。", field_name="items")
        try:
            shas.append(check_sha256(entry[0]))
        except BlobError as exc:
            raise InvalidInput(exc.message, field_name="items") from exc
    blobs = Blob.objects.in_bulk(set(shas))
    missing = sorted(set(shas) - set(blobs))
    if missing:
        raise NotFound(f"存储中没有这些内容：{'、'.join(m[:12] + '…' for m in missing)}。")
    store = get_store()
    files = []
    for sha, (_, rel) in zip(shas, items, strict=True):
        blob = blobs[sha]
        source = store.local_path(sha)
        if source is None or not source.is_file():
            raise InvalidInput(f"内容 {sha[:12]}… 的字节不在本地存储中，无法写包。", field_name="items")
        known = {"sha256": blob.sha256, **({"sm3": blob.sm3} if blob.sm3 else {})}
        if blob.sha512:
            known["sha512"] = blob.sha512
        files.append(PayloadFile(source, rel, known, size=blob.size))
    try:
        written = write_bag(target_dir, files, bag_info)
    except BagWriteError as exc:
        if exc.code == "target_exists":
            raise Conflict(exc.message, code="archive_target_exists") from exc
        raise InvalidInput(exc.message, code=f"archive_{exc.code}") from exc
    info = dict(bag_info)
    try:
        with transaction.atomic():
            record_event(
                type=events.PACKAGE_WRITTEN,
                actor=actor,
                agency=actor.agency,
                payload={
                    "target": written.path.name,
                    "external_identifier": info.get("External-Identifier", ""),
                    "bag_group_identifier": info.get("Bag-Group-Identifier", ""),
                    "payload_oxum": written.payload_oxum,
                    "seal": written.seal,
                    "files": [{"path": p, "sha256": d["sha256"]} for p, d in sorted(written.digests.items())],
                },
            )
    except BaseException:
        shutil.rmtree(written.path, ignore_errors=True)
        raise
    return written
