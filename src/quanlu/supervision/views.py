from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from quanlu.cases.models import Case, Stage
from quanlu.core.errors import InvalidInput
from quanlu.org.models import Role
from quanlu.supervision import filing, liability, services
from quanlu.supervision.filing import filing_states_for
from quanlu.supervision.forms import (
    FilingDecisionForm,
    FilingForm,
    LiabilityEntryForm,
    LiabilityForm,
    OrderForm,
    ResponseForm,
    ReviewForm,
)
from quanlu.supervision.models import RectificationStatus
from quanlu.supervision.selectors import (
    agency_overview,
    orderable_agencies,
    rectification_deadline,
    rectification_order_get_for,
    rectification_orders_for,
)
from quanlu.supervision.statistics import compliance_by_article
from quanlu.web.pages import attempt, current_officer, or_404

TOP_ARTICLES = 10


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    officer = current_officer(request)
    return render(
        request,
        "supervision/overview.html",
        {
            "rows": agency_overview(officer),
            "stages": Stage.choices,
            # Which obligations are broken most, and where (one grouped query).
            "top_articles": [r for r in compliance_by_article(officer) if r["unmet"]][:TOP_ARTICLES],
        },
    )


@login_required
def orders(request: HttpRequest) -> HttpResponse:
    """整改通知: the list, and (for supervisors) the form to issue one."""
    officer = current_officer(request)
    own = officer.agency
    form = None
    no_orderable = False
    if own is not None and officer.has_role(Role.SUPERVISOR):
        orderable = {str(a.public_id): (a, rule) for a, rule in orderable_agencies(officer)}
        form = OrderForm(request.POST or None)
        form.fields["agency"].choices = [  # type: ignore[attr-defined]
            (uid, f"{a.name}（依{rule.citation.article}）") for uid, (a, rule) in orderable.items()
        ]
        if not orderable:
            form = None
            no_orderable = True
        elif request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            agency = orderable[data["agency"]][0]

            def issue() -> object:
                numbers = [n.strip() for n in data["cases"].splitlines() if n.strip()]
                found = list(Case.objects.filter(agency=agency, number__in=numbers))
                if len(found) != len(set(numbers)):
                    raise InvalidInput("所列案号中有不属于该机关的案件。", field_name="cases")
                return services.rectification_order_issue(
                    actor=officer,
                    agency=agency,
                    findings=data["findings"],
                    requirements=data["requirements"],
                    due_at=data["due_at"],
                    cases=found,
                    with_rule_findings=data["with_rule_findings"],
                )

            order = attempt(form, request, issue)
            if order is not None:
                return redirect("supervision:order", order.public_id)  # type: ignore[attr-defined]
    return render(
        request,
        "supervision/orders.html",
        {"orders": rectification_orders_for(officer)[:200], "form": form, "no_orderable": no_orderable},
    )


@login_required
def order(request: HttpRequest, order_id: str) -> HttpResponse:
    officer = current_officer(request)
    order = or_404(lambda: rectification_order_get_for(officer, order_id))
    action = request.POST.get("action") if request.method == "POST" else None
    respond_form = ResponseForm(request.POST if action == "respond" else None)
    review_form = ReviewForm(request.POST if action in ("accept", "return") else None)
    done: object = None
    if action == "respond" and respond_form.is_valid():
        measures = respond_form.cleaned_data["measures"]
        done = attempt(
            respond_form,
            request,
            lambda: services.rectification_order_respond(actor=officer, order=order, measures=measures),
        )
    elif action in ("accept", "return") and review_form.is_valid():
        opinion = review_form.cleaned_data["opinion"]
        verb = (
            services.rectification_order_accept if action == "accept" else services.rectification_order_return
        )
        done = attempt(review_form, request, lambda: verb(actor=officer, order=order, opinion=opinion))
    if done is not None:
        return redirect("supervision:order", order.public_id)
    now = timezone.now()
    deadline = rectification_deadline(order)
    status = order.status
    can_respond = (
        officer.agency_id == order.agency_id
        and officer.has_role(Role.APPROVER)
        and status in (RectificationStatus.ISSUED, RectificationStatus.RETURNED)
    )
    can_review = (
        officer.agency_id == order.issuer_agency_id
        and officer.has_role(Role.SUPERVISOR)
        and status == RectificationStatus.RESPONDED
    )
    return render(
        request,
        "supervision/order.html",
        {
            "order": order,
            "deadline": deadline,
            "deadline_level": deadline.level(now) if deadline is not None else "",
            "deadline_status": deadline.status_label(now) if deadline is not None else "",
            "responses": order.responses.select_related("responded_by").prefetch_related(
                "reviews__reviewed_by"
            ),
            "respond_form": respond_form if can_respond else None,
            "review_form": review_form if can_review else None,
        },
    )


