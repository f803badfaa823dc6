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


class FilingForm(forms.Form):
    document_number = forms.CharField(label="报备文号", max_length=100, help_text="例如：遵环〔2026〕5号")
    attachment = forms.FileField(
        label="报备文本（盖章扫描件，PDF）", required=False, help_text="不超过 20 MB。"
    )


class FilingDecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        label="审查结论", choices=[("acknowledged", "予以备案"), ("returned", "退回")]
    )
    reason = forms.CharField(
        label="意见（退回须写明理由）",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
    )


class LiabilityForm(forms.Form):
    agency = forms.ChoiceField(label="涉及机关")
    ground = forms.ChoiceField(label="违反情形（按该机关适用规定所列）")
    facts = forms.CharField(label="违法事实", widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
    cases = forms.CharField(
        label="涉及案件（案号，每行一个，可不填）", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class LiabilityEntryForm(forms.Form):
    kind = forms.ChoiceField(label="类别", choices=[("decision", "处理决定"), ("closure", "结案")])
    text = forms.CharField(label="内容", widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
