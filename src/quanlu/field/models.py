"""Field capture without a network (现场离线采集): the browsers enrolled as field
devices, each officer's signing key on them, the cases taken out on them, and a
receipt for every record a device sends back.

A device and its keys are enrolled online; offline, the device keeps what it
captured encrypted, hashed at capture. On return each record becomes a receipt
that says what the device claimed (its hash, its clock and that clock's offset)
and what the server found, and names the document, signature or media record the
existing services made of it. Nothing is changed after it is written: a revocation
is its own row, a receipt is written once, whatever became of the record.
"""

from __future__ import annotations

import uuid

from django.db import models

from quanlu.cases.models import Case
from quanlu.org.models import Agency, Officer


class FieldDevice(models.Model):
    """A browser installed as the field app. Its id is made by the browser (it names
    the device before the server has seen it)."""

    public_id = models.UUIDField("设备标识", unique=True, editable=False)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+", verbose_name="机关")
    label = models.CharField("设备名称", max_length=100)
    enrolled_by = models.ForeignKey(
        Officer, on_delete=models.PROTECT, related_name="+", verbose_name="登记人"
    )
    enrolled_at = models.DateTimeField("登记时间")

    class Meta:
        verbose_name = "现场采集设备"
        verbose_name_plural = verbose_name
        ordering = ["enrolled_at", "id"]

    def __str__(self) -> str:
        return self.label


class FieldCredential(models.Model):
    """An officer's ECDSA P-256 public key on one device. The private key never
    leaves the device; it is kept there wrapped under a key derived from the
    officer's PIN. Enrolling again adds a newer credential; the latest counts."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    device = models.ForeignKey(FieldDevice, on_delete=models.PROTECT, related_name="credentials")
    officer = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="+", verbose_name="执法人员")
    public_key = models.TextField("公钥（SPKI，Base64）")
    fingerprint = models.CharField("公钥指纹（SHA-256）", max_length=64)
    enrolled_at = models.DateTimeField("登记时间")

    class Meta:
        verbose_name = "现场签名凭证"
        verbose_name_plural = verbose_name
        ordering = ["enrolled_at", "id"]


class DeviceRevocation(models.Model):
    """A lost or retired device: from now on what it sends is refused and listed."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    device = models.OneToOneField(FieldDevice, on_delete=models.PROTECT, related_name="revocation")
    reason = models.TextField("吊销理由", max_length=1000)
    revoked_by = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="+", verbose_name="吊销人")
    revoked_at = models.DateTimeField("吊销时间")

    class Meta:
        verbose_name = "现场采集设备吊销"
        verbose_name_plural = verbose_name


class Takeout(models.Model):
    """A case taken out on a device (离线携带), with the stage it was in: a record
    that comes back after the case moved on is flagged."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+", verbose_name="案件")
    device = models.ForeignKey(FieldDevice, on_delete=models.PROTECT, related_name="takeouts")
    officer = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="+", verbose_name="携带人")
    stage = models.CharField("携带时阶段", max_length=16)
    taken_at = models.DateTimeField("携带时间")

    class Meta:
        verbose_name = "案件离线携带"
        verbose_name_plural = verbose_name
        ordering = ["taken_at", "id"]


class RecordKind(models.TextChoices):
    CASE = "case", "现场新立案件（临时编号）"
    DOCUMENT = "document", "文书"
    OFFICER_SIGNATURE = "officer_signature", "执法人员签名"
    PARTY_SIGNATURE = "party_signature", "当事人签名"
    REFUSAL = "refusal", "拒签记录"
    EXEMPTION = "exemption", "不适宜音像记录的除外情形"
    INTERRUPTION = "interruption", "音像记录中断说明"
    MEDIA = "media", "照片或音像"


class ReceiptStatus(models.TextChoices):
    ACCEPTED = "accepted", "已接收"
    FLAGGED = "flagged", "已接收，有异常"
    HELD = "held", "按收到的内容保存，未入卷"
    REFUSED = "refused", "设备已吊销，拒收并登记"


class Receipt(models.Model):
    """One record a device captured offline, as the server received it. ``public_id``
    is the device's own id for the record, so a repeated or resumed sync finds it."""

    public_id = models.UUIDField("记录标识", unique=True, editable=False)
    device = models.ForeignKey(FieldDevice, on_delete=models.PROTECT, related_name="receipts")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("类别", max_length=24, choices=RecordKind.choices)
    sequence = models.PositiveIntegerField("设备上的采集顺序")
    status = models.CharField("状态", max_length=16, choices=ReceiptStatus.choices)
    device_sha256 = models.CharField("设备摘要（采集时）", max_length=64)
    server_sha256 = models.CharField("服务器摘要（接收时）", max_length=64)
    captured_at = models.DateTimeField("采集时间（设备时钟）")
    clock_offset_ms = models.BigIntegerField("设备时钟偏差（毫秒，服务器减设备）")
    captured_at_server = models.DateTimeField("采集时间（按偏差校正）")
    received_at = models.DateTimeField("接收时间")
    # When the officer came back (the device noted the network's return, or the officer
    # pressed 已返回), by the server's clock: the 24-hour-after-return exception counts
    # from it where the regulation has one.
    returned_at = models.DateTimeField("返回时间", null=True, blank=True)
    received_by = models.ForeignKey(
        Officer, on_delete=models.PROTECT, related_name="+", verbose_name="同步人"
    )
    body = models.JSONField("收到的内容", default=dict)
    target_uid = models.UUIDField("生成的记录", null=True, blank=True)
    flags = models.JSONField("异常", default=list, blank=True)

    class Meta:
        verbose_name = "现场采集记录回传"
        verbose_name_plural = verbose_name
        ordering = ["received_at", "sequence", "id"]
