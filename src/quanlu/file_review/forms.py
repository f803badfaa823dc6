from __future__ import annotations

from django import forms

from quanlu.cases.models import EnforcementKind
from quanlu.file_review.models import SamplingMethod


class CampaignForm(forms.Form):
    title = forms.CharField(label="评查活动名称", max_length=200)
    method = forms.ChoiceField(
        label="抽样方式", choices=SamplingMethod.choices, initial=SamplingMethod.RANDOM
    )
    per_agency = forms.IntegerField(
        label="每个机关抽取件数",
        min_value=1,
        max_value=100,
        required=False,
        initial=3,
        help_text="随机抽取必填；按条件抽取时不填则取全部符合条件的案卷。",
    )
    seed = forms.CharField(
        label="随机种子",
        max_length=64,
        required=False,
        help_text="不填由系统生成并记录；同一种子对同样的案卷抽取结果相同，可复核。",
    )
    agencies = forms.MultipleChoiceField(
        label="被评查机关（不选则为全部下级机关）", required=False, widget=forms.CheckboxSelectMultiple
    )
    kind = forms.ChoiceField(
        label="执法类别", choices=[("", "不限"), *EnforcementKind.choices], required=False
    )
    opened_from = forms.DateField(
        label="登记日期自", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    opened_to = forms.DateField(
        label="登记日期至", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    only_breached = forms.BooleanField(label="仅抽取规则检查存在不符合的案卷", required=False)


class SheetForm(forms.Form):
    content = forms.FileField(label="评查标准文件（YAML 或 JSON，格式同默认评查标准）")


class CloseForm(forms.Form):
    conclusion = forms.CharField(label="评查结论", widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class ReviewOrderForm(forms.Form):
    agency = forms.ChoiceField(label="被责令整改机关")
    items = forms.MultipleChoiceField(label="整改所依据的扣分项目", widget=forms.CheckboxSelectMultiple)
    requirements = forms.CharField(
        label="整改要求", widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )
    due_at = forms.DateTimeField(
        label="整改期限",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="规定「责令限期整改」的，必须填写。",
    )
