"""Ingest: staged bytes become a record.

Bytes first: they stream into the blob store's staging area, hashed in the same
pass (``quanlu.blobs.store.BlobWriter``); then they are probed, and only media that
is whole, matches its declared digest and is not already stored for the case is
committed. Rows second: the record, its link, its upload deadline, custody checks
and gaps, with their ledger events, in one transaction. A crash between the halves
leaves an unregistered blob, never a record without its bytes; an upload refused at
any point leaves nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from quanlu.blobs.services import blob_register, blob_store_bytes
from quanlu.blobs.store import BlobError, BlobWriter
from quanlu.cases.models import Case
from quanlu.cases.services import deadlines_refresh
from quanlu.core.errors import Conflict, InvalidInput, PermissionDenied, refuse_when_disk_full
from quanlu.devices.models import Checkout, Device
from quanlu.devices.selectors import checkouts_covering
from quanlu.ledger.services import record_event
from quanlu.media import events
from quanlu.media.models import CaptureTimeSource, MediaKind, MediaLink, MediaRecord
from quanlu.media.probe import MediaInfo, NotMedia, poster, probe
from quanlu.media.services.gaps import gaps_detect
from quanlu.media.services.intake import (
    CLOCK_TOLERANCE,
    Declared,
    clean_filename,
    require_uploader,
    upload_rule,
)
from quanlu.org.models import Agency, Officer
from quanlu.rulebooks.loader import Rule, get_rulebook, parse_duration


@refuse_when_disk_full
def media_ingest(
    *,
    actor: Officer | None,
    agency: Agency,
    case: Case | None,
    staged: BlobWriter,
    filename: str,
    declared: Declared,
    via: str,
    file_time: dt.datetime | None = None,
) -> tuple[MediaRecord, bool]:
    """Turn staged bytes into a record. Returns (record, created); ``created`` is
    False when the same bytes (or the same client token) are already a record of
    the case: a retried upload, recognised and not stored twice.

    ``staged`` is consumed: committed into the store or aborted, whatever happens.
    ``actor`` None is the docking station (a trusted local import)."""
    committed = False
    try:
        if actor is not None and case is not None:
            require_uploader(actor, case)
        if case is not None and case.agency_id != agency.pk:
            raise PermissionDenied("案件不属于该机关。")
        filename = clean_filename(filename)
        if staged.size == 0:
            raise InvalidInput("文件为空（0 字节），没有可保存的内容。", code="empty_file", field_name="file")
        try:
            digests = staged.seal(expected_sha256=declared.sha256)
        except BlobError as exc:
            raise InvalidInput(exc.message, code=exc.code, field_name="sha256") from exc
        existing = _existing(agency, case, digests["sha256"], declared.client_token, actor)
        if existing is not None:
            return existing, False
        try:
            info = probe(staged.path)
        except NotMedia as exc:
            raise InvalidInput(exc.message, code="not_media", field_name="file") from exc
        poster_bytes = poster(staged.path, info)
        result = staged.commit()
        committed = True
    finally:
        if not committed:
            staged.abort()
    try:
        return _record_create(
            actor=actor,
            agency=agency,
            case=case,
            result=result,
            info=info,
            poster_bytes=poster_bytes,
            filename=filename,
            declared=declared,
            via=via,
            file_time=file_time,
        ), True
    except IntegrityError:
        # A concurrent twin of this upload committed the same record first.
        existing = _existing(agency, case, result.sha256, declared.client_token, actor)
        if existing is None:
            raise
        return existing, False


def _existing(
    agency: Agency, case: Case | None, sha256: str, client_token: uuid.UUID | None, actor: Officer | None
) -> MediaRecord | None:
    if client_token is not None:
        same = MediaRecord.objects.filter(client_token=client_token).first()
        if same is not None:
            if actor is not None and same.uploaded_by_id not in (None, actor.pk):
                raise Conflict("提交标识已被他人使用，请刷新页面后重试。", code="token_reused")
            return same
    if case is not None:
        return MediaRecord.objects.filter(case=case, sha256=sha256).first()
    return MediaRecord.objects.filter(agency=agency, case__isnull=True, sha256=sha256).first()


def _flag(flags: list[dict[str, str]], code: str, message: str) -> None:
    flags.append({"code": code, "message": message})


def _local(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def _capture_time(
    *,
    info: MediaInfo,
    declared: Declared,
    file_time: dt.datetime | None,
    now: dt.datetime,
    flags: list[dict[str, str]],
) -> tuple[dt.datetime | None, dt.datetime | None, str]:
    """When: the file's own metadata first, then what the uploader says, then the
    card's file time. Returns (start, end, source)."""
    start, source = info.captured_start, CaptureTimeSource.METADATA
    if start is None and declared.captured_at is not None:
        start, source = declared.captured_at, CaptureTimeSource.DECLARED
    if start is None and file_time is not None:
        start, source = file_time, CaptureTimeSource.FILE_TIME
    if start is None:
        _flag(
            flags,
            "capture_time_unknown",
            "无法确定记录时间（文件无时间信息，上传时也未填写），不能核对上传期限和设备领用。",
        )
        return None, None, CaptureTimeSource.UNKNOWN
    end = start + dt.timedelta(milliseconds=info.duration_ms or 0)
    if start > now + CLOCK_TOLERANCE:
        _flag(flags, "clock_ahead", f"记录时间 {_local(start)} 晚于入库时间，记录设备的时钟可能不准。")
    declared_at = declared.captured_at
    if (
        source == CaptureTimeSource.METADATA
        and declared_at is not None
        and abs(declared_at - start) > dt.timedelta(minutes=30)
    ):
        _flag(
            flags,
            "capture_time_differs",
            f"填报的记录时间 {_local(declared_at)} 与文件内时间 {_local(start)} 相差超过 30 分钟。",
        )
    return start, end, source


