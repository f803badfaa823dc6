from __future__ import annotations

from django import forms


class OrderForm(forms.Form):
    agency = forms.ChoiceField(label="被责令整改机关")
    findings = forms.CharField(label="发现的问题", widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
    requirements = forms.CharField(
        label="整改要求", widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )
    due_at = forms.DateTimeField(
        label="整改期限",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="规定「责令限期整改」的，必须填写。",
    )
    cases = forms.CharField(
        label="涉及案件（案号，每行一个，可不填）", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    with_rule_findings = forms.BooleanField(
        label="附上所涉案件的规则检查发现及条文", required=False, initial=True
    )


class ResponseForm(forms.Form):
    measures = forms.CharField(
        label="整改措施及结果", widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
    )


class ReviewForm(forms.Form):
    opinion = forms.CharField(
        label="验收意见", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, required=False
    )
