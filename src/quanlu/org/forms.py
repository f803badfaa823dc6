"""Forms of the administration pages and the sign-in form with lockout."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone

from quanlu.org.models import Role
from quanlu.org.services import lock_in_force, login_failure_record

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
