"""Everything that can happen to an audio-visual record: ``grep "def media_\\|def upload_\\|def gap\\|def interruption_"``.

Ingest has two halves. Bytes first: they stream into the blob store's staging
area, hashed in the same pass (``quanlu.blobs.store.BlobWriter``); then they are
probed, and only media that is whole, matches its declared digest and is not
already stored for the case is committed. Rows second: the record, its link, its
upload deadline, custody checks and gaps, with their ledger events, in one
transaction. A crash between the halves leaves an unregistered blob, never a
record without its bytes; an upload refused at any point leaves nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import unicodedata
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from quanlu.blobs.services import blob_register, blob_store_bytes
from quanlu.blobs.store import BlobError, BlobWriter, get_store
from quanlu.cases.models import Case, SignatureMethod, Stage
from quanlu.core.errors import Conflict, InvalidInput, PermissionDenied, refuse_when_disk_full
from quanlu.core.validation import clean_choice, clean_text, hidden_characters, parse_uuid
from quanlu.devices.models import Device
from quanlu.devices.selectors import checkouts_covering
from quanlu.ledger.services import record_event
from quanlu.media import events
from quanlu.media.models import (
    CaptureTimeSource,
    DelayReason,
    ExplanationForm,
    Gap,
    Interruption,
    InterruptionReason,
    InterruptionSignature,
    MediaKind,
    MediaLink,
    MediaRecord,
    Upload,
    UploadStatus,
)
from quanlu.media.probe import MediaInfo, NotMedia, poster, probe
from quanlu.org.models import Agency, Officer, Role
from quanlu.rulebooks.loader import Rule, Rulebook, get_rulebook, parse_duration
from quanlu.supervision.services import deadline_meet, deadline_open

MEDIA_WORKERS = (Role.OFFICER, Role.HANDLER)
# 001 第二十二条: 书面说明情况，并由两名以上执法人员签字.
MIN_WRITTEN_SIGNERS = 2
# A capture time this far ahead of the server is a wrong camera clock, not the future.
CLOCK_TOLERANCE = dt.timedelta(minutes=10)
# A staging file untouched this long belongs to no running request (an upload in
# progress writes to its file; a stalled one is long past any client's patience).
STAGING_GRACE = dt.timedelta(hours=6)
log = logging.getLogger("quanlu.media")


# ---------------------------------------------------------------- input


def clean_filename(value: Any) -> str:
    """A plain file name: no folders, no way out of one, no control characters."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("缺少文件名。", field_name="filename")
    name = unicodedata.normalize("NFC", value.strip())
    if hidden_characters(name):
        raise InvalidInput("文件名含有控制字符，请重命名后再上传。", field_name="filename")
    if "/" in name or "\\" in name or name in (".", "..") or ":" in name[:3]:
        raise InvalidInput("文件名不能包含路径（如 / 、\\ 或 ..），请只上传文件本身。", field_name="filename")
    if len(name.encode("utf-8")) > 255:
        raise InvalidInput("文件名过长（不能超过 255 字节）。", field_name="filename")
    return name


def _parse_time(value: Any, *, label: str, field: str) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        try:
            parsed = dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise InvalidInput(
                f"「{label}」格式不正确，应为如 2026-11-12T09:30 的时间。", field_name=field
            ) from exc
    if parsed.tzinfo is None:
        parsed = timezone.make_aware(parsed)
    if parsed > timezone.now() + CLOCK_TOLERANCE:
        raise InvalidInput(f"「{label}」不能晚于当前时间。", field_name=field)
    return parsed


def upload_rule(book: Rulebook) -> Rule | None:
    rules = book.rules_of("av_upload_deadline")
    return rules[0] if rules else None


@dataclass(frozen=True)
class Declared:
    """What the uploader says about a file, checked before any byte is read."""

    name: str = ""
    device: Device | None = None
    officer: Officer | None = None
    captured_at: dt.datetime | None = None
    stage: str = ""
    step_label: str = ""
    document_uid: uuid.UUID | None = None
    delay_reason: str = ""
    returned_at: dt.datetime | None = None
    sha256: str | None = None
    client_token: uuid.UUID | None = None
    note: str = ""

    def as_json(self) -> dict[str, Any]:
        """The raw form, to keep with a resumable upload and re-check at the end."""
        out = asdict(self)
        out["device"] = self.device.device_no if self.device else ""
        out["officer"] = str(self.officer.public_id) if self.officer else ""
        for key in ("captured_at", "returned_at"):
            out[key] = out[key].isoformat() if out[key] else ""
        for key in ("document_uid", "client_token"):
            out[key] = str(out[key]) if out[key] else ""
        out["sha256"] = self.sha256 or ""
        return out


def clean_declared(*, agency: Agency, data: dict[str, Any]) -> Declared:
    """Check the uploader's fields (web form, API form, tus metadata) with Chinese
    messages that name the field. Unknown devices and officers are refused here,
    before the upload starts."""
    get = lambda key: data.get(key) or ""  # noqa: E731
    name = clean_text(get("name"), label="名称", field="name", max_length=200, required=False)
    device = None
    device_no = clean_text(get("device"), label="记录设备编号", field="device", max_length=40, required=False)
    if device_no:
        device = Device.objects.filter(device_no=device_no, agency=agency).first()
        if device is None:
            raise InvalidInput(f"本机关没有编号为 {device_no} 的记录设备。", field_name="device")
    officer = None
    officer_ref = clean_text(
        get("officer"), label="执法人员", field="officer", max_length=150, required=False
    )
    if officer_ref:
        qs = Officer.objects.filter(agency=agency, is_active=True)
        try:
            officer = qs.filter(public_id=uuid.UUID(officer_ref)).first()
        except ValueError:
            officer = qs.filter(username=officer_ref).first()
        if officer is None:
            raise InvalidInput("「执法人员」应为本机关在职人员。", field_name="officer")
    stage = get("stage")
    if stage:
        stage = clean_choice(stage, label="阶段", field="stage", choices=Stage)
    step_label = clean_text(
        get("step_label"), label="执法环节", field="step_label", max_length=200, required=False
    )
    document_uid = None
    if get("document_uid"):
        document_uid = parse_uuid(get("document_uid"), label="对应文字记录", field="document_uid")
    delay_reason = get("delay_reason")
    returned_at = _parse_time(get("returned_at"), label="返回所在机关时间", field="returned_at")
    if delay_reason:
        delay_reason = clean_choice(
            delay_reason, label="延后上传情形", field="delay_reason", choices=DelayReason
        )
        book = get_rulebook(agency.rulebook_id, on=timezone.localdate())
        rule = upload_rule(book)
        allowed = (rule.params.get("reasons") or []) if rule else []
        if delay_reason not in allowed:
            where = rule.citation.article if rule else ""
            raise InvalidInput(
                f"本机关适用的《{book.title}》{where}未规定「{DelayReason(delay_reason).label}」可延后上传的情形，"
                "应在记录完成后按期上传。",
                field_name="delay_reason",
            )
    elif returned_at is not None:
        raise InvalidInput("只有选择了延后上传情形，才需要填写返回所在机关时间。", field_name="returned_at")
    sha256 = None
    raw_sha = get("sha256") or get("checksum")
    if raw_sha:
        raw_sha = str(raw_sha).strip().lower().removeprefix("sha256 ").removeprefix("sha256:")
        if len(raw_sha) != 64 or any(c not in "0123456789abcdef" for c in raw_sha):
            raise InvalidInput("声明的 SHA-256 摘要格式不正确（应为 64 位十六进制）。", field_name="sha256")
        sha256 = raw_sha
    client_token = None
    if get("client_token"):
        client_token = parse_uuid(get("client_token"), label="提交标识", field="client_token")
    return Declared(
        name=name,
        device=device,
        officer=officer,
        captured_at=_parse_time(get("captured_at"), label="记录时间", field="captured_at"),
        stage=stage,
        step_label=step_label,
        document_uid=document_uid,
        delay_reason=delay_reason,
        returned_at=returned_at,
        sha256=sha256,
        client_token=client_token,
        note=clean_text(get("note"), label="说明", field="note", max_length=500, required=False),
    )


def require_uploader(actor: Officer, case: Case) -> None:
    """Only the case's own agency's officers add records to it; the case must be open."""
    if actor.agency_id != case.agency_id:
        raise PermissionDenied("只有本机关人员可以向本案上传音像记录。")
    if not actor.is_active or not actor.has_role(*MEDIA_WORKERS):
        raise PermissionDenied("上传音像记录需要「执法人员」或「承办人」角色。")
    if case.stage == Stage.CLOSED:
        raise Conflict("案件已结案，不能再上传音像记录。", code="case_closed")


