"""Exemptions: what a rulebook lets a step go without, recorded with the reason.

A regulation that asks for audio-visual recording of a step may let it go where
recording is unsuitable (不适宜音像记录的除外), and one (004 第十四条) asks that the
reason be written down. An exemption is a record of its own, ledgered, never
changed; the rule kinds decide whether their rulebook honours it.
"""

from __future__ import annotations

import uuid

from django.db import models

from quanlu.cases.models import Case
from quanlu.org.models import Officer
from quanlu.rulebooks.kinds import AV_ACTIVITIES


class ExemptionKind(models.TextChoices):
    UNSUITABLE = "unsuitable", "不适宜音像记录"
    # "采用音像记录等方式记录送达过程": the step was recorded by other means.
    EQUIVALENT_MEANS = "equivalent_means", "以音像记录以外的其他方式记录"


class Exemption(models.Model):
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
        verbose_name = "音像记录除外情形"
        verbose_name_plural = verbose_name
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_activity_display()}：{self.get_kind_display()}"
