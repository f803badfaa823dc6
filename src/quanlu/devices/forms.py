"""Forms parse and convert; the services decide what is valid."""

from __future__ import annotations

from django import forms

from quanlu.devices.models import Capability, DeviceKind, IncidentKind, ReturnCondition
from quanlu.org.models import Officer


class RegisterForm(forms.Form):
    kind = forms.ChoiceField(label="设备类别", choices=DeviceKind.choices)
    purpose = forms.CharField(label="执法用途", max_length=200, initial="现场执法音像记录")
    device_no = forms.CharField(label="设备编号（留空自动编号）", max_length=40, required=False)
    brand_model = forms.CharField(label="品牌型号", max_length=100, required=False)
    serial_no = forms.CharField(label="出厂序列号", max_length=64, required=False)
    capabilities = forms.MultipleChoiceField(
        label="特殊功能", choices=Capability.choices, required=False, widget=forms.CheckboxSelectMultiple
    )


class CheckoutForm(forms.Form):
    officer: forms.ModelChoiceField = forms.ModelChoiceField(
        label="领用人", queryset=Officer.objects.none(), to_field_name="public_id"
    )
    battery_percent = forms.IntegerField(label="电池电量（%）", min_value=0, max_value=100)
    storage_free_mb = forms.IntegerField(label="剩余存储空间（MB）", min_value=0)
    purpose = forms.CharField(label="用途", max_length=200, required=False)

    def __init__(self, *args: object, officers: object = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["officer"].queryset = officers  # type: ignore[attr-defined]


class ReturnForm(forms.Form):
    condition = forms.ChoiceField(label="验收情况", choices=ReturnCondition.choices)
    battery_percent = forms.IntegerField(label="电池电量（%）", min_value=0, max_value=100, required=False)
    storage_free_mb = forms.IntegerField(label="剩余存储空间（MB）", min_value=0, required=False)
    note = forms.CharField(
        label="说明", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, required=False
    )


class IncidentForm(forms.Form):
    kind = forms.ChoiceField(label="事项", choices=IncidentKind.choices)
    description = forms.CharField(label="情况说明", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    repairer = forms.CharField(label="维修单位", max_length=100, required=False)
