from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from quanlu.cases.models import Case, Stage
from quanlu.core.errors import InvalidInput
from quanlu.org.models import Role
from quanlu.supervision import services
from quanlu.supervision.forms import OrderForm, ResponseForm, ReviewForm
from quanlu.supervision.models import RectificationStatus
from quanlu.supervision.selectors import (
    agency_overview,
    orderable_agencies,
    rectification_deadline,
    rectification_order_get_for,
    rectification_orders_for,
)
from quanlu.web.pages import attempt, current_officer, or_404


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    officer = current_officer(request)
    return render(
        request,
        "supervision/overview.html",
        {
            "rows": agency_overview(officer),
            "stages": Stage.choices,
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