def _custody(
    *,
    info: MediaInfo,
    device: Device | None,
    officer: Officer | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    flags: list[dict[str, str]],
) -> tuple[Officer | None, Checkout | None]:
    """Who and with what: the device must have been checked out to the officer then.
    Returns (officer, checkout); a docked clip's officer is the holder at the time."""
    checkout = None
    if device is None:
        _flag(flags, "no_device", "未填写记录设备编号，无法按设备编号分类存储和核对设备领用。")
    else:
        if device.serial_no and info.device_serial and device.serial_no != info.device_serial:
            _flag(
                flags,
                "device_serial_mismatch",
                f"文件内的设备序列号 {info.device_serial} 与登记的设备 {device.device_no}（序列号 {device.serial_no}）不符。",
            )
        if start is not None:
            covering = list(checkouts_covering(device, start, end))
            if officer is None and len(covering) == 1:
                officer = covering[0].officer  # docked: the holder at the time recorded it
            checkout = next((c for c in covering if officer is not None and c.officer_id == officer.pk), None)
            if checkout is None:
                if covering:
                    holders = "、".join(sorted({c.officer.full_name for c in covering}))
                    who = officer.full_name if officer else "未知人员"
                    _flag(
                        flags,
                        "device_officer_mismatch",
                        f"记录时设备 {device.device_no} 由 {holders} 领用，与执法人员 {who} 不符。",
                    )
                else:
                    _flag(
                        flags,
                        "device_not_checked_out",
                        f"设备 {device.device_no} 在记录时间（{_local(start)}）没有领用记录。",
                    )
    if officer is None:
        _flag(flags, "officer_unknown", "无法确定使用设备的执法人员。")
    return officer, checkout


def _upload_due(
    *,
    agency: Agency,
    declared: Declared,
    start: dt.datetime | None,
    end: dt.datetime | None,
    checkout: Checkout | None,
    now: dt.datetime,
    flags: list[dict[str, str]],
) -> tuple[Rule | None, dt.datetime | None, dt.datetime | None]:
    """In time: the rulebook's upload deadline (AV-09), or its after-return exception
    (AV-10). Returns (rule, due, returned_at)."""
    book = get_rulebook(agency.rulebook_id, on=timezone.localdate(start or now))
    rule = upload_rule(book)
    due = None
    returned_at = declared.returned_at
    if rule is not None and end is not None:
        due = end + parse_duration(rule.params["within"])
        if declared.delay_reason and rule.params.get("after_return"):
            if returned_at is None and checkout is not None and hasattr(checkout, "returned"):
                returned_at = checkout.returned.returned_at
            if returned_at is not None:
                due = max(due, returned_at + parse_duration(rule.params["after_return"]))
            elif now > due:
                _flag(
                    flags,
                    "returned_at_missing",
                    "选择了延后上传情形，但未填写返回所在机关的时间，按一般期限计算。",
                )
    if due is not None and rule is not None and now > due:
        _flag(
            flags,
            "upload_overdue",
            f"逾期上传：应于 {_local(due)} 前储存，实际 {_local(now)} 入库"
            f"（{rule.citation.article}：{rule.citation.quote[:40]}…）。",
        )
    return rule, due, returned_at


