"""Server-rendered pages in Chinese. Views parse, authorise, call one service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from quanlu.access.redaction import events_for, results_for
from quanlu.access.selectors import content_view
from quanlu.cases import selectors as cs
from quanlu.cases import services
from quanlu.cases.gates import rulebook_for
from quanlu.cases.models import (
    STAGE_ORDER,
    ApprovalGate,
    Complaint,
    ComplaintStatus,
    InitiationMode,
    SignatureMethod,
    Stage,
    StepRole,
)
from quanlu.core.errors import DomainError
from quanlu.core.validation import parse_uuid
from quanlu.org.models import Officer, Role
from quanlu.org.selectors import visible_agencies
from quanlu.rulebooks.evaluator import evaluate, next_steps
from quanlu.rulebooks.providers import gather
from quanlu.supervision.compliance import cases_unmet
from quanlu.supervision.dashboards import period_parse
from quanlu.supervision.selectors import alerts_for
from quanlu.web import forms as f
from quanlu.web.fixes import finding_rows
from quanlu.web.pages import attempt, case_or_404, current_officer, form_errors, or_404, password_ok
from quanlu.web.todo import todo_for

# ---------------------------------------------------------------- pages


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    officer = current_officer(request)
    handler = officer.has_role(Role.HANDLER)
    groups = todo_for(officer)
    return render(
        request,
        "web/dashboard.html",
        {
            "todo": groups,
            "todo_total": sum(len(g.items) for g in groups),
            "handler": handler,
            "supervisor": officer.has_role(Role.SUPERVISOR),
            "my_cases": cs.case_list_for(officer)
            .filter(lead_officer=officer)
            .exclude(stage=Stage.CLOSED)[:20]
            if handler
            else [],
            "can_open": _can_open(officer),
            "agencies": visible_agencies(officer).order_by("path"),
            "alerts": alerts_for(officer).filter(deadline__met_at__isnull=True)[:20],
        },
    )


def _can_open(officer: Officer) -> bool:
    """Whether to offer 登记新案件: to handlers of an enforcement agency."""
    return officer.has_role(Role.HANDLER) and officer.agency is not None and not officer.agency.is_justice


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    officer = current_officer(request)
    stage = request.GET.get("stage") or None
    if stage not in (None, *STAGE_ORDER):
        stage = None
    query = (request.GET.get("q") or "")[:100]
    # A dashboard's drill-down: one agency's cases started within a period.
    agency = (
        or_404(lambda: cs.visible_agency_get(officer, request.GET["agency"]))
        if request.GET.get("agency")
        else None
    )
    started = None
    if request.GET.get("since") and request.GET.get("until"):
        try:
            period = period_parse({**request.GET.dict(), "period": "custom"})
            started = (period.since, period.until)
        except DomainError as exc:
            messages.error(request, f"{exc.message}已列出全部期间的案件。")
    cases = cs.case_list_for(officer, stage=stage, query=query, agency=agency, started=started)
    # A dashboard's drill-down from a rule: the cases whose check finds it not kept.
    rule = (request.GET.get("rule") or "")[:64]
    if rule:
        cases = cases.filter(pk__in=cases_unmet(rule))
    return render(
        request,
        "web/case_list.html",
        {
            "cases": cases[:200],
            "stage": stage,
            "q": query,
            "agency": agency,
            "started": started,
            "rule": rule,
            "drill": {k: request.GET[k] for k in ("agency", "since", "until", "rule") if request.GET.get(k)},
            "stages": Stage.choices,
            "can_open": _can_open(officer),
        },
    )


@login_required
def case_new(request: HttpRequest) -> HttpResponse:
    officer = current_officer(request)
    form = f.CaseOpenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        case = attempt(form, request, lambda: services.case_open(actor=officer, **form.cleaned_data))
        if case is not None:
            messages.success(request, f"已登记案件 {case.number}。")
            return redirect("web:case", case_id=case.public_id)
    return render(request, "web/case_new.html", {"form": form})


@login_required
def case_detail(request: HttpRequest, case_id: str) -> HttpResponse:
    officer = current_officer(request)
    case = case_or_404(request, case_id)
    now = timezone.now()
    writable = cs.can_write(officer, case)
    approvals = list(case.approvals.select_related("requested_by").prefetch_related("steps__actor"))
    rows = []
    for a in approvals:
        chain = []
        steps = {s.index: s for s in a.steps.all()}
        for i, role in enumerate(a.chain):
            chain.append({"role": StepRole(role).label, "step": steps.get(i)})
        rows.append(
            {
                "approval": a,
                "chain": chain,
                "may_sign": cs.may_sign(officer, a),
                "next_index": len(steps),
                "form": f.DecisionForm(initial={"step_index": len(steps), "opinion": "同意"}),
            }
        )
    stage_index = STAGE_ORDER.index(case.stage)
    # Events and findings may quote marked records: shown as this reader may see them.
    view = content_view(officer, cases=[case])
    facts = gather(case)  # read once: the findings and every next step judge the same facts
    asked_gate = request.GET.get("gate") if request.GET.get("gate") in ApprovalGate.values else ""
    return render(
        request,
        "web/case_detail.html",
        {
            "case": case,
            "writable": writable,
            "stages": [
                (value, label, i < stage_index, i == stage_index)
                for i, (value, label) in enumerate(Stage.choices)
            ],
            "parties": case.parties.all(),
            "approvals": rows,
            "deadlines": [(d, d.level(now), d.status_label(now)) for d in case.deadlines.all()],
            "timeline": events_for(view, cs.case_timeline(case)),
            "party_form": f.PartyForm(),
            # A finding's link names the gate it lacks (?gate=): the form opens on it.
            "approval_form": f.ApprovalRequestForm(
                initial={"gate": asked_gate or _suggested_gate(case.stage)}
            ),
            "asked_gate": asked_gate,
            "application_form": f.ApplicationEventForm()
            if case.initiation_mode == InitiationMode.ON_APPLICATION
            else None,
            "application_events": case.application_events.select_related("recorder"),
            "act_end": case.act_ends.filter(replaced_by__isnull=True).select_related("replaces").first(),
            "act_end_form": f.ActEndForm(initial={"ended_on": timezone.localdate()}),
            "complaint": getattr(case, "complaint", None),
            "rulebook": rulebook_for(case),
            "facts": facts,
            "compliance": results_for(view, evaluate(facts)),
            "moves": _moves(case, facts, view) if writable else [],
        },
    )


def _moves(case: Any, facts: Any, view: Any) -> list[dict[str, Any]]:
    """Each move allowed from here with what blocks it (each reason once, with its fix):
    the button is disabled while the list is not empty."""
    transitions = dict(services.allowed_transitions(case.stage, case))
    return [
        {
            "to": to,
            "transition": transitions[to],
            "blocking": finding_rows(str(case.public_id), results_for(view, blocking), facts),
        }
        for to, _, blocking in next_steps(facts, transitions.items())
    ]


def _suggested_gate(stage: str) -> str:
    return {
        Stage.INITIATION: ApprovalGate.INITIATION,
        Stage.INVESTIGATION: ApprovalGate.INITIATION,
        Stage.DECISION: ApprovalGate.DECISION,
        Stage.EXECUTION: ApprovalGate.ENFORCEMENT,
        Stage.ARCHIVING: ApprovalGate.CLOSING,
    }.get(Stage(stage), ApprovalGate.DECISION)


def _back(case: Any) -> HttpResponse:
    return redirect("web:case", case_id=case.public_id)


@login_required
@require_POST
def party_add(request: HttpRequest, case_id: str) -> HttpResponse:
    officer = current_officer(request)
    case = case_or_404(request, case_id)
    form = f.PartyForm(request.POST)
    if (
        form.is_valid()
        and attempt(form, request, lambda: services.party_add(actor=officer, case=case, **form.cleaned_data))
        is not None
    ):
        messages.success(request, "已登记当事人。")
        return _back(case)
    form_errors(request, form)
    return _back(case)


@login_required
@require_POST
def approval_request(request: HttpRequest, case_id: str) -> HttpResponse:
    officer = current_officer(request)
    case = case_or_404(request, case_id)
    form = f.ApprovalRequestForm(request.POST)
    if (
        form.is_valid()
        and attempt(
            form, request, lambda: services.approval_request(actor=officer, case=case, **form.cleaned_data)
        )
        is not None
    ):
        messages.success(request, "已提请审批。")
        return _back(case)
    form_errors(request, form)
    return _back(case)


@login_required
@require_POST
def approval_decide(request: HttpRequest, approval_id: str) -> HttpResponse:
    officer = current_officer(request)
    approval = or_404(lambda: cs.approval_get_for(officer, approval_id))
    form = f.DecisionForm(request.POST)
    if not form.is_valid():
        form_errors(request, form)
        return _back(approval.case)
    if not password_ok(request, form.cleaned_data["password"]):
        return _back(approval.case)
    service = (
        services.approval_grant if form.cleaned_data["decision"] == "grant" else services.approval_reject
    )
    step = attempt(
        None,
        request,
        lambda: service(
            actor=officer,
            approval=approval,
            opinion=form.cleaned_data["opinion"],
            signature_method=SignatureMethod.PASSWORD,
            step_index=form.cleaned_data["step_index"],
        ),
    )
    if step is not None:
        messages.success(request, f"已签署：{step.get_role_display()}{step.get_outcome_display()}。")
    return _back(approval.case)


@login_required
@require_POST
def case_advance(request: HttpRequest, case_id: str) -> HttpResponse:
    officer = current_officer(request)
    case = case_or_404(request, case_id)
    form = f.AdvanceForm(request.POST)
    if form.is_valid():
        done = attempt(
            None, request, lambda: services.case_advance(actor=officer, case=case, **form.cleaned_data)
        )
        if done is not None:
            messages.success(request, f"案件已进入「{Stage(done.to_stage).label}」阶段。")
    else:
        form_errors(request, form)
    return _back(case)


@login_required
@require_POST
def act_end(request: HttpRequest, case_id: str) -> HttpResponse:
    officer = current_officer(request)
    case = case_or_404(request, case_id)
    form = f.ActEndForm(request.POST)
    if form.is_valid():
        done = attempt(
            None, request, lambda: services.case_act_end(actor=officer, case=case, **form.cleaned_data)
        )
        if done is not None:
            messages.success(
                request, f"已记录执法行为终结：{done.ended_on:%Y-%m-%d}（{done.get_kind_display()}）。"
            )
    else:
        form_errors(request, form)
    return _back(case)


@login_required
@require_POST
def application_event(request: HttpRequest, case_id: str) -> HttpResponse:
    officer = current_officer(request)
    case = case_or_404(request, case_id)
    form = f.ApplicationEventForm(request.POST)
    if form.is_valid():
        items = [line.strip() for line in form.cleaned_data["items"].splitlines() if line.strip()]
        done = attempt(
            None,
            request,
            lambda: services.application_event_record(
                actor=officer,
                case=case,
                kind=form.cleaned_data["kind"],
                detail=form.cleaned_data["detail"],
                items=items,
            ),
        )
        if done is not None:
            messages.success(request, f"已记录：{done.get_kind_display()}。")
    else:
        form_errors(request, form)
    return _back(case)


# ---------------------------------------------------------------- complaints


def _complaints_for(officer: Officer) -> Any:
    return Complaint.objects.filter(agency__in=visible_agencies(officer)).select_related(
        "agency", "case", "recorder"
    )


@login_required
def complaint_list(request: HttpRequest) -> HttpResponse:
    officer = current_officer(request)
    form = f.ComplaintForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        complaint = attempt(
            form, request, lambda: services.complaint_register(actor=officer, **form.cleaned_data)
        )
        if complaint is not None:
            messages.success(request, "已登记投诉举报。")
            return redirect("web:complaint", complaint_id=complaint.public_id)
    return render(
        request,
        "web/complaint_list.html",
        {
            "complaints": _complaints_for(officer)[:200],
            "form": form,
            "can_register": officer.agency is not None and not officer.agency.is_justice,
        },
    )


@login_required
def complaint_detail(request: HttpRequest, complaint_id: str) -> HttpResponse:
    officer = current_officer(request)
    try:
        complaint = _complaints_for(officer).get(public_id=parse_uuid(complaint_id))
    except (Complaint.DoesNotExist, DomainError) as exc:
        raise Http404("未找到") from exc
    decline = f.ComplaintDeclineForm(request.POST if request.POST.get("action") == "decline" else None)
    initiate = f.ComplaintInitiateForm(request.POST if request.POST.get("action") == "initiate" else None)
    if (
        request.method == "POST"
        and decline.is_bound
        and decline.is_valid()
        and attempt(
            decline,
            request,
            lambda: services.complaint_decline(actor=officer, complaint=complaint, **decline.cleaned_data),
        )
        is not None
    ):
        messages.success(request, "已记录不启动执法程序的决定。")
        return redirect("web:complaint", complaint_id=complaint.public_id)
    if request.method == "POST" and initiate.is_bound and initiate.is_valid():
        case = attempt(
            initiate,
            request,
            lambda: services.complaint_initiate(actor=officer, complaint=complaint, **initiate.cleaned_data),
        )
        if case is not None:
            messages.success(request, f"已启动执法程序，案号 {case.number}。")
            return redirect("web:case", case_id=case.public_id)
    return render(
        request,
        "web/complaint_detail.html",
        {
            "complaint": complaint,
            "decline": decline,
            "initiate": initiate,
            "writable": officer.agency_id == complaint.agency_id
            and complaint.status == ComplaintStatus.RECEIVED,
        },
    )
