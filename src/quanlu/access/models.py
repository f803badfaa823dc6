"""Confidentiality marks, head-approved access to marked content, and parties'
copy requests. Every row is written once: a lifted mark is a new row naming the
mark it lifts, a decision is a row beside its request, never a status update."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from quanlu.cases.models import Case
from quanlu.media.models import MediaRecord
from quanlu.org.models import Officer
from quanlu.records.models import Document


class SecretCategory(models.TextChoices):
    STATE_SECRET = "state_secret", "国家秘密"
    TRADE_SECRET = "trade_secret", "商业秘密"
    PERSONAL_PRIVACY = "personal_privacy", "个人隐私"


class MarkAction(models.TextChoices):
    MARKED = "marked", "标注"
    LIFTED = "lifted", "解除"


# Each row is about exactly one record: a document or an audio-visual record.
ONE_ITEM = Q(document__isnull=False, media__isnull=True) | Q(document__isnull=True, media__isnull=False)


class ConfidentialityMark(models.Model):
    """A mark on one record (a document or an audio-visual record), or the lifting
    of an earlier mark (``lifts``). A mark is live while no lifting names it."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+", verbose_name="案件")
    document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="文书"
    )
    media = models.ForeignKey(
        MediaRecord,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="音像记录",
    )
    action = models.CharField("操作", max_length=8, choices=MarkAction.choices)
    category = models.CharField("涉密类别", max_length=20, choices=SecretCategory.choices)
    reason = models.TextField("理由", max_length=2000)
    lifts = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lifted_by",
        verbose_name="解除的标注",
    )
    actor = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="+", verbose_name="操作人")
    at = models.DateTimeField("时间")

    class Meta:
        verbose_name = "涉密标注"
        verbose_name_plural = verbose_name
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(condition=ONE_ITEM, name="access_mark_one_item"),
            models.CheckConstraint(
                condition=Q(action="marked", lifts__isnull=True) | Q(action="lifted", lifts__isnull=False),
                name="access_mark_lift_names_mark",
            ),
        ]


class ContentGrant(models.Model):
    """The agency head's approval for one officer (a supervisor above, say) to read
    the content of one marked record."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+", verbose_name="案件")
    document = models.ForeignKey(Document, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    media = models.ForeignKey(MediaRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    grantee = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="+", verbose_name="获准人员")
    reason = models.TextField("理由", max_length=2000)
    actor = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="+", verbose_name="批准人")
    at = models.DateTimeField("批准时间")

    class Meta:
        verbose_name = "涉密内容查看批准"
        verbose_name_plural = verbose_name
        constraints = [models.CheckConstraint(condition=ONE_ITEM, name="access_grant_one_item")]


class CopyMode(models.TextChoices):
    COPY = "copy", "复制"
    INSPECT = "inspect", "查阅"


class CopyRequest(models.Model):
    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+", verbose_name="案件")
    mode = models.CharField("方式", max_length=8, choices=CopyMode.choices, default=CopyMode.COPY)
    requester_name = models.CharField("申请人", max_length=100)
    requester_id_number = models.CharField("申请人证件号码", max_length=40, blank=True)
    purpose = models.TextField("用途", max_length=2000)
    registered_by = models.ForeignKey(
        Officer, on_delete=models.PROTECT, related_name="+", verbose_name="登记人"
    )
    registered_at = models.DateTimeField("登记时间")
    client_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        verbose_name = "复制（查阅）申请"
        verbose_name_plural = verbose_name
        ordering = ["registered_at", "id"]


class CopyRequestItem(models.Model):
    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    request = models.ForeignKey(CopyRequest, on_delete=models.PROTECT, related_name="items")
    document = models.ForeignKey(Document, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    media = models.ForeignKey(MediaRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "申请复制的记录"
        verbose_name_plural = verbose_name
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=ONE_ITEM, name="access_copy_item_one_item")]


class DecisionOutcome(models.TextChoices):
    APPROVED = "approved", "同意"
    REFUSED = "refused", "不同意"


class CopyDecision(models.Model):
    """One decision per request (the one-to-one refuses a second)."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)

    request = models.OneToOneField(CopyRequest, on_delete=models.PROTECT, related_name="decision")
    outcome = models.CharField("决定", max_length=8, choices=DecisionOutcome.choices)
    reason = models.TextField("理由", max_length=2000, blank=True)
    basis = models.CharField("依据", max_length=500)
    actor = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="+", verbose_name="决定人")
    at = models.DateTimeField("决定时间")

    class Meta:
        verbose_name = "复制申请决定"
        verbose_name_plural = verbose_name


class CopyFulfilment(models.Model):
    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    request = models.OneToOneField(CopyRequest, on_delete=models.PROTECT, related_name="fulfilment")
    actor = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="+", verbose_name="经办人")
    at = models.DateTimeField("提供时间")

    class Meta:
        verbose_name = "复制件提供"
        verbose_name_plural = verbose_name


class ReleaseLine(models.Model):
    """What was released (with its SHA-256) or withheld (with the rule and article)."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)

    fulfilment = models.ForeignKey(CopyFulfilment, on_delete=models.PROTECT, related_name="lines")
    document = models.ForeignKey(Document, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    media = models.ForeignKey(MediaRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    title = models.CharField("名称", max_length=200)
    released = models.BooleanField("已提供")
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    withheld_reason = models.TextField("不予提供的理由", blank=True)
    rule = models.CharField("规则", max_length=64, blank=True)
    article = models.CharField("条文", max_length=200, blank=True)
    quote = models.TextField("条文原文", blank=True)

    class Meta:
        verbose_name = "复制件提供明细"
        verbose_name_plural = verbose_name
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=ONE_ITEM, name="access_line_one_item")]
