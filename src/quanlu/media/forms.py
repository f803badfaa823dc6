"""Forms parse and convert; the services decide what is valid."""

from __future__ import annotations

from django import forms

from quanlu.cases.models import Stage
from quanlu.media.models import DelayReason, ExplanationForm, InterruptionReason


class LinkForm(forms.Form):
    stage = forms.ChoiceField(label="阶段", choices=[("", "—"), *Stage.choices], required=False)
    step_label = forms.CharField(
        label="执法环节（如：现场检查 11月12日上午）", max_length=200, required=False
    )
    document_uid = forms.UUIDField(label="对应文字记录标识（可选）", required=False)
    note = forms.CharField(label="说明", max_length=500, required=False)


class InterruptionForm(forms.Form):
    reason = forms.ChoiceField(label="中断原因", choices=InterruptionReason.choices)
    detail = forms.CharField(label="情况说明", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    form = forms.ChoiceField(label="说明方式", choices=ExplanationForm.choices, widget=forms.RadioSelect)
    spoken_at_second = forms.IntegerField(
        label="语音说明在恢复后录像的第几秒（可选）", min_value=0, required=False
    )
    statement = forms.CharField(
        label="书面说明（无法继续记录时，现场执法结束后填写）",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        required=False,
    )


DELAY_CHOICES = [("", "无（按期上传）"), *DelayReason.choices]
