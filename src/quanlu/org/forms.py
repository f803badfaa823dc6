"""Forms of the administration pages and the sign-in form with lockout."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone

from quanlu.org.models import Agency, AgencyKind, AgencyLevel, CertificateStatus, Region, Role
from quanlu.org.services import lock_in_force, login_failure_record
from quanlu.rulebooks.loader import all_rulebooks

GENERIC = "用户名或密码不正确，请重新输入。"


def _locked(until: Any) -> str:
    local = timezone.localtime(until)
    return f"因连续登录失败，该账号已被锁定，请于 {local:%Y-%m-%d %H:%M} 后再试，或联系系统管理员解锁。"


class LoginForm(AuthenticationForm):
    """Django's sign-in, refused while the name is locked, and counting failures. The
    messages are the same whether or not the username exists."""

    error_messages = {"invalid_login": GENERIC, "inactive": GENERIC}

    def clean(self) -> dict[str, Any]:
        username = (self.cleaned_data.get("username") or "").strip()
        if username:
            until = lock_in_force(username)
            if until is not None:
                raise forms.ValidationError(_locked(until), code="locked")
        try:
            return super().clean()
        except forms.ValidationError:
            if username:
                login_failure_record(username=username)
                until = lock_in_force(username)
                if until is not None:
                    raise forms.ValidationError(_locked(until), code="locked") from None
            raise


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label="原密码", widget=forms.PasswordInput)
    new_password = forms.CharField(
        label="新密码", widget=forms.PasswordInput, help_text="至少10位，不能是常见密码或纯数字。"
    )
    new_password2 = forms.CharField(label="再次输入新密码", widget=forms.PasswordInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password") and data.get("new_password") != data.get("new_password2"):
            self.add_error("new_password2", "两次输入的新密码不一致。")
        return data


class SettingsForm(forms.Form):
    document_name = forms.CharField(label="文书上的机关全称", max_length=100)
    case_number_pattern = forms.CharField(label="案号格式", max_length=64, help_text="如：遵环〔YYYY〕N号")
    reason = forms.CharField(label="变更原因", max_length=500, required=False)


class OfficerForm(forms.Form):
    username = forms.CharField(label="用户名", max_length=150)
    full_name = forms.CharField(label="姓名", max_length=64)
    id_number = forms.CharField(label="身份证号码", max_length=18, required=False)
    password = forms.CharField(label="初始密码", widget=forms.PasswordInput, help_text="首次登录须修改。")
    roles = forms.MultipleChoiceField(
        label="角色", choices=Role.choices, widget=forms.CheckboxSelectMultiple, required=False
    )


class CertificateForm(forms.Form):
    number = forms.CharField(label="执法证件编号", max_length=32)
    issuing_authority = forms.CharField(label="发证机关", max_length=100)
    area = forms.CharField(label="执法区域", max_length=100, required=False)
    category = forms.CharField(label="执法类别", max_length=100, required=False)
    valid_from = forms.DateField(
        label="有效期起", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_until = forms.DateField(label="有效期至", widget=forms.DateInput(attrs={"type": "date"}))


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="角色", choices=Role.choices)
    reason = forms.CharField(label="原因", max_length=500)


class ReasonForm(forms.Form):
    reason = forms.CharField(label="原因", max_length=500)


class ResetForm(forms.Form):
    password = forms.CharField(
        label="临时密码", widget=forms.PasswordInput, help_text="该人员下次登录时须修改。"
    )


class ImportForm(forms.Form):
    file = forms.FileField(label="机关和人员表（.xlsx 或 .csv）")


class CertificateStatusForm(forms.Form):
    status = forms.ChoiceField(
        label="处理",
        choices=[
            (CertificateStatus.SUSPENDED.value, "暂扣"),
            (CertificateStatus.REVOKED.value, "吊销（不可恢复）"),
            (CertificateStatus.ACTIVE.value, "恢复有效（解除暂扣）"),
        ],
    )
    reason = forms.CharField(label="原因", max_length=500)


class SubordinateForm(forms.Form):
    """A new agency below one the administrator administers; the choices are filled
    per administrator (their tree, their region and below)."""

    parent = forms.ChoiceField(label="上级机关")
    code = forms.CharField(label="机关代码", max_length=40, help_text="字母、数字、连字符，如 zunyi-env-hb")
    name = forms.CharField(label="名称", max_length=100)
    kind = forms.ChoiceField(label="类别", choices=AgencyKind.choices)
    level = forms.ChoiceField(label="层级", choices=AgencyLevel.choices, initial=AgencyLevel.COUNTY)
    region = forms.ChoiceField(label="行政区划")
    rulebook_id = forms.ChoiceField(label="适用规则集", required=False, help_text="行政执法机关必填。")
    case_prefix = forms.CharField(label="案号前缀", max_length=16, required=False, help_text="如：遵环")
    uscc = forms.CharField(label="统一社会信用代码", max_length=18, required=False)

    def __init__(self, *args: Any, parents: list[Agency], regions: list[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "parent", [(str(a.public_id), a.name) for a in parents])
        _choices(self, "region", [(r.code, f"{r.name}（{r.code}）") for r in regions])
        _choices(
            self,
            "rulebook_id",
            [("", "不适用（司法行政部门、其他监督部门）")]
            + [
                (book_id, f"{versions[-1].title}（{book_id}）")
                for book_id, versions in sorted(all_rulebooks().items())
            ],
        )


class MoveForm(forms.Form):
    parent = forms.ChoiceField(label="新的上级机关")
    reason = forms.CharField(label="原因", max_length=500, help_text="如：机构改革，划归某局管理")

    def __init__(self, *args: Any, parents: list[Agency], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "parent", [(str(a.public_id), a.name) for a in parents])


def _choices(form: forms.Form, name: str, choices: list[tuple[str, str]]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices
