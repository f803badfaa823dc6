"""What an uploader says, checked before any byte is read: file names, declared
fields (web form, API form, tus metadata) and who may add records to a case."""

from __future__ import annotations

import datetime as dt
import unicodedata
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from django.utils import timezone

from quanlu.cases.models import Case, Stage
from quanlu.core.errors import Conflict, InvalidInput, PermissionDenied, Refused
from quanlu.core.validation import clean_choice, clean_text, hidden_characters, parse_uuid
from quanlu.devices.models import Device
from quanlu.media.models import DelayReason
from quanlu.org.models import Agency, Officer, Role
from quanlu.rulebooks.loader import Rule, Rulebook, get_rulebook
from quanlu.rulebooks.params import duration_label

MEDIA_WORKERS = (Role.OFFICER, Role.HANDLER)
# A capture time this far ahead of the server is a wrong camera clock, not the future.
CLOCK_TOLERANCE = dt.timedelta(minutes=10)


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
        # A regulation silent on the time (a no_time_limit rule) demands nothing: the
        # officer's stated circumstance is kept as said, and nothing is refused.
        allowed = (rule.params.get("reasons") or []) if rule else list(DelayReason)
        if rule is not None and delay_reason not in allowed:
            message = (
                f"本机关适用的《{book.title}》{rule.citation.article}未规定"
                f"「{DelayReason(delay_reason).label}」可延后上传的情形，应在记录完成后按期上传。"
            )
            satisfy = f"在记录完成后{duration_label(rule.params['within'])}内上传" + (
                f"；可延后上传的情形只有：{'、'.join(DelayReason(r).label for r in allowed)}"
                if allowed
                else ""
            )
            raise Refused(
                message,
                [rule.finding(message, satisfy=satisfy + "。", field="delay_reason")],
                code="delay_reason_not_allowed",
                status=422,
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
