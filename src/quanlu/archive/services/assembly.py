"""Assembly (组卷): the case's documents and audio-visual records, in order, as a
dossier (a new version each time, until it is sealed)."""

from __future__ import annotations

from pathlib import Path

from django.db import transaction
from django.utils import timezone

from quanlu.archive import dossier as plans
from quanlu.archive import events
from quanlu.archive.models import ArchiveSettings, Dossier, DossierItem, DossierStatus, ItemKind, Retention
from quanlu.archive.selectors import archive_settings_for, current_dossier
from quanlu.archive.services.common import MAX_ITEMS, _lock_case, _require_archivist
from quanlu.blobs.services import blob_store_bytes
from quanlu.blobs.store import local_files
from quanlu.cases.models import Case, Stage
from quanlu.core.errors import Conflict, InvalidInput, Refused
from quanlu.core.validation import clean_choice, clean_text
from quanlu.ledger.services import record_event
from quanlu.org.models import Officer


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
    with local_files([item.sha256]) as paths:  # the blob itself, or a private copy from S3
        path = paths.get(item.sha256)
        if path is None or _pdfa_ok(path):
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
    retention, retention_reason = _clean_retention(case, settings_row, retention, retention_reason)
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
    DossierItem.objects.bulk_create([_dossier_item(dossier, i) for i in items])
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


def _dossier_item(dossier: Dossier, i: plans.PlannedItem) -> DossierItem:
    return DossierItem(
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


def _clean_retention(
    case: Case, settings_row: ArchiveSettings, retention: str | None, reason: str
) -> tuple[str, str]:
    """The dossier's retention: the agency's default for the case unless chosen, and a reason
    required when it differs from the default."""
    default = plans.default_retention(case, settings_row)
    if retention in (None, ""):
        retention = default
    retention = clean_choice(retention, label="保管期限", field="retention", choices=Retention)
    reason = clean_text(
        reason,
        label="保管期限说明",
        field="retention_reason",
        max_length=500,
        required=retention != default,
    )
    return retention, reason
