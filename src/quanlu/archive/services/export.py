"""Export: a closed case's sealed dossier as a BagIt 1.0 package with its ledger
events, inclusion proofs and signed checkpoints."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from quanlu.access.selectors import CONTENT_DENIED, content_view
from quanlu.archive import dossier as plans
from quanlu.archive import events, exporting, tarstream
from quanlu.archive.bagwriter import PayloadFile
from quanlu.archive.models import Dossier, DossierStatus, PackageExport
from quanlu.archive.package import package_bag_info
from quanlu.archive.services.common import _blob_file, _integrate, _require_archivist, _write_bag, log
from quanlu.blobs.models import Blob
from quanlu.blobs.store import get_store, local_files
from quanlu.cases.models import Case, Stage
from quanlu.core.errors import Conflict, InvalidInput, PermissionDenied, Refused
from quanlu.ledger.services import record_event
from quanlu.org.models import Officer

LEDGER_PREFIX = plans.LEDGER_DIR


def dossier_export(*, actor: Officer | None, dossier: Dossier, target_dir: str | Path) -> PackageExport:
    """Write the sealed dossier of a closed case as a BagIt 1.0 package at ``target_dir``
    (which must not exist). ``actor`` None is the operator at the command line."""
    case = Case.objects.select_related("agency").get(pk=dossier.case_id)
    dossier = Dossier.objects.select_related("case", "agency").get(pk=dossier.pk)
    _check_exportable(actor, case, dossier)
    target = Path(target_dir).absolute()
    items = list(dossier.items.order_by("position"))
    blobs = Blob.objects.in_bulk([i.sha256 for i in items])
    store = get_store()
    for i in items:
        if i.sha256 not in blobs or not store.exists(i.sha256):
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
    # The ledger files are made here, small: written straight into the bag, hashed as written.
    files = [PayloadFile(None, f"{LEDGER_PREFIX}/{rel}", data=data) for rel, data in ledger.files.items()]
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
    # The bag writer copies from files (reflinks where it can): the blobs themselves, or
    # private copies from S3 removed once the bag is written.
    with local_files(i.sha256 for i in items) as paths:
        files = [_blob_file(blobs[i.sha256], paths.get(i.sha256), i.bag_path) for i in items] + files
        written = _write_bag(
            target, files, info, tag_files={"verify_package.py": exporting.standalone_verifier()}
        )
    try:
        exporting.check_written(written, ledger.vkeys)
        exported_at = timezone.now()
        # The digest of the tar the archivist will download (archive/tarstream.py): one more
        # read of every file, so the page can show what the download must hash to.
        tar = tarstream.plan(written.path, top=written.path.name, mtime=_tar_mtime(exported_at))
        tar_sha256 = tarstream.digest(tar)
        with transaction.atomic():
            export = PackageExport.objects.create(
                dossier=dossier,
                path=str(written.path),
                exported_by=actor,
                exported_at=exported_at,
                files=written.files,
                bytes=written.bytes,
                payload_oxum=written.payload_oxum,
                checkpoint_size=ledger.size,
                checkpoint_root=ledger.root,
                seal=written.seal,
                tar_sha256=tar_sha256,
                tar_bytes=tar.size,
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
                    "tar": {"sha256": tar_sha256, "bytes": tar.size},
                },
                rows=[export],
            )
    except BaseException:
        shutil.rmtree(written.path, ignore_errors=True)
        raise
    return export


def _tar_mtime(exported_at: dt.datetime) -> int:
    return int(exported_at.timestamp())


def download_plan(actor: Officer, export: PackageExport) -> tarstream.TarPlan:
    """The export's package folder as the tar to stream, if ``actor`` may download it (who
    may export it) and the folder still looks as exported: the tar's length and the payload's
    byte and file count (Payload-Oxum, recorded at export) are checked here, cheaply; whether
    every byte is unchanged is for the digest shown (the download's, taken at export) and the
    bag's manifests to tell, as they would for any copy of the package."""
    export = PackageExport.objects.select_related("dossier__case__agency", "dossier__agency").get(
        pk=export.pk
    )
    dossier = export.dossier
    _check_exportable(actor, dossier.case, dossier)
    if not export.tar_sha256:
        raise Conflict(
            "这次导出早于浏览器下载功能，请重新导出档案包后下载。", code="package_not_downloadable"
        )
    folder = Path(export.path)
    if not folder.is_dir():
        raise Conflict("档案包已不在服务器的导出目录中，请重新导出。", code="package_gone")
    try:
        tar = tarstream.plan(folder, top=folder.name, mtime=_tar_mtime(export.exported_at))
    except (OSError, tarstream.TarStreamError) as exc:
        raise Conflict(
            f"导出目录中的档案包不能读取（{exc}），请重新导出。", code="package_unreadable"
        ) from exc
    payload = [m for m in tar.members if m.name.startswith(f"{folder.name}/data/")]
    oxum = f"{sum(m.size for m in payload)}.{len(payload)}"
    if tar.size != export.tar_bytes or oxum != export.payload_oxum:
        raise Conflict(
            "导出目录中的档案包与导出时不一致（文件或大小已变），不提供下载；请重新导出。",
            code="package_changed",
        )
    return tar


def package_download(*, actor: Officer, export: PackageExport) -> tarstream.TarPlan:
    """Record that ``actor`` downloads the exported package; the tar to stream. The event
    records the download's start: whether the browser received every byte, the server
    cannot know."""
    tar = download_plan(actor, export)
    dossier = export.dossier
    with transaction.atomic():
        record_event(
            type=events.PACKAGE_DOWNLOADED,
            actor=actor,
            agency=dossier.case.agency,
            case_uid=dossier.case.public_id,
            payload={
                "export": export.public_id,
                "dossier": dossier.public_id,
                "archive_number": dossier.archive_number,
                "tar": {"sha256": export.tar_sha256, "bytes": tar.size},
            },
        )
    return tar


def _check_exportable(actor: Officer | None, case: Case, dossier: Dossier) -> None:
    """Only the sealed, undisposed dossier of a closed case is exported, by its agency's
    archivist allowed to read every marked record in it (or by the operator)."""
    if actor is not None:
        _require_archivist(actor, case, "导出档案包")
        # The package carries every record's content: the exporter must be allowed to read
        # each marked one (the one rule of quanlu.access; the archivist's role is in it).

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