# ---------------------------------------------------------------- ingest


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

    # When: the file's own metadata first, then what the uploader says, then the card's file time.
    start, source = info.captured_start, CaptureTimeSource.METADATA
    if start is None and declared.captured_at is not None:
        start, source = declared.captured_at, CaptureTimeSource.DECLARED
    if start is None and file_time is not None:
        start, source = file_time, CaptureTimeSource.FILE_TIME
    if start is None:
        source = CaptureTimeSource.UNKNOWN
        _flag(
            flags,
            "capture_time_unknown",
            "无法确定记录时间（文件无时间信息，上传时也未填写），不能核对上传期限和设备领用。",
        )
    end = None
    if start is not None:
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

    # Who and with what: the device must have been checked out to the officer then.
    device = declared.device
    officer = declared.officer or (actor if via != "dock" else None)
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

    # In time: the rulebook's upload deadline (AV-09), or its after-return exception (AV-10).
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
    overdue = due is not None and now > due
    if overdue and due is not None and rule is not None:
        _flag(
            flags,
            "upload_overdue",
            f"逾期上传：应于 {_local(due)} 前储存，实际 {_local(now)} 入库"
            f"（{rule.citation.article}：{rule.citation.quote[:40]}…）。",
        )

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
        _upload_deadline(actor=actor, record=record, case=case, rule=rule)
        if link is not None and device is not None:
            gaps_detect(actor=actor, case=case, device=device, activity_key=link.activity_key)
    return record


def _upload_deadline(*, actor: Officer | None, record: MediaRecord, case: Case, rule: Rule | None) -> None:
    """The supervision deadline of this record's upload, met at its receipt: it
    shows in the case's deadlines and counts in compliance (red when late)."""
    if rule is None or record.upload_due_at is None or record.captured_end is None:
        return
    deadline = deadline_open(
        actor=actor,
        case=case,
        kind=f"av_upload:{record.public_id.hex}",
        title=f"音像记录上传：{record.name}"[:200],
        rule=rule,
        starts_at=record.captured_end,
        due_at=record.upload_due_at,
    )
    deadline_meet(actor=actor, deadline=deadline, at=record.received_at)


# ---------------------------------------------------------------- links and cases


@transaction.atomic
def media_link(
    *,
    actor: Officer,
    record: MediaRecord,
    stage: str = "",
    step_label: str = "",
    document_uid: Any = None,
    note: str = "",
) -> MediaLink:
    """Say what the record covers (AV-01: 音像记录应当与文字记录相衔接): a new link
    that replaces the current one; gaps are recomputed for both activities."""
    if record.case is None:
        raise Conflict("请先将该音像记录归入案件，再关联执法环节。", code="unassigned")
    require_uploader(actor, record.case)
    if stage:
        stage = clean_choice(stage, label="阶段", field="stage", choices=Stage)
    step_label = clean_text(step_label, label="执法环节", field="step_label", max_length=200, required=False)
    note = clean_text(note, label="说明", field="note", max_length=500, required=False)
    doc = parse_uuid(document_uid, label="对应文字记录", field="document_uid") if document_uid else None
    if not (stage or step_label or doc):
        raise InvalidInput("请至少填写阶段、执法环节或对应文字记录之一。", field_name="step_label")
    previous = record.links.order_by("linked_at", "id").last()
    now = timezone.now()
    link = MediaLink.objects.create(
        record=record,
        stage=stage,
        step_label=step_label,
        document_uid=doc,
        note=note,
        linked_by=actor,
        linked_at=now,
        replaces=previous,
    )
    record_event(
        type=events.MEDIA_LINKED,
        actor=actor,
        agency=record.agency,
        case_uid=record.case.public_id,
        payload={
            "record": record.public_id,
            "link": link.public_id,
            "stage": stage,
            "step_label": step_label,
            "document": doc,
            "replaces": previous.public_id if previous else None,
        },
        at=now,
        rows=[link],
    )
    if record.device is not None:
        keys = {link.activity_key} | ({previous.activity_key} if previous else set())
        for key in keys:
            gaps_detect(actor=actor, case=record.case, device=record.device, activity_key=key)
    return link


@transaction.atomic
def media_assign(*, actor: Officer, record: MediaRecord, case: Case) -> MediaRecord:
    """File a docked record under its case (once); its upload deadline then shows there."""
    record = MediaRecord.objects.select_for_update().get(pk=record.pk)
    require_uploader(actor, case)
    if record.agency_id != case.agency_id:
        raise PermissionDenied("只能归入本机关的案件。")
    if record.case_id is not None:
        raise Conflict("该音像记录已归入案件。", code="already_assigned")
    if MediaRecord.objects.filter(case=case, sha256=record.sha256).exists():
        raise Conflict("本案已有内容相同的音像记录。", code="duplicate")
    record.case = case
    record.save(update_fields=["case"])
    record_event(
        type=events.MEDIA_ASSIGNED,
        actor=actor,
        agency=record.agency,
        case_uid=case.public_id,
        payload={"record": record.public_id, "sha256": record.sha256},
        rows=[record],
    )
    book = get_rulebook(case.rulebook_id, on=timezone.localdate(record.captured_start or record.received_at))
    _upload_deadline(actor=actor, record=record, case=case, rule=upload_rule(book))
    return record


