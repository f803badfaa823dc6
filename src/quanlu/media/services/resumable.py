"""Resumable uploads (tus): open, complete, terminate and expire them, and sweep
the staging files no upload will finish."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from quanlu.blobs.store import get_store
from quanlu.cases.models import Case
from quanlu.core.errors import Conflict, InvalidInput, PermissionDenied, refuse_when_disk_full
from quanlu.ledger.services import record_event
from quanlu.media import events
from quanlu.media.models import MediaRecord, Upload, UploadStatus
from quanlu.media.services.ingest import media_ingest
from quanlu.media.services.intake import clean_declared, clean_filename, require_uploader
from quanlu.org.models import Officer

# A staging file untouched this long belongs to no running request (an upload in
# progress writes to its file; a stalled one is long past any client's patience).
STAGING_GRACE = dt.timedelta(hours=6)
log = logging.getLogger("quanlu.media")


@refuse_when_disk_full
@transaction.atomic
def upload_start(
    *, actor: Officer, case: Case, length: Any, filename: Any, declared: dict[str, Any]
) -> Upload:
    """Open a resumable upload. Everything that can be checked before the bytes —
    who, which case, the file name, the size, the declared fields — is checked here."""
    require_uploader(actor, case)
    filename = clean_filename(filename)
    if isinstance(length, bool) or not isinstance(length, int) or length < 0:
        raise InvalidInput("「文件大小」应为非负整数。", field_name="length")
    if length == 0:
        raise InvalidInput("文件为空（0 字节），没有可保存的内容。", code="empty_file", field_name="length")
    if length > settings.QUANLU_MEDIA_MAX_BYTES:
        raise InvalidInput(
            f"文件过大（{length} 字节），超过允许的 {settings.QUANLU_MEDIA_MAX_BYTES} 字节。",
            code="too_large",
            field_name="length",
        )
    cleaned = clean_declared(agency=case.agency, data=declared)
    now = timezone.now()
    upload = Upload.objects.create(
        case=case,
        uploader=actor,
        length=length,
        filename=filename,
        declared=cleaned.as_json(),
        created_at=now,
        expires_at=now + dt.timedelta(hours=settings.QUANLU_UPLOAD_EXPIRY_HOURS),
    )
    get_store().partial(upload.public_id.hex).create()
    record_event(
        type=events.UPLOAD_STARTED,
        actor=actor,
        agency=case.agency,
        case_uid=case.public_id,
        payload={
            "upload": upload.public_id,
            "filename": filename,
            "length": length,
            "expires_at": upload.expires_at,
        },
        at=now,
    )
    return upload


def upload_complete(*, actor: Officer, upload: Upload) -> tuple[MediaRecord, bool]:
    """The last byte has arrived: verify and ingest, or fail the upload whole."""
    partial = get_store().partial(upload.public_id.hex)
    try:
        case = Case.objects.select_related("agency").get(pk=upload.case_id)
        declared = clean_declared(agency=case.agency, data=upload.declared)
        staged = partial.seal(max_size=upload.length)
        record, created = media_ingest(
            actor=actor,
            agency=case.agency,
            case=case,
            staged=staged,
            filename=upload.filename,
            declared=declared,
            via="tus",
        )
    except Exception as exc:
        partial.discard()
        message = getattr(exc, "message", "上传处理失败。")
        _upload_finish(actor=actor, upload=upload, status=UploadStatus.FAILED, error=message)
        raise
    _upload_finish(actor=actor, upload=upload, status=UploadStatus.COMPLETED, record=record)
    return record, created


@transaction.atomic
def _upload_finish(
    *, actor: Officer | None, upload: Upload, status: str, record: MediaRecord | None = None, error: str = ""
) -> None:
    upload.status = status
    upload.finished_at = timezone.now()
    upload.record = record
    upload.error = error[:500]
    upload.save(update_fields=["status", "finished_at", "record", "error"])
    if status == UploadStatus.COMPLETED:
        return  # the record's own event tells
    kind = {
        UploadStatus.FAILED: events.UPLOAD_FAILED,
        UploadStatus.TERMINATED: events.UPLOAD_TERMINATED,
        UploadStatus.EXPIRED: events.UPLOAD_EXPIRED,
    }[UploadStatus(status)]
    record_event(
        type=kind,
        actor=actor,
        agency=upload.case.agency,
        case_uid=upload.case.public_id,
        payload={"upload": upload.public_id, "filename": upload.filename, "error": error[:500]},
    )


def upload_terminate(*, actor: Officer, upload: Upload) -> None:
    """tus termination: the client gives up; the bytes so far are removed."""
    if upload.uploader_id != actor.pk:
        raise PermissionDenied("只能取消自己的上传。")
    if upload.status != UploadStatus.OPEN:
        raise Conflict("该上传已结束，不能取消。", code="upload_finished")
    get_store().partial(upload.public_id.hex).discard()
    _upload_finish(actor=actor, upload=upload, status=UploadStatus.TERMINATED)


def upload_expire(*, now: dt.datetime | None = None) -> int:
    """Remove unfinished uploads past their expiry (tus expiration); returns how many."""
    now = now or timezone.now()
    count = 0
    for upload in Upload.objects.filter(status=UploadStatus.OPEN, expires_at__lt=now).select_related(
        "case__agency"
    ):
        get_store().partial(upload.public_id.hex).discard()
        _upload_finish(actor=None, upload=upload, status=UploadStatus.EXPIRED)
        count += 1
    return count


def staging_sweep() -> int:
    """Remove the staging files no upload will finish (a form upload of a killed
    server, the bytes of a resumable upload that is no longer open); returns how many.
    Files of open uploads, and any file touched within STAGING_GRACE, are kept.
    Nothing recorded changes: these bytes were never a record, so no event."""
    open_uploads = Upload.objects.filter(status=UploadStatus.OPEN).values_list("public_id", flat=True)
    removed = get_store().sweep_staging(
        keep={key.hex for key in open_uploads}, older_than=STAGING_GRACE.total_seconds()
    )
    for path in removed:
        log.warning("removed an abandoned upload staging file: %s", path)
    return len(removed)


def uploads_clean() -> tuple[int, int]:
    """The periodic job (and `quanlu media expire-uploads`): expire unfinished resumable
    uploads, then sweep abandoned staging files. Returns (expired, swept)."""
    expired = upload_expire()
    return expired, staging_sweep()