@transaction.atomic
def _record_create(
    *,
    actor: Officer | None,
    agency: Agency,
    case: Case | None,
    result: Any,
    info: MediaInfo,
    poster_bytes: bytes | None,
    filename: str,
    declared: Declared,
    via: str,
    file_time: dt.datetime | None,
) -> MediaRecord:
    now = timezone.now()
    blob, _ = blob_register(actor=actor, agency=agency, result=result)
    poster_blob = None
    if poster_bytes:
        poster_blob, _ = blob_store_bytes(actor=actor, agency=agency, data=poster_bytes)
    flags: list[dict[str, str]] = []
    start, end, source = _capture_time(
        info=info, declared=declared, file_time=file_time, now=now, flags=flags
    )
    device = declared.device
    officer, checkout = _custody(
        info=info,
        device=device,
        officer=declared.officer or (actor if via != "dock" else None),
        start=start,
        end=end,
        flags=flags,
    )
    rule, due, returned_at = _upload_due(
        agency=agency, declared=declared, start=start, end=end, checkout=checkout, now=now, flags=flags
    )
    overdue = due is not None and now > due

    stem = filename.rsplit(".", 1)[0] if "." in filename[1:] else filename
    kind_label = MediaKind(info.kind).label
    record = MediaRecord.objects.create(
        agency=agency,
        case=case,
        blob=blob,
        sha256=blob.sha256,
        sm3=result.digests.get("sm3", ""),
        size=result.size,
        kind=info.kind,
        name=declared.name or f"{kind_label} {stem}"[:200],
        original_filename=filename,
        container=info.container,
        mime_type=info.mime_type,
        codec=info.codec,
        audio_codec=info.audio_codec,
        duration_ms=info.duration_ms,
        width=info.width,
        height=info.height,
        captured_start=start,
        captured_end=end,
        capture_time_source=source,
        latitude=info.latitude,
        longitude=info.longitude,
        device_serial=info.device_serial,
        device_make=info.device_make,
        metadata=info.tags,
        poster=poster_blob,
        device=device,
        officer=officer,
        checkout=checkout,
        uploaded_by=actor,
        received_at=now,
        via=via,
        upload_rule=rule.id if rule else "",
        upload_due_at=due,
        upload_overdue=overdue,
        delay_reason=declared.delay_reason,
        returned_at=returned_at,
        flags=flags,
        client_token=declared.client_token,
    )
    link = None
    if declared.stage or declared.step_label or declared.document_uid:
        link = MediaLink.objects.create(
            record=record,
            stage=declared.stage,
            step_label=declared.step_label,
            document_uid=declared.document_uid,
            note=declared.note,
            linked_by=actor,
            linked_at=now,
        )
    record_event(
        type=events.MEDIA_INGESTED,
        actor=actor,
        agency=agency,
        case_uid=case.public_id if case else None,
        payload={
            "record": record.public_id,
            "sha256": record.sha256,
            "sm3": record.sm3,
            "size": record.size,
            "kind": record.kind,
            "name": record.name,
            "filename": filename,
            "captured_start": start,
            "captured_end": end,
            "device": device.device_no if device else "",
            "officer": officer.public_id if officer else None,
            "via": via,
            "upload_due_at": due,
            "overdue": overdue,
            "flags": [f["code"] for f in flags],
            "stage": link.stage if link else "",
            "step_label": link.step_label if link else "",
            "document": link.document_uid if link else None,
        },
        at=now,
        rows=[record, *([link] if link else [])],
    )
    if case is not None:
        # The record's upload deadline (the rulebook's av_upload_deadline), met at its
        # receipt: it shows in the case's deadlines, red when late.
        deadlines_refresh(actor=actor, case=case)
        if link is not None and device is not None:
            gaps_detect(actor=actor, case=case, device=device, activity_key=link.activity_key)
    return record