# ---------------------------------------------------------------- access trail


@transaction.atomic
def media_access_record(*, actor: Officer, record: MediaRecord, action: str) -> None:
    """Every view, playback start and download leaves an event (AV-11, ACC-04)."""
    kind = {
        "viewed": events.MEDIA_VIEWED,
        "streamed": events.MEDIA_STREAMED,
        "downloaded": events.MEDIA_DOWNLOADED,
    }[action]
    record_event(
        type=kind,
        actor=actor,
        agency=actor.agency,
        case_uid=record.case.public_id if record.case else None,
        payload={"record": record.public_id, "sha256": record.sha256},
    )


# ---------------------------------------------------------------- gaps and interruptions


def gaps_detect(*, actor: Officer | None, case: Case, device: Device, activity_key: str) -> list[Gap]:
    """Find pauses between consecutive clips of one device in one activity (AV-02,
    AV-07). Runs after every ingest and link; gaps filled by a later clip close."""
    if not activity_key:
        return []
    threshold = dt.timedelta(seconds=settings.QUANLU_AV_GAP_SECONDS)
    records = (
        MediaRecord.objects.filter(case=case, device=device, captured_start__isnull=False)
        .exclude(kind=MediaKind.PHOTO)
        .prefetch_related("links")
        .order_by("captured_start", "id")
    )
    clips = []
    label = ""
    for record in records:
        links = sorted(record.links.all(), key=lambda link: (link.linked_at, link.id))
        if links and links[-1].activity_key == activity_key:
            clips.append(record)
            label = links[-1].step_label or str(links[-1].document_uid)
    pairs: dict[tuple[int, int], tuple[MediaRecord, MediaRecord]] = {}
    reach_end: dt.datetime | None = None
    reach: MediaRecord | None = None
    for clip in clips:
        if clip.captured_start is None or clip.captured_end is None:
            continue
        if reach is not None and reach_end is not None and clip.captured_start - reach_end > threshold:
            pairs[(reach.pk, clip.pk)] = (reach, clip)
        if reach_end is None or clip.captured_end > reach_end:
            reach, reach_end = clip, clip.captured_end
    now = timezone.now()
    found = []
    with transaction.atomic():
        for gap in Gap.objects.filter(
            case=case, device=device, activity_key=activity_key, closed_at__isnull=True
        ):
            if (gap.before_id, gap.after_id) not in pairs:
                gap.closed_at = now
                gap.save(update_fields=["closed_at"])
                record_event(
                    type=events.GAP_CLOSED,
                    actor=actor,
                    agency=case.agency,
                    case_uid=case.public_id,
                    payload={"gap": gap.public_id, "device": device.device_no},
                    at=now,
                    rows=[gap],
                )
        for before, after in pairs.values():
            assert before.captured_end is not None
            assert after.captured_start is not None
            gap, created = Gap.objects.get_or_create(
                before=before,
                after=after,
                defaults={
                    "case": case,
                    "device": device,
                    "activity_key": activity_key,
                    "activity_label": label[:200],
                    "starts_at": before.captured_end,
                    "ends_at": after.captured_start,
                    "detected_at": now,
                },
            )
            if created:
                record_event(
                    type=events.GAP_DETECTED,
                    actor=actor,
                    agency=case.agency,
                    case_uid=case.public_id,
                    payload={
                        "gap": gap.public_id,
                        "device": device.device_no,
                        "activity": gap.activity_label,
                        "before": before.public_id,
                        "after": after.public_id,
                        "starts_at": gap.starts_at,
                        "ends_at": gap.ends_at,
                        "seconds": gap.seconds,
                    },
                    at=now,
                    rows=[gap],
                )
            found.append(gap)
    return found


@dataclass(frozen=True)
class Signer:
    officer: Officer
    password: str = ""
    method: str = SignatureMethod.PASSWORD


