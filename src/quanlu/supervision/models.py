"""Deadlines that the law sets, with the rule that sets them; alerts derive from them."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import models

from quanlu.cases.models import Case
from quanlu.org.models import Agency


class AlertLevel(models.TextChoices):
    NONE = "none", "正常"
    YELLOW = "yellow", "黄牌预警"
    RED = "red", "红牌逾期"


class Deadline(models.Model):
    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="deadlines")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("类别", max_length=48)
    # What the deadline is about within the case when there can be several of a kind
    # (a media record's upload, a correction order's re-check); empty for one per case.
    subject = models.CharField("对象", max_length=64, blank=True, default="")
    title = models.CharField("事项", max_length=200)
    starts_at = models.DateTimeField("起算时间")
    due_at = models.DateTimeField("期限")
    warn_at = models.DateTimeField("预警时间")
    rulebook_id = models.CharField(max_length=64)
    rule_id = models.CharField(max_length=64)
    article = models.CharField("条款", max_length=64)
    quote = models.TextField("条文")
    met_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "期限"
        verbose_name_plural = verbose_name
        ordering = ["due_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "kind", "subject"], name="one_deadline_per_case_kind_subject"
            )
        ]

    @property
    def citation_label(self) -> str:
        """《规定标题》第X条, for people (``article`` keeps the regulation's file name)."""
        from quanlu.rulebooks.loader import get_rulebook

        article = self.article.split(" ")[-1]
        try:
            return f"《{get_rulebook(self.rulebook_id).title}》{article}"
        except KeyError:
            return self.article

    def level(self, now: dt.datetime) -> str:
        if self.met_at is not None:
            return AlertLevel.RED if self.met_at > self.due_at else AlertLevel.NONE
        if now > self.due_at:
            return AlertLevel.RED
        if now >= self.warn_at:
            return AlertLevel.YELLOW
        return AlertLevel.NONE

    def status_label(self, now: dt.datetime) -> str:
        if self.met_at is not None:
            return "逾期完成" if self.met_at > self.due_at else "按期完成"
        if now > self.due_at:
            return "已逾期"
        if now >= self.warn_at:
            return "即将到期"
        return "未到期"


class Alert(models.Model):
    """A yellow or red alert raised once per deadline and level by the sweep."""

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    deadline = models.ForeignKey(Deadline, on_delete=models.PROTECT, related_name="alerts")
    level = models.CharField("级别", max_length=8, choices=AlertLevel.choices)
    raised_at = models.DateTimeField("预警时间")

    class Meta:
        verbose_name = "预警"
        verbose_name_plural = verbose_name
        ordering = ["-raised_at"]
        constraints = [
            models.UniqueConstraint(fields=["deadline", "level"], name="one_alert_per_deadline_level")
        ]
