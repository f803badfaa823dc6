"""Audio-visual records (音像记录): what was stored, where it came from, how it is
classified and linked, whether it arrived in time, the gaps between clips with
their explanations, and the steps recorded as going without (exemptions).

A record's bytes are a content-addressed blob; the record is never changed after
ingest except by new rows (links, explanations) that name it.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.db.models import Q

from quanlu.blobs.models import Blob
from quanlu.cases.models import Case, SignatureMethod, Stage
from quanlu.devices.models import Checkout, Device
from quanlu.org.models import Agency, Officer
from quanlu.rulebooks.terms import AV_ACTIVITIES, EXEMPTION_KINDS


class MediaKind(models.TextChoices):
    PHOTO = "photo", "照片"
    AUDIO = "audio", "录音"
    VIDEO = "video", "录像"


class CaptureTimeSource(models.TextChoices):
    METADATA = "metadata", "文件元数据"
    DECLARED = "declared", "上传人填报"
    FILE_TIME = "file_time", "存储卡文件时间"
    UNKNOWN = "unknown", "未知"


class DelayReason(models.TextChoices):
    # REQUIREMENTS §5.9 (001 第二十三条, 004 第二十五条).
    CONTINUOUS = "continuous_enforcement", "连续执法（连续工作）"
    OFF_SITE = "off_site_enforcement", "异地执法（异地工作）"
    REMOTE_AREA = "remote_area", "边远地区执法"
    ON_WATER = "on_water", "水上执法"
    POOR_TRANSPORT = "poor_transport_access", "交通不便地区执法"


FLAG_LABELS = {
    "upload_overdue": "逾期上传",
    "capture_time_unknown": "记录时间未知",
    "capture_time_differs": "记录时间不一致",
    "clock_ahead": "设备时钟异常",
    "no_device": "未填设备编号",
    "device_serial_mismatch": "设备序列号不符",
    "device_officer_mismatch": "设备领用人不符",
    "device_not_checked_out": "设备无领用记录",
    "officer_unknown": "执法人员未知",
    "returned_at_missing": "未填返回时间",
}


class MediaRecord(models.Model):
    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+", verbose_name="机关")
    # Null for recordings docked without a case yet; assigned once, later.
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="media", verbose_name="案件"
    )
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="+")
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)
    sm3 = models.CharField("SM3", max_length=64, blank=True)
    size = models.BigIntegerField("字节数")
    kind = models.CharField("类别", max_length=8, choices=MediaKind.choices)
    name = models.CharField("名称", max_length=200)
    original_filename = models.CharField("原文件名", max_length=255)
    container = models.CharField("格式", max_length=64, blank=True)
    mime_type = models.CharField("媒体类型", max_length=64)
    codec = models.CharField("编码", max_length=64, blank=True)
    audio_codec = models.CharField("音频编码", max_length=64, blank=True)
    duration_ms = models.BigIntegerField("时长（毫秒）", null=True, blank=True)
    width = models.PositiveIntegerField("宽", null=True, blank=True)
    height = models.PositiveIntegerField("高", null=True, blank=True)
    captured_start = models.DateTimeField("记录开始", null=True, blank=True)
    captured_end = models.DateTimeField("记录结束", null=True, blank=True)
    capture_time_source = models.CharField(
        "记录时间来源", max_length=16, choices=CaptureTimeSource.choices, default=CaptureTimeSource.UNKNOWN
    )
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    device_serial = models.CharField("文件内设备序列号", max_length=64, blank=True)
    device_make = models.CharField("文件内设备型号", max_length=100, blank=True)
    metadata = models.JSONField("原始元数据（摘要）", default=dict, blank=True)
    poster = models.ForeignKey(
        Blob, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="缩略图"
    )
    device = models.ForeignKey(
        Device, null=True, blank=True, on_delete=models.PROTECT, related_name="media", verbose_name="记录设备"
    )
    # Null only for docked files whose holder no checkout shows (flagged).
    officer = models.ForeignKey(
        Officer,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="recorded_media",
        verbose_name="执法人员",
    )
    checkout = models.ForeignKey(
        Checkout, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="对应领用"
    )
    uploaded_by = models.ForeignKey(
        Officer, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="上传人"
    )
    received_at = models.DateTimeField("入库时间")
    via = models.CharField("入库方式", max_length=16)  # web, multipart, tus, dock
    # The upload deadline (AV-09/AV-10) as it stood at ingest.
    upload_rule = models.CharField("期限规则", max_length=64, blank=True)
    upload_due_at = models.DateTimeField("上传期限", null=True, blank=True)
    upload_overdue = models.BooleanField("逾期上传", default=False)
    delay_reason = models.CharField("延后上传情形", max_length=32, choices=DelayReason.choices, blank=True)
    returned_at = models.DateTimeField("返回所在机关时间", null=True, blank=True)
    # Problems found at ingest: [{"code", "message"}]; shown on the record, counted in supervision.
    flags = models.JSONField("问题标记", default=list, blank=True)
    client_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        verbose_name = "音像记录"
        verbose_name_plural = verbose_name
        ordering = ["captured_start", "received_at", "id"]
        constraints = [
            # The same bytes are one record per case (a retried upload finds it).
            models.UniqueConstraint(fields=["case", "sha256"], name="media_once_per_case"),
            models.UniqueConstraint(
                fields=["agency", "sha256"], condition=Q(case__isnull=True), name="media_once_unassigned"
            ),
        ]
        indexes = [models.Index(fields=["device", "captured_start"], name="media_device_time")]

    def __str__(self) -> str:
        return self.name

    @property
    def flag_tags(self) -> list[tuple[str, str]]:
        """(short label, full message) of each flag, for lists."""
        return [(FLAG_LABELS.get(f["code"], "待核对"), f["message"]) for f in self.flags]

    @property
    def flag_codes(self) -> list[str]:
        return [f["code"] for f in self.flags]

    def classification(self) -> dict[str, str]:
        """The storage classification keys of 001 第二十七条: 名称、记录设备编号、
        执法人员信息、使用时间、案件当事人、案由名称 — read from the record and its
        case as they are now (parties may be registered after the recording)."""
        from django.utils import timezone

        def local(value: Any) -> str:
            return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""

        officer = ""
        if self.officer is not None:
            officer = self.officer.full_name
            if self.officer.certificate_no:
                officer += f"（执法证号 {self.officer.certificate_no}）"
        usage = local(self.captured_start)
        if self.captured_end and self.captured_end != self.captured_start:
            usage += f" 至 {local(self.captured_end)}"
        parties = "、".join(p.name for p in self.case.parties.all()) if self.case is not None else ""
        return {
            "name": self.name,
            "device_no": self.device.device_no if self.device is not None else "",
            "officer": officer,
            "usage_time": usage,
            "parties": parties,
            "cause": self.case.cause if self.case is not None else "",
        }


class MediaLink(models.Model):
    """What a record covers: the stage, the step and the text record (a document of
    quanlu.records, by public id). The latest link of a record is its current one;
    a later link names the one it replaces."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    record = models.ForeignKey(MediaRecord, on_delete=models.PROTECT, related_name="links")
    stage = models.CharField("阶段", max_length=16, choices=Stage.choices, blank=True)
    step_label = models.CharField("执法环节", max_length=200, blank=True)
    document_uid = models.UUIDField("对应文字记录", null=True, blank=True)
    note = models.CharField("说明", max_length=500, blank=True)
    linked_by = models.ForeignKey(Officer, null=True, on_delete=models.PROTECT, related_name="+")
    linked_at = models.DateTimeField("关联时间")
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by"
    )

    class Meta:
        verbose_name = "音像记录关联"
        verbose_name_plural = verbose_name
        ordering = ["linked_at", "id"]

    @property
    def activity_key(self) -> str:
        """Clips of one activity: the same text record, else the same step label."""
        if self.document_uid:
            return f"doc:{self.document_uid}"
        return f"step:{self.step_label}" if self.step_label else ""