@transaction.atomic
def interruption_record(
    *,
    actor: Officer,
    case: Case,
    reason: str,
    detail: str,
    form: str,
    gap: Gap | None = None,
    last_record: MediaRecord | None = None,
    spoken_in: MediaRecord | None = None,
    spoken_at_second: Any = None,
    statement: str = "",
    signers: list[Signer] | None = None,
    document_uid: Any = None,
    at: dt.datetime | None = None,
) -> Interruption:
    """Explain why recording stopped (001 第二十二条): on resumption, by voice in the
    resuming clip; when it could not resume, by a written statement after the on-site
    work, signed by two or more officers, each confirming with their password."""
    require_uploader(actor, case)
    reason = clean_choice(reason, label="中断原因", field="reason", choices=InterruptionReason)
    form = clean_choice(form, label="说明方式", field="form", choices=ExplanationForm)
    detail = clean_text(detail, label="情况说明", field="detail", max_length=2000)
    if gap is not None and gap.case_id != case.pk:
        raise InvalidInput("该中断不属于本案。", field_name="gap")
    if last_record is not None and last_record.case_id != case.pk:
        raise InvalidInput("中断前的记录不属于本案。", field_name="last_record")
    if gap is None and last_record is None:
        raise InvalidInput("请指明中断（或中断前的最后一段记录）。", field_name="gap")
    now = at or timezone.now()
    second = None
    statement_sha = ""
    signed: list[Signer] = []
    if form == ExplanationForm.SPOKEN:
        if gap is None:
            raise InvalidInput("语音说明应在重新开始记录时作出：请指明已恢复记录的中断。", field_name="gap")
        spoken_in = spoken_in or gap.after
        if spoken_in.case_id != case.pk or spoken_in.kind == MediaKind.PHOTO:
            raise InvalidInput("语音说明应在本案的录音或录像中。", field_name="spoken_in")
        if spoken_at_second not in (None, ""):
            if isinstance(spoken_at_second, bool) or not str(spoken_at_second).isdigit():
                raise InvalidInput("「语音说明位置」应为秒数。", field_name="spoken_at_second")
            second = int(spoken_at_second)
            if spoken_in.duration_ms is not None and second * 1000 > spoken_in.duration_ms:
                raise InvalidInput("「语音说明位置」超出了该记录的时长。", field_name="spoken_at_second")
    else:
        spoken_in = None
        statement = clean_text(statement, label="书面说明", field="statement", max_length=5000)
        statement_sha = hashlib.sha256(statement.encode("utf-8")).hexdigest()
        signed = _check_signers(case, signers or [], now)
    interruption = Interruption.objects.create(
        case=case,
        gap=gap,
        last_record=last_record or (gap.before if gap else None),
        reason=reason,
        detail=detail,
        form=form,
        spoken_in=spoken_in,
        spoken_at_second=second,
        statement=statement if form == ExplanationForm.WRITTEN else "",
        statement_sha256=statement_sha,
        recorded_by=actor,
        recorded_at=now,
        document_uid=parse_uuid(document_uid, label="对应文字记录", field="document_uid")
        if document_uid
        else None,
    )
    signatures = [
        InterruptionSignature.objects.create(
            interruption=interruption,
            officer=s.officer,
            certificate_no=s.officer.certificate_no,
            signed_at=now,
            method=s.method,
        )
        for s in signed
    ]
    record_event(
        type=events.INTERRUPTION_RECORDED,
        actor=actor,
        agency=case.agency,
        case_uid=case.public_id,
        payload={
            "interruption": interruption.public_id,
            "gap": gap.public_id if gap else None,
            "reason": reason,
            "form": form,
            "detail": detail,
            "spoken_in": spoken_in.public_id if spoken_in else None,
            "spoken_at_second": second,
            "statement_sha256": statement_sha,
            "signers": [{"officer": s.officer.public_id, "method": s.method} for s in signed],
        },
        at=now,
        rows=[interruption, *signatures],
    )
    return interruption


def _check_signers(case: Case, signers: list[Signer], now: dt.datetime) -> list[Signer]:
    seen: set[int] = set()
    for s in signers:
        if s.officer.pk in seen:
            raise InvalidInput(f"{s.officer}重复签字。", field_name="signers")
        seen.add(s.officer.pk)
        if s.officer.agency_id != case.agency_id or not s.officer.is_active:
            raise InvalidInput(f"{s.officer}不是本机关在职执法人员，不能签字。", field_name="signers")
        if not s.officer.certificate_valid_on(timezone.localdate(now)):
            raise InvalidInput(f"{s.officer}没有有效的执法证件，不能作为执法人员签字。", field_name="signers")
        if s.method == SignatureMethod.PASSWORD and not s.officer.check_password(s.password):
            raise InvalidInput(f"{s.officer}的密码不正确，签字未完成。", field_name="signers")
    if len(seen) < MIN_WRITTEN_SIGNERS:
        raise InvalidInput(
            f"无法继续记录的书面说明应由{MIN_WRITTEN_SIGNERS}名以上执法人员签字"
            "（元氏县自然资源和规划局行政执法全过程记录办法第二十二条等）。",
            field_name="signers",
        )
    return signers


# ---------------------------------------------------------------- resumable uploads (tus)


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
