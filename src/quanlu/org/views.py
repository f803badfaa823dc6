"""Administration pages: the agency's document settings, its officers (certificates,
roles, deactivation, password reset, unlock), API tokens and the bulk import. Only
administrators (403 for others); an officer of an agency they do not administer is a 404."""

from __future__ import annotations

import base64
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from quanlu.core.errors import DomainError
from quanlu.org import forms as f
from quanlu.org import selectors, services, spreadsheet
from quanlu.org.models import Agency, ApiToken, Officer, Region, Role
from quanlu.org.permissions import administers, is_administrator
from quanlu.web.pages import attempt, current_officer, form_errors

# The uploaded file waits in the session between the dry run and the confirmation.
_IMPORT_KEY = "org_import"
_IMPORT_MAX_BYTES = 2 * 1024 * 1024


def _admin(request: HttpRequest) -> tuple[Officer, Agency]:
    officer = current_officer(request)
    if not is_administrator(officer) or officer.agency is None:
        raise PermissionDenied("只有系统管理员可以进入机构管理。")
    return officer, officer.agency


def _officer_or_404(actor: Officer, officer_id: str) -> Officer:
    found = Officer.objects.select_related("agency").filter(public_id=_uuid(officer_id)).first()
    if found is None or found.agency is None or not administers(actor, found.agency):
        raise Http404("未找到该人员，或您无权查看。")
    return found


def _uuid(value: str) -> uuid.UUID:
    """A malformed id finds nothing (a 404), like an unknown one."""
    try:
        return uuid.UUID(value)
    except ValueError:
        return uuid.UUID(int=0)


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    actor, agency = _admin(request)
    current = services.agency_settings_current(agency)
    initial = (
        {"document_name": current.document_name, "case_number_pattern": current.case_number_pattern}
        if current
        else {"document_name": agency.name, "case_number_pattern": f"{agency.case_prefix}〔YYYY〕N号"}
    )
    form = f.SettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        done = attempt(
            form,
            request,
            lambda: services.agency_settings_set(actor=actor, agency=agency, **form.cleaned_data),
        )
        if done is not None:
            messages.success(request, f"已保存文书设置（第 {done.version} 版）。")
            return redirect("org:settings")
    return render(
        request,
        "org/settings.html",
        {
            "agency": agency,
            "current": current,
            "versions": agency.settings_versions.order_by("-version")[:20],
            "form": form,
            "subordinates": Agency.objects.filter(parent=agency).order_by("name"),
        },
    )


@login_required
def officer_list(request: HttpRequest) -> HttpResponse:
    actor, agency = _admin(request)
    form = f.OfficerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        created = attempt(
            form,
            request,
            lambda: services.officer_create(
                actor=actor,
                agency=agency,
                username=data["username"],
                full_name=data["full_name"],
                id_number=data["id_number"],
                password=data["password"],
                roles=data["roles"],
                role_reason="新增人员",
                must_change_password=True,
            ),
        )
        if created is not None:
            messages.success(request, f"已新增人员 {created.full_name}。")
            return redirect("org:officer", officer_id=created.public_id)
    alerts = {a.officer.pk: a for a in selectors.certificate_alerts(agency)}
    officers = (
        Officer.objects.filter(agency=agency)
        .prefetch_related("role_grants")
        .order_by("-is_active", "username")
    )
    rows = [(o, alerts.get(o.pk)) for o in officers]
    return render(
        request,
        "org/officer_list.html",
        {"agency": agency, "rows": rows, "alerts": list(alerts.values()), "form": form},
    )


@login_required
def officer_detail(request: HttpRequest, officer_id: str) -> HttpResponse:
    actor, _ = _admin(request)
    officer = _officer_or_404(actor, officer_id)
    return render(
        request,
        "org/officer_detail.html",
        {
            "person": officer,
            "alert": selectors.certificate_alert(officer),
            "certificates": officer.certificates.order_by("-created_at", "-pk"),
            "grants": officer.role_grants.order_by("-granted_at"),
            "locked_until": services.lock_in_force(officer.username),
            "tokens": ApiToken.objects.filter(officer=officer).order_by("revoked_at", "-created_at"),
            "certificate_form": f.CertificateForm(
                initial={"issuing_authority": officer.agency.name if officer.agency else ""}
            ),
            "role_form": f.RoleForm(),
            "revoke_form": f.ReasonForm(),
            "reset_form": f.ResetForm(),
            "status_form": f.CertificateStatusForm(),
            "roles": Role.choices,
        },
    )


def _officer_action(
    request: HttpRequest, officer_id: str, form_class: Any, call: Any, done: str
) -> HttpResponse:
    actor, _ = _admin(request)
    officer = _officer_or_404(actor, officer_id)
    form = form_class(request.POST)
    if not form.is_valid():
        form_errors(request, form)
    elif attempt(None, request, lambda: call(actor, officer, form.cleaned_data)) is not None:
        messages.success(request, done)
    return redirect("org:officer", officer_id=officer.public_id)