class UploadStatus(models.TextChoices):
    OPEN = "open", "上传中"
    COMPLETED = "completed", "已完成"
    FAILED = "failed", "未通过校验"
    TERMINATED = "terminated", "已取消"
    EXPIRED = "expired", "已过期"


class Upload(models.Model):
    """A resumable (tus) upload: its declared length and metadata. The bytes so far
    live in the blob store's partial area; only a complete, verified upload
    becomes a record."""

    public_id = models.UUIDField("上传标识", default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    uploader = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="+")
    length = models.BigIntegerField("总字节数")
    filename = models.CharField("文件名", max_length=255)
    declared = models.JSONField("填报信息", default=dict)
    created_at = models.DateTimeField("开始时间")
    expires_at = models.DateTimeField("过期时间")
    status = models.CharField(max_length=16, choices=UploadStatus.choices, default=UploadStatus.OPEN)
    finished_at = models.DateTimeField(null=True, blank=True)
    record = models.ForeignKey(MediaRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = "上传"
        verbose_name_plural = verbose_name


class Gap(models.Model):
    """A pause between consecutive clips of one device in one activity."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="media_gaps")
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="+")
    activity_key = models.CharField(max_length=250)
    activity_label = models.CharField("执法环节", max_length=200)
    before = models.ForeignKey(MediaRecord, on_delete=models.PROTECT, related_name="+", verbose_name="中断前")
    after = models.ForeignKey(MediaRecord, on_delete=models.PROTECT, related_name="+", verbose_name="恢复后")
    starts_at = models.DateTimeField("中断开始")
    ends_at = models.DateTimeField("恢复记录")
    detected_at = models.DateTimeField("发现时间")
    # A clip that later fills the pause closes the gap (clips may arrive out of order).
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "音像记录中断"
        verbose_name_plural = verbose_name
        ordering = ["starts_at", "id"]
        constraints = [models.UniqueConstraint(fields=["before", "after"], name="one_gap_per_pair")]

    @property
    def seconds(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds())


class InterruptionReason(models.TextChoices):
    # 001 第二十二条: 设备故障、天气恶劣、人为阻挠等客观原因.
    EQUIPMENT_FAILURE = "equipment_failure", "设备故障"
    SEVERE_WEATHER = "severe_weather", "天气恶劣"
    HUMAN_OBSTRUCTION = "human_obstruction", "人为阻挠"
    OTHER = "other_objective_cause", "其他客观原因"


class ExplanationForm(models.TextChoices):
    SPOKEN = "spoken", "重新开始记录时语音说明"
    WRITTEN = "written", "无法继续记录，现场执法结束后书面说明"


class Interruption(models.Model):
    """Why recording stopped (音像记录中断说明), linked to the gap it explains — or,
    when recording never resumed, to the last clip before it."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="interruptions")
    gap = models.ForeignKey(Gap, null=True, blank=True, on_delete=models.PROTECT, related_name="explanations")
    last_record = models.ForeignKey(
        MediaRecord,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="中断前记录",
    )
    reason = models.CharField("中断原因", max_length=32, choices=InterruptionReason.choices)
    detail = models.TextField("情况说明", max_length=2000)
    form = models.CharField("说明方式", max_length=16, choices=ExplanationForm.choices)
    # Spoken: the clip that resumed recording and says why, and where in it.
    spoken_in = models.ForeignKey(
        MediaRecord,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="语音说明所在记录",
    )
    spoken_at_second = models.PositiveIntegerField("语音说明位置（秒）", null=True, blank=True)
    # Written: the statement itself, signed by two or more officers (below).
    statement = models.TextField("书面说明", max_length=5000, blank=True)
    statement_sha256 = models.CharField(max_length=64, blank=True)
    recorded_by = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("记录时间")
    document_uid = models.UUIDField("对应文字记录", null=True, blank=True)

    class Meta:
        verbose_name = "音像记录中断说明"
        verbose_name_plural = verbose_name
        ordering = ["recorded_at", "id"]


# A written statement is signed online with the officer's password, or, when it was
# made on site without a network, with the officer's key on the field device (its
# signature re-verified by the server on receipt).
INTERRUPTION_SIGNATURE_METHODS = [*SignatureMethod.choices, ("device_key", "现场设备密钥签名")]


class InterruptionSignature(models.Model):
    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    interruption = models.ForeignKey(Interruption, on_delete=models.PROTECT, related_name="signatures")
    officer = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="+", verbose_name="签字人")
    certificate_no = models.CharField("执法证件编号", max_length=32)
    signed_at = models.DateTimeField("签字时间")
    method = models.CharField("签名方式", max_length=16, choices=INTERRUPTION_SIGNATURE_METHODS)

    class Meta:
        verbose_name = "中断说明签字"
        verbose_name_plural = verbose_name
        ordering = ["signed_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["interruption", "officer"], name="one_signature_per_officer")
        ]


