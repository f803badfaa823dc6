"""Forms parse and convert; the services decide what is valid."""

from __future__ import annotations

from django import forms

from quanlu.cases.models import (
    ActEndKind,
    ApplicationEventKind,
    ApprovalGate,
    CaseSource,
    EnforcementKind,
    IdType,
    InitiationMode,
    PartyKind,
    Procedure,
)
from quanlu.web.pages import TokenForm


class CaseOpenForm(TokenForm):
    cause = forms.CharField(label="案由", max_length=200)
    kind = forms.ChoiceField(label="执法类别", choices=EnforcementKind.choices)
    procedure = forms.ChoiceField(label="程序", choices=Procedure.choices)
    initiation_mode = forms.ChoiceField(label="启动方式", choices=InitiationMode.choices)
    source = forms.ChoiceField(label="案件来源", choices=CaseSource.choices)
    source_detail = forms.CharField(label="来源说明", max_length=500, required=False)
    reason = forms.CharField(label="启动原因", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    summary = forms.CharField(
        label="基本案情", widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000
    )
    is_major = forms.BooleanField(label="重大行政执法决定（须法制审核）", required=False)
    emergency = forms.BooleanField(label="情况紧急，先行启动（事后补报审批）", required=False)
    emergency_reason = forms.CharField(
        label="紧急情况说明", widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000
    )


class PartyForm(TokenForm):
    kind = forms.ChoiceField(label="当事人类别", choices=PartyKind.choices)
    name = forms.CharField(label="名称或姓名", max_length=200)
    id_type = forms.ChoiceField(label="证件类型", choices=IdType.choices)
    id_number = forms.CharField(label="证件号码", max_length=64)
    legal_representative = forms.CharField(label="法定代表人（负责人）", max_length=64, required=False)
    address = forms.CharField(label="住所（地址）", max_length=300, required=False)
    phone = forms.CharField(label="联系电话", max_length=32, required=False)


class ApprovalRequestForm(TokenForm):
    gate = forms.ChoiceField(label="审批事项", choices=ApprovalGate.choices)
    opinion = forms.CharField(label="承办人意见", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    reasons = forms.CharField(label="理由", widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("grant", "同意"), ("reject", "退回")])
    opinion = forms.CharField(label="意见", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    password = forms.CharField(label="签名确认（请输入登录密码）", widget=forms.PasswordInput, max_length=128)
    step_index = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=10)


class AdvanceForm(forms.Form):
    to_stage = forms.CharField(max_length=16)
    from_stage = forms.CharField(max_length=16)
    reason = forms.CharField(
        label="理由", widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000
    )


class ComplaintForm(TokenForm):
    named = forms.BooleanField(label="实名投诉、举报", required=False)
    complainant_name = forms.CharField(label="投诉人、举报人姓名", max_length=100, required=False)
    complainant_contact = forms.CharField(label="联系方式", max_length=100, required=False)
    channel = forms.CharField(label="受理渠道", max_length=32, initial="电话")
    content = forms.CharField(
        label="投诉、举报内容", widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
    )


class ComplaintDeclineForm(forms.Form):
    reason = forms.CharField(
        label="不启动执法程序的理由", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    notify_method = forms.CharField(label="告知方式（实名必填）", max_length=32, required=False)
    notify_content = forms.CharField(
        label="告知内容（实名必填）",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
    )


class ComplaintInitiateForm(forms.Form):
    cause = forms.CharField(label="案由", max_length=200)
    kind = forms.ChoiceField(label="执法类别", choices=EnforcementKind.choices)
    procedure = forms.ChoiceField(label="程序", choices=Procedure.choices)
    reason = forms.CharField(label="启动原因", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class ActEndForm(forms.Form):
    ended_on = forms.DateField(
        label="执法行为终结日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    kind = forms.ChoiceField(label="终结情形", choices=ActEndKind.choices)
    note = forms.CharField(
        label="说明", widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000
    )
    reason = forms.CharField(
        label="更正理由（更正已记录的日期时必填）",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
    )


class ApplicationEventForm(forms.Form):
    kind = forms.ChoiceField(label="事项", choices=ApplicationEventKind.choices)
    detail = forms.CharField(
        label="说明", widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000
    )
    items = forms.CharField(
        label="需补正的全部内容（每行一项）",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
    )
