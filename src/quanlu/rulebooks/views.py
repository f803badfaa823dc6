"""The exemption form's handler (parse, authorise, call one service, redirect).
Outsiders get 404; supervisors see the case and may not write (403)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from quanlu.cases import selectors as cs
from quanlu.core.errors import DomainError, NotFound
from quanlu.org.models import Officer
from quanlu.records.selectors import documents_of_case
from quanlu.rulebooks import services
from quanlu.rulebooks.forms import ExemptionForm
from quanlu.rulebooks.loader import get_rulebook


@login_required
@require_POST
def exemption_new(request: HttpRequest, case_id: str) -> HttpResponse:
    officer = request.user
    assert isinstance(officer, Officer)
    try:
        case = cs.case_get_for(officer, case_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if not cs.can_write(officer, case):
        raise DjangoPermissionDenied("您以监督身份查看本案，仅可查阅，不能记录除外情形。")
    back = redirect(f"/cases/{case.public_id}/#exemptions")
    form = ExemptionForm(request.POST, documents=list(documents_of_case(case)))
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            text = "；".join(str(e) for e in errors)
            messages.error(request, f"{label}：{text}" if label else text)
        return back
    data = form.cleaned_data
    try:
        services.exemption_record(
            actor=officer,
            case=case,
            kind=data["kind"],
            activity=data["activity"],
            document=data["document"],
            reason=data["reason"],
            written_reason=data["written_reason"] or None,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        for d in exc.details:
            if d.get("article"):
                article = str(d["article"]).split(" ")[-1]
                messages.warning(
                    request, f"依据：《{get_rulebook(d['rulebook']).title}》{article}「{d['quote']}」"
                )
        return back
    messages.success(request, "已记录音像记录除外情形。")
    return back