@login_required
def filings(request: HttpRequest) -> HttpResponse:
    """记录制度备案: the agencies' filing state; the head files, the justice bureau answers."""
    officer = current_officer(request)
    own = officer.agency
    states = filing_states_for(officer)
    own_state = next((s for s in states if own is not None and s.agency.pk == own.pk), None)
    may_file = (
        own_state is not None
        and own_state.rule is not None
        and (officer.has_role(Role.APPROVER) or officer.has_role(Role.ADMINISTRATOR))
    )
    form = FilingForm(request.POST or None, request.FILES or None) if may_file else None
    if form is not None and request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["attachment"]
        done = attempt(
            form,
            request,
            lambda: filing.rulebook_filing_submit(
                actor=officer,
                document_number=form.cleaned_data["document_number"],
                attachment=upload.read() if upload else b"",
                attachment_name=upload.name if upload else "",
            ),
        )
        if done is not None:
            return redirect("supervision:filings")
    pending = [
        s
        for s in states
        if s.status == "pending"
        and s.filing is not None
        and own is not None
        and s.filing.filed_with_id == own.pk
    ]
    return render(
        request,
        "supervision/filings.html",
        {
            "states": states,
            "form": form,
            "own_state": own_state,
            "reviewable": officer.has_role(Role.SUPERVISOR) and bool(pending),
            "pending_ids": {s.filing.pk for s in pending if s.filing is not None},
            "decision_form": FilingDecisionForm(),
            "unfiled": sum(1 for s in states if s.overdue),
        },
    )


@login_required
def filing_decide(request: HttpRequest, filing_id: str) -> HttpResponse:
    officer = current_officer(request)
    found = or_404(lambda: filing.filing_get_for(officer, filing_id))
    form = FilingDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        attempt(
            form,
            request,
            lambda: filing.rulebook_filing_decide(
                actor=officer,
                filing=found,
                outcome=form.cleaned_data["outcome"],
                reason=form.cleaned_data["reason"],
            ),
        )
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    return redirect("supervision:filings")


@login_required
def liability_cases(request: HttpRequest) -> HttpResponse:
    """责任追究: the cases this officer may see and, for a named body's supervisor, the form."""
    officer = current_officer(request)
    form = None
    if officer.has_role(Role.SUPERVISOR):
        options = []
        for agency, _ in orderable_agencies(officer):
            rule = liability.liability_rule(agency)
            if rule is not None:
                options.append((agency, rule))
        if options:
            form = LiabilityForm(request.POST or None)
            form.fields["agency"].choices = [(str(a.public_id), a.name) for a, _ in options]  # type: ignore[attr-defined]
            # Every ground any offered agency's regulation lists; the service checks the pair.
            grounds = {g["code"]: f"{g['item']}{g['text']}" for _, r in options for g in r.params["grounds"]}
            form.fields["ground"].choices = list(grounds.items())  # type: ignore[attr-defined]
            if request.method == "POST" and form.is_valid():
                data = form.cleaned_data
                agency = next(a for a, _ in options if str(a.public_id) == data["agency"])
                numbers = [n.strip() for n in data["cases"].splitlines() if n.strip()]
                opened = attempt(
                    form,
                    request,
                    lambda: liability.liability_case_open(
                        actor=officer,
                        agency=agency,
                        ground=data["ground"],
                        facts=data["facts"],
                        evidence=[{"kind": "case", "ref": n} for n in numbers],
                    ),
                )
                if opened is not None:
                    return redirect("supervision:liability_case", opened.public_id)
    return render(
        request,
        "supervision/liability_list.html",
        {"cases": liability.liability_cases_for(officer)[:200], "form": form},
    )


@login_required
def liability_case(request: HttpRequest, case_id: str) -> HttpResponse:
    officer = current_officer(request)
    case = or_404(lambda: liability.liability_case_get_for(officer, case_id))
    form = LiabilityEntryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = attempt(
            form,
            request,
            lambda: liability.liability_case_record(
                actor=officer, case=case, kind=form.cleaned_data["kind"], text=form.cleaned_data["text"]
            ),
        )
        if done is not None:
            return redirect("supervision:liability_case", case.public_id)
    shown = liability.case_dict(case)
    may_record = (
        officer.agency_id == case.opening_agency_id
        and officer.has_role(Role.SUPERVISOR)
        and not shown["closed"]
    )
    return render(
        request,
        "supervision/liability_case.html",
        {"case": shown, "form": form if may_record else None, "roles": liability.PERSON_ROLES},
    )
