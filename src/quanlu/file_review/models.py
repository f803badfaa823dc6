"""案卷评查 (file review): a supervising body's scoring sheets (versioned, never edited),
its review campaigns with the sample of closed cases they drew, the scores its reviewers
gave each case item by item, and the rectification orders issued from a review.

Append-only: a new sheet is a new version; a re-score is a new ``CaseScore`` naming the
one it replaces; closing a campaign is the one state that moves (with its event)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.db import models

from quanlu.cases.models import Case
from quanlu.org.models import Agency, Officer
from quanlu.supervision.models import RectificationOrder


class ReviewSheet(models.Model):
    """评查标准: one version of a body's scoring sheet. ``content`` is the validated sheet
    (sections → items with points and per-regulation citations, see ``sheets.py``); a
    campaign keeps the version it was opened with, so a new version alters no past review."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+", verbose_name="评查机关")
    version = models.PositiveIntegerField("版本")
    title = models.CharField("名称", max_length=200)
    content = models.JSONField("评查项目")
    # "default" (the sheet shipped with quanlu, taken up on first use) or "own".
    origin = models.CharField("来源", max_length=16)
    created_by = models.ForeignKey(
        Officer, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="发布人"
    )
    created_at = models.DateTimeField("发布时间")

    class Meta:
        verbose_name = "案卷评查标准"
        verbose_name_plural = verbose_name
        ordering = ["agency", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "version"], name="one_sheet_per_body_version")
        ]


class SamplingMethod(models.TextChoices):
    RANDOM = "random", "随机抽取"
    RULE = "rule", "按条件抽取"


class Campaign(models.Model):
    """评查活动: a body reviews a sample of its subordinates' closed cases with one sheet."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    body = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+", verbose_name="评查机关")
    sheet = models.ForeignKey(ReviewSheet, on_delete=models.PROTECT, related_name="campaigns")
    title = models.CharField("名称", max_length=200)
    method = models.CharField("抽样方式", max_length=16, choices=SamplingMethod.choices)
    # What the sample was drawn with (seed, N per agency, kind, period, only breached …),
    # enough to draw it again and get the same cases.
    params = models.JSONField("抽样条件")
    opened_by = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="+", verbose_name="发起人")
    opened_at = models.DateTimeField("发起时间")
    closed_by = models.ForeignKey(
        Officer, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="结束人"
    )
    closed_at = models.DateTimeField("结束时间", null=True, blank=True)
    conclusion = models.TextField("评查结论", blank=True)

    class Meta:
        verbose_name = "案卷评查活动"
        verbose_name_plural = verbose_name
        ordering = ["-opened_at"]

    @property
    def closed(self) -> bool:
        return self.closed_at is not None


class SampledCase(models.Model):
    """One case of a campaign's sample, in the order it was drawn."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="samples")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField("序号")
    # Why it was drawn: "random" or the condition that matched.
    reason = models.CharField("抽取依据", max_length=200)

    class Meta:
        verbose_name = "抽取案卷"
        verbose_name_plural = verbose_name
        ordering = ["campaign", "position"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "case"], name="one_sample_per_campaign_case")
        ]


class CaseScore(models.Model):
    """A reviewer's scoring of one sampled case; a correction is a new row replacing it."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    sample = models.ForeignKey(SampledCase, on_delete=models.PROTECT, related_name="scores")
    scored_by = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="+", verbose_name="评查人")
    scored_at = models.DateTimeField("评查时间")
    possible = models.DecimalField("应得分", max_digits=7, decimal_places=1)
    awarded = models.DecimalField("实得分", max_digits=7, decimal_places=1)
    opinion = models.TextField("评查意见", blank=True)
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by"
    )

    class Meta:
        verbose_name = "案卷评分"
        verbose_name_plural = verbose_name
        ordering = ["sample", "scored_at", "pk"]

    @property
    def percent(self) -> Decimal:
        """The score out of 100 (items that do not apply to the case count for nothing)."""
        if not self.possible:
            return Decimal("100.0")
        return (self.awarded * 100 / self.possible).quantize(Decimal("0.1"))


class ItemScore(models.Model):
    """One item of the sheet as scored for the case, with the article it checks for the
    case's regulation and what the rulebook check said (the pre-fill) when it was scored."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    score = models.ForeignKey(CaseScore, on_delete=models.PROTECT, related_name="items")
    item = models.CharField("评查项目", max_length=64)
    title = models.CharField("项目名称", max_length=200)
    section = models.CharField("类别", max_length=64)
    applicable = models.BooleanField("适用", default=True)
    points = models.DecimalField("分值", max_digits=6, decimal_places=1)
    awarded = models.DecimalField("得分", max_digits=6, decimal_places=1)
    finding = models.TextField("评查发现", blank=True)
    rulebook_id = models.CharField(max_length=64)
    article = models.CharField("条款", max_length=64)
    quote = models.TextField("条文")
    # What the rulebook check proposed, and why the reviewer departed from it.
    prefilled = models.BooleanField("系统预填", default=False)
    prefill_applicable = models.BooleanField(default=True)
    prefill_awarded = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    prefill_finding = models.TextField(blank=True)
    change_reason = models.TextField("调整理由", blank=True)

    class Meta:
        verbose_name = "评查项目得分"
        verbose_name_plural = verbose_name
        ordering = ["score", "pk"]

    @property
    def lost(self) -> Decimal:
        return self.points - self.awarded if self.applicable else Decimal("0")

    @property
    def changed(self) -> bool:
        return self.prefilled and (
            self.applicable != self.prefill_applicable
            or (self.applicable and self.awarded != self.prefill_awarded)
        )


class ReviewRectification(models.Model):
    """A 整改通知 (supervision's order) issued from a review, and the item scores it rests on."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="rectifications")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    order = models.OneToOneField(RectificationOrder, on_delete=models.PROTECT, related_name="+")
    # The public ids of the item scores (ItemScore) the order rests on.
    items = models.JSONField("评查发现")
    issued_by = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField("下达时间")

    class Meta:
        verbose_name = "评查整改通知"
        verbose_name_plural = verbose_name
        ordering = ["campaign", "issued_at"]