@login_required
@require_POST
def certificate_add(request: HttpRequest, officer_id: str) -> HttpResponse:
    return _officer_action(
        request,
        officer_id,
        f.CertificateForm,
        lambda actor, o, d: services.certificate_record(actor=actor, officer=o, **d),
        "已登记执法证件。",
    )


@login_required
@require_POST
def certificate_status(request: HttpRequest, officer_id: str) -> HttpResponse:
    return _officer_action(
        request,
        officer_id,
        f.CertificateStatusForm,
        lambda actor, o, d: services.certificate_set_status(
            actor=actor, officer=o, status=d["status"], reason=d["reason"]
        ),
        "已变更执法证件状态。",
    )


@login_required
@require_POST
def role_grant(request: HttpRequest, officer_id: str) -> HttpResponse:
    return _officer_action(
        request,
        officer_id,
        f.RoleForm,
        lambda actor, o, d: services.role_grant(actor=actor, officer=o, role=d["role"], reason=d["reason"]),
        "已授予角色。",
    )


@login_required
@require_POST
def role_revoke(request: HttpRequest, officer_id: str) -> HttpResponse:
    return _officer_action(
        request,
        officer_id,
        f.RoleForm,
        lambda actor, o, d: services.role_revoke(actor=actor, officer=o, role=d["role"], reason=d["reason"]),
        "已撤销角色。",
    )


@login_required
@require_POST
def officer_deactivate(request: HttpRequest, officer_id: str) -> HttpResponse:
    return _officer_action(
        request,
        officer_id,
        f.ReasonForm,
        lambda actor, o, d: services.officer_deactivate(actor=actor, officer=o, reason=d["reason"]),
        "已停用该人员账号。",
    )


@login_required
@require_POST
def password_reset(request: HttpRequest, officer_id: str) -> HttpResponse:
    return _officer_action(
        request,
        officer_id,
        f.ResetForm,
        lambda actor, o, d: services.officer_password_reset(actor=actor, officer=o, password=d["password"]),
        "已重置密码，该人员下次登录时须修改密码。",
    )


@login_required
@require_POST
def account_unlock(request: HttpRequest, officer_id: str) -> HttpResponse:
    return _officer_action(
        request,
        officer_id,
        f.ReasonForm,
        lambda actor, o, d: services.account_unlock(actor=actor, officer=o, reason=d["reason"]),
        "已解除账号锁定。",
    )


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    _, agency = _admin(request)
    return render(
        request, "org/token_list.html", {"agency": agency, "tokens": selectors.tokens_of_agency(agency)}
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: str) -> HttpResponse:
    actor, _ = _admin(request)
    token = ApiToken.objects.select_related("officer__agency").filter(public_id=_uuid(token_id)).first()
    if token is None or token.officer.agency is None or not administers(actor, token.officer.agency):
        raise Http404("未找到该令牌，或您无权查看。")
    if attempt(None, request, lambda: services.api_token_revoke(actor=actor, token=token)) is not None:
        messages.success(request, "已吊销令牌。")
    return redirect("org:tokens")


@login_required
def import_page(request: HttpRequest) -> HttpResponse:
    """Upload → dry run (every row's errors) → confirm (all or nothing)."""
    actor, agency = _admin(request)
    form = f.ImportForm(request.POST or None, request.FILES or None)
    report = None
    pending = request.session.get(_IMPORT_KEY)
    if request.method == "POST" and "confirm" in request.POST and pending:
        data = base64.b64decode(pending["data"])
        report = _run_import(request, actor, data, pending["name"], dry_run=False)
        if report is not None and report.committed:
            del request.session[_IMPORT_KEY]
            messages.success(request, f"已导入 {report.agencies} 个机关、{report.officers} 名人员。")
            return redirect("org:officers")
        form = f.ImportForm()
    elif request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > _IMPORT_MAX_BYTES:
            form.add_error("file", "文件超过 2 MB，请分批导入或使用命令 quanlu org import。")
        else:
            data = upload.read()
            report = _run_import(request, actor, data, upload.name, dry_run=True)
            if report is not None and report.ok:
                request.session[_IMPORT_KEY] = {"name": upload.name, "data": base64.b64encode(data).decode()}
            else:
                request.session.pop(_IMPORT_KEY, None)
    return render(
        request,
        "org/import.html",
        {"agency": agency, "form": form, "report": report, "pending": request.session.get(_IMPORT_KEY)},
    )


