"""Recording devices (音像记录设备): the registry under unified numbers, who holds
which device when (checkout and return, with the battery and storage checks), and
what happened to it (faults, repairs, loss, damage).

Each event is its own row; ``Device.status`` is only the latest of them, kept on
the device so lists need no history walk.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from quanlu.org.models import Agency, Officer


class DeviceKind(models.TextChoices):
    # REQUIREMENTS §5.17 (001 第十八条, 003 第三十二条).
    BODY_WORN_RECORDER = "body_worn_recorder", "执法记录仪"
    CAMERA = "camera", "照相机"
    VIDEO_CAMERA = "video_camera", "摄像机"
    AUDIO_RECORDER = "audio_recorder", "录音机"
    HANDHELD_TERMINAL = "handheld_enforcement_terminal", "手持执法终端"
    VIDEO_SURVEILLANCE = "video_surveillance", "视频监控"
    CAPTURE_STORAGE = "av_capture_storage_device", "音像资料采集存储设备"


# Short codes in unified device numbers: <region code>-<kind code>-<sequence>.
KIND_CODES = {
    DeviceKind.BODY_WORN_RECORDER: "ZFJLY",
    DeviceKind.CAMERA: "ZXJ",
    DeviceKind.VIDEO_CAMERA: "SXJ",
    DeviceKind.AUDIO_RECORDER: "LYJ",
    DeviceKind.HANDHELD_TERMINAL: "SCZD",
    DeviceKind.VIDEO_SURVEILLANCE: "SPJK",
    DeviceKind.CAPTURE_STORAGE: "CJCC",
}


class Capability(models.TextChoices):
    # 001 第三十一条: special functions for special needs.
    EXPLOSION_PROOF = "explosion_proof", "防爆"
    NIGHT_VISION = "night_vision", "夜视"
    POSITIONING = "positioning", "定位"


class DeviceStatus(models.TextChoices):
    AVAILABLE = "available", "在库可用"
    CHECKED_OUT = "checked_out", "已领用"
    FAULTY = "faulty", "故障停用"
    IN_REPAIR = "in_repair", "维修中"
    LOST = "lost", "丢失"
    DAMAGED = "damaged", "损毁"
    RETIRED = "retired", "报废"


class Device(models.Model):
    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    device_no = models.CharField("设备编号", max_length=40, unique=True)
    kind = models.CharField("设备类别", max_length=32, choices=DeviceKind.choices)
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="devices", verbose_name="所属机关"
    )
    keeper = models.ForeignKey(
        Officer, on_delete=models.PROTECT, related_name="kept_devices", verbose_name="保管人"
    )
    brand_model = models.CharField("品牌型号", max_length=100, blank=True)
    serial_no = models.CharField("出厂序列号", max_length=64, blank=True)
    # 003 第三十三条: no device unrelated to the unit's enforcement work.
    purpose = models.CharField("执法用途", max_length=200)
    capabilities = models.JSONField("特殊功能", default=list, blank=True)
    status = models.CharField(
        "状态", max_length=16, choices=DeviceStatus.choices, default=DeviceStatus.AVAILABLE
    )
    registered_at = models.DateTimeField("登记时间")
    registered_by = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="+", null=True)

    class Meta:
        verbose_name = "音像记录设备"
        verbose_name_plural = verbose_name
        ordering = ["device_no"]
        constraints = [
            models.UniqueConstraint(
                fields=["serial_no"], condition=~Q(serial_no=""), name="unique_device_serial"
            )
        ]

    def __str__(self) -> str:
        return f"{self.device_no}（{self.get_kind_display()}）"


class DeviceNumberSequence(models.Model):
    region_code = models.CharField(max_length=12)
    kind = models.CharField(max_length=32)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["region_code", "kind"], name="one_device_sequence")]


class Checkout(models.Model):
    """A device handed to an officer (领用), with the pre-use check (001 第二十四条)."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="checkouts")
    officer = models.ForeignKey(
        Officer, on_delete=models.PROTECT, related_name="checkouts", verbose_name="领用人"
    )
    issued_by = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="+", verbose_name="发放人")
    checked_out_at = models.DateTimeField("领用时间")
    battery_percent = models.PositiveSmallIntegerField("电池电量（%）")
    storage_free_mb = models.PositiveIntegerField("剩余存储空间（MB）")
    purpose = models.CharField("用途", max_length=200, blank=True)
    case_uid = models.UUIDField("案件", null=True, blank=True)
    due_back_at = models.DateTimeField("应交回时间", null=True, blank=True)

    class Meta:
        verbose_name = "设备领用"
        verbose_name_plural = verbose_name
        ordering = ["-checked_out_at"]


class ReturnCondition(models.TextChoices):
    GOOD = "good", "完好"
    FAULTY = "faulty", "有故障"
    DAMAGED = "damaged", "损毁"
    LOST = "lost", "丢失（未交回）"


class DeviceReturn(models.Model):
    """The return and acceptance check (交回登记验收, 003 第三十四条)."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)

    checkout = models.OneToOneField(Checkout, on_delete=models.PROTECT, related_name="returned")
    received_by = models.ForeignKey(
        Officer, on_delete=models.PROTECT, related_name="+", verbose_name="验收人"
    )
    returned_at = models.DateTimeField("交回时间")
    battery_percent = models.PositiveSmallIntegerField("电池电量（%）", null=True, blank=True)
    storage_free_mb = models.PositiveIntegerField("剩余存储空间（MB）", null=True, blank=True)
    condition = models.CharField("验收情况", max_length=16, choices=ReturnCondition.choices)
    note = models.TextField("说明", max_length=2000, blank=True)

    class Meta:
        verbose_name = "设备交回"
        verbose_name_plural = verbose_name


class IncidentKind(models.TextChoices):
    FAULT = "fault", "故障报告"
    REPAIR_STARTED = "repair_started", "送修"
    REPAIRED = "repaired", "修复"
    LOST = "lost", "丢失"
    DAMAGED = "damaged", "损毁"
    RETIRED = "retired", "报废"


# The status each incident leaves the device in.
INCIDENT_STATUS = {
    IncidentKind.FAULT: DeviceStatus.FAULTY,
    IncidentKind.REPAIR_STARTED: DeviceStatus.IN_REPAIR,
    IncidentKind.REPAIRED: DeviceStatus.AVAILABLE,
    IncidentKind.LOST: DeviceStatus.LOST,
    IncidentKind.DAMAGED: DeviceStatus.DAMAGED,
    IncidentKind.RETIRED: DeviceStatus.RETIRED,
}


class Incident(models.Model):
    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="incidents")
    kind = models.CharField("事项", max_length=16, choices=IncidentKind.choices)
    at = models.DateTimeField("时间")
    reported_by = models.ForeignKey(
        Officer, on_delete=models.PROTECT, related_name="+", verbose_name="记录人"
    )
    description = models.TextField("情况说明", max_length=2000)
    # 003 第三十四条: loss or damage from a late return is compensated or repaired by whom.
    liable_officer = models.ForeignKey(
        Officer, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="责任人"
    )
    repairer = models.CharField("维修单位", max_length=100, blank=True)
    status_after = models.CharField(max_length=16, choices=DeviceStatus.choices)

    class Meta:
        verbose_name = "设备事项"
        verbose_name_plural = verbose_name
        ordering = ["-at", "-id"]
