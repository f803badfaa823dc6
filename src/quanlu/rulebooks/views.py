"""The exemption form's handler (parse, authorise, call one service, redirect).
Outsiders get 404; supervisors see the case and may not write (403)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from quanlu.media import services
from quanlu.records.selectors import documents_of_case
from quanlu.rulebooks.forms import ExemptionForm
from quanlu.web.pages import attempt, case_or_404, current_officer, form_errors, require_writer


@login_required
@require_POST
def exemption_new(request: HttpRequest, case_id: str) -> HttpResponse:
    officer = current_officer(request)
    case = case_or_404(request, case_id)
    require_writer(request, case, "您以监督身份查看本案，仅可查阅，不能记录除外情形。")
    back = redirect(f"/cases/{case.public_id}/#exemptions")
    form = ExemptionForm(request.POST, documents=list(documents_of_case(case)))
    if not form.is_valid():
        form_errors(request, form)
        return back
    data = form.cleaned_data
    done = attempt(
        None,
        request,
        lambda: services.exemption_record(
            actor=officer,
            case=case,
            kind=data["kind"],
            activity=data["activity"],
            document=data["document"],
            reason=data["reason"],
            written_reason=data["written_reason"] or None,
        ),
    )
    if done is not None:
        messages.success(request, "已记录音像记录除外情形。")
    return back