def _run_import(
    request: HttpRequest, actor: Officer, data: bytes, name: str, *, dry_run: bool
) -> services.ImportReport | None:
    try:
        sheets = spreadsheet.read(data, name)
    except DomainError as exc:
        messages.error(request, exc.message)
        return None
    return services.org_import(actor=actor, sheets=sheets, dry_run=dry_run)


@login_required
def export(request: HttpRequest) -> HttpResponse:
    _, agency = _admin(request)
    agencies, officers = selectors.export_rows(agency)
    response = HttpResponse(
        spreadsheet.write_xlsx(agencies, officers),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = "attachment; filename*=UTF-8''org-export.xlsx"
    return response


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    officer = current_officer(request)
    form = f.PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = attempt(
            form,
            request,
            lambda: services.officer_password_change(
                actor=officer,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
            ),
        )
        if done is not None:
            update_session_auth_hash(request, done)
            messages.success(request, "密码已修改。")
            return redirect("web:dashboard")
    return render(request, "org/password_change.html", {"form": form, "forced": officer.must_change_password})


# ---------------------------------------------------------------- agencies


def _tree(agency: Agency) -> list[Agency]:
    """The agency and every agency below it, parents before children."""
    return list(Agency.objects.filter(path__startswith=agency.path).select_related("region").order_by("path"))


def _agency_or_404(actor: Officer, agency_id: str) -> Agency:
    found = Agency.objects.select_related("region", "parent").filter(public_id=_uuid(agency_id)).first()
    if found is None or not administers(actor, found):
        raise Http404("未找到该机关，或您无权查看。")
    return found


@login_required
def agency_list(request: HttpRequest) -> HttpResponse:
    """The administrator's agency and those below it; a new subordinate under any of them."""
    actor, agency = _admin(request)
    tree = _tree(agency)
    regions = list(Region.objects.filter(path__startswith=agency.region.path).order_by("path"))
    form = f.SubordinateForm(
        request.POST or None,
        parents=tree,
        regions=regions,
        initial={"region": agency.region.code, "rulebook_id": agency.rulebook_id},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        parent = next(a for a in tree if str(a.public_id) == d["parent"])
        region = next(r for r in regions if r.code == d["region"])
        made = attempt(
            form,
            request,
            lambda: services.agency_create(
                actor=actor,
                parent=parent,
                region=region,
                code=d["code"],
                name=d["name"],
                kind=d["kind"],
                level=d["level"],
                rulebook_id=d["rulebook_id"],
                case_prefix=d["case_prefix"],
                uscc=d["uscc"],
            ),
        )
        if made is not None:
            messages.success(request, f"已登记下级机关 {made.name}。")
            return redirect("org:agency", agency_id=made.public_id)
    top = agency.path.count("/")
    # A subordinate's └, after a full-width space per level below the first.
    rows = [(a, "\u3000" * (depth - 1) + "└ " if (depth := a.path.count("/") - top) else "") for a in tree]
    return render(request, "org/agency_list.html", {"agency": agency, "rows": rows, "form": form})


@login_required
def agency_detail(request: HttpRequest, agency_id: str) -> HttpResponse:
    actor, own = _admin(request)
    target = _agency_or_404(actor, agency_id)
    return render(
        request,
        "org/agency_detail.html",
        {
            "agency": own,
            "target": target,
            "children": Agency.objects.filter(parent=target).order_by("name"),
            "officers": Officer.objects.filter(agency=target).order_by("-is_active", "username"),
            "move_form": _move_form(actor, own, target),
        },
    )


def _move_form(actor: Officer, own: Agency, target: Agency, data: Any = None) -> f.MoveForm | None:
    """Only agencies below the administrator's own move, and only within its tree, never
    under themselves or their own subordinates (a cycle)."""
    if target.pk == own.pk and not actor.is_superuser:
        return None
    parents = [a for a in _tree(own) if not a.path.startswith(target.path)]
    return f.MoveForm(
        data, parents=parents, initial={"parent": str(target.parent.public_id) if target.parent else ""}
    )


@login_required
@require_POST
def agency_move(request: HttpRequest, agency_id: str) -> HttpResponse:
    actor, own = _admin(request)
    target = _agency_or_404(actor, agency_id)
    form = _move_form(actor, own, target, request.POST)
    if form is None:
        messages.error(request, "不能调整本机关的隶属关系，请联系上级机关的系统管理员。")
    elif not form.is_valid():
        form_errors(request, form)
    else:
        parent = Agency.objects.get(public_id=form.cleaned_data["parent"])
        reason = form.cleaned_data["reason"]
        moved = attempt(
            None,
            request,
            lambda: services.agency_move(actor=actor, agency=target, parent=parent, reason=reason),
        )
        if moved is not None:
            messages.success(request, f"已将 {target.name} 调整至 {parent.name} 之下。")
    return redirect("org:agency", agency_id=target.public_id)