class ExemptionKind(models.TextChoices):
    UNSUITABLE = "unsuitable", EXEMPTION_KINDS["unsuitable"]
    EQUIVALENT_MEANS = "equivalent_means", EXEMPTION_KINDS["equivalent_means"]


class Exemption(models.Model):
    """A step that goes without audio-visual recording, with the reason.

    A regulation that asks for audio-visual recording of a step may let it go where
    recording is unsuitable (不适宜音像记录的除外), and one (004 第十四条) asks that the
    reason be written down. An exemption is a record of its own, ledgered, never
    changed; the rules decide whether their rulebook honours it. Kept in the table
    (and under the ledger label) it had when the rulebooks app held it.
    """

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="exemptions", verbose_name="案件")
    kind = models.CharField("除外情形", max_length=24, choices=ExemptionKind.choices)
    activity = models.CharField("执法环节", max_length=32, choices=list(AV_ACTIVITIES.items()))
    # The text record of the step (a document of quanlu.records, by public id).
    document_uid = models.UUIDField("对应文字记录")
    reason = models.TextField("原因", max_length=2000)
    # 004 第十四条 "但需书面记录原因": the signed 不适宜音像记录原因说明.
    written_reason_uid = models.UUIDField("书面原因说明", null=True, blank=True)
    recorded_by = models.ForeignKey(
        Officer, on_delete=models.PROTECT, related_name="+", verbose_name="记录人"
    )
    recorded_at = models.DateTimeField("记录时间")
    client_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        db_table = "rulebooks_exemption"
        verbose_name = "音像记录除外情形"
        verbose_name_plural = verbose_name
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_activity_display()}：{self.get_kind_display()}"
