"""Deadlines and alerts: opened from the rulebook's deadline rules, met when the
case shows the obligation done, and swept into yellow/red alerts. Rectification
orders (整改通知): issued, responded to, accepted or returned."""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone

from quanlu.access.redaction import results_for
from quanlu.access.selectors import content_view
from quanlu.cases.models import Case, Stage
from quanlu.core.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Refused,
)
from quanlu.ledger.services import record_event
from quanlu.org.models import Agency, Officer, Role
from quanlu.org.selectors import visible_agencies
from quanlu.rulebooks.evaluator import deadlines as rule_deadlines
from quanlu.rulebooks.evaluator import evaluate
from quanlu.rulebooks.loader import Rule, get_rulebook
from quanlu.rulebooks.obligations import refusal
from quanlu.rulebooks.providers import gather
from quanlu.rulebooks.terms import RECTIFICATION_ISSUERS
from quanlu.supervision import events, selectors
from quanlu.supervision.models import (
    Alert,
    AlertLevel,
    Deadline,
    RectificationOrder,
    RectificationResponse,
    RectificationReview,
    RectificationStatus,
    ReviewOutcome,
)

log = logging.getLogger("quanlu.supervision")

# Yellow alert once this share of the window has passed (e.g. 18 h into 24 h).
WARN_FRACTION = 0.75


@transaction.atomic
def deadline_open(
    *,
    actor: Officer | None,
    case: Case | None,
    kind: str,
    title: str,
    rule: Rule,
    starts_at: dt.datetime,
    due_at: dt.datetime,
    subject: str = "",
    agency: Agency | None = None,
) -> Deadline:
    """A deadline of a case, or (``case=None``) one set on ``agency`` itself."""
    agency = case.agency if case is not None else agency
    assert agency is not None
    warn_at = starts_at + (due_at - starts_at) * WARN_FRACTION
    deadline = Deadline.objects.create(
        case=case,
        agency=agency,
        kind=kind,
        subject=subject,
        title=title,
        starts_at=starts_at,
        due_at=due_at,
        warn_at=warn_at,
        rulebook_id=rule.rulebook_id,
        rule_id=rule.id,
        article=f"{rule.citation.source} {rule.citation.article}",
        quote=rule.citation.quote,
    )
    record_event(
        type=events.DEADLINE_OPENED,
        actor=actor,
        agency=agency,
        case_uid=case.public_id if case is not None else None,
        payload={
            "deadline": deadline.public_id,
            "kind": kind,
            "subject": subject,
            "title": title,
            "starts_at": starts_at,
            "due_at": due_at,
            "rule": rule.id,
            "rulebook": rule.rulebook_id,
        },
        rows=[deadline],
    )
    return deadline


def _case_uid(deadline: Deadline) -> uuid.UUID | None:
    return deadline.case.public_id if deadline.case is not None else None


@transaction.atomic
def deadline_meet(*, actor: Officer | None, deadline: Deadline, at: dt.datetime) -> Deadline:
    deadline = Deadline.objects.select_for_update().get(pk=deadline.pk)
    if deadline.met_at is not None:
        return deadline
    deadline.met_at = at
    deadline.save(update_fields=["met_at"])
    record_event(
        type=events.DEADLINE_MET,
        actor=actor,
        agency=deadline.agency,
        case_uid=_case_uid(deadline),
        payload={
            "deadline": deadline.public_id,
            "kind": deadline.kind,
            "subject": deadline.subject,
            "met_at": at,
            "late": at > deadline.due_at,
        },
        rows=[deadline],
    )
    return deadline


@transaction.atomic
def deadline_move(
    *, actor: Officer | None, deadline: Deadline, starts_at: dt.datetime, due_at: dt.datetime, anchor: str
) -> Deadline:
    """A deadline whose anchor event was recorded or corrected since it opened (the
    archive deadline once the end of the enforcement act is recorded, or corrected): it
    is counted again from the event, the event recording what it ran from before. One
    already met is judged again against the new count: whether it was met late follows
    (derived from ``met_at`` and ``due_at``), and the event says what it was and is, so
    the history keeps both the first judgement and the recount."""
    deadline = Deadline.objects.select_for_update().get(pk=deadline.pk)
    was: dict[str, object] = {"starts_at": deadline.starts_at, "due_at": deadline.due_at}
    payload: dict[str, object] = {
        "deadline": deadline.public_id,
        "kind": deadline.kind,
        "subject": deadline.subject,
        "anchor": anchor,
        "was": was,
        "starts_at": starts_at,
        "due_at": due_at,
    }
    if deadline.met_at is not None:
        was["late"] = deadline.met_at > deadline.due_at
        payload |= {"met_at": deadline.met_at, "late": deadline.met_at > due_at}
    deadline.starts_at, deadline.due_at = starts_at, due_at
    deadline.warn_at = starts_at + (due_at - starts_at) * WARN_FRACTION
    deadline.save(update_fields=["starts_at", "due_at", "warn_at"])
    record_event(
        type=events.DEADLINE_MOVED,
        actor=actor,
        agency=deadline.agency,
        case_uid=_case_uid(deadline),
        payload=payload,
        rows=[deadline],
    )
    return deadline


@transaction.atomic
def deadlines_sync(*, actor: Officer | None, case: Case) -> list[Deadline]:
    """Open the deadlines the rulebook sets for the case and mark those now met.
    Registered with the case workflow (``cases.services.DEADLINE_KEEPERS``): every change
    that can open or meet a deadline calls it in its own transaction."""
    out: list[Deadline] = []
    kept = {(d.kind, d.subject): d for d in Deadline.objects.filter(case=case)}
    for rule, spec in rule_deadlines(gather(case)):
        deadline = kept.get((spec.kind, spec.subject))
        if deadline is None:
            try:
                with transaction.atomic():
                    deadline = deadline_open(
                        actor=actor,
                        case=case,
                        kind=spec.kind,
                        title=spec.title,
                        rule=rule,
                        starts_at=spec.starts_at,
                        due_at=spec.due_at,
                        subject=spec.subject,
                    )
            except IntegrityError:  # a concurrent sync opened it first
                deadline = Deadline.objects.get(case=case, kind=spec.kind, subject=spec.subject)
        # Met or not: a deadline met on time from a wrongly recorded anchor may be late
        # from the corrected one (and the other way round).
        if (deadline.starts_at, deadline.due_at) != (spec.starts_at, spec.due_at):
            deadline = deadline_move(
                actor=actor,
                deadline=deadline,
                starts_at=spec.starts_at,
                due_at=spec.due_at,
                anchor=spec.anchor,
            )
        if spec.met_at is not None and deadline.met_at is None:
            deadline = deadline_meet(actor=actor, deadline=deadline, at=spec.met_at)
        out.append(deadline)
    return out


@transaction.atomic
def alert_raise(*, deadline: Deadline, level: str, now: dt.datetime) -> Alert | None:
    """Raise the alert once; a second sweep (or a concurrent one) raises nothing."""
    try:
        with transaction.atomic():
            alert = Alert.objects.create(deadline=deadline, level=level, raised_at=now)
    except IntegrityError:
        return None
    record_event(
        type=events.ALERT_RAISED,
        actor=None,
        agency=deadline.agency,
        case_uid=_case_uid(deadline),
        payload={
            "alert": alert.public_id,
            "deadline": deadline.public_id,
            "kind": deadline.kind,
            "subject": deadline.subject,
            "level": level,
            "due_at": deadline.due_at,
        },
        rows=[alert],
    )
    return alert


def deadlines_sweep(*, now: dt.datetime | None = None) -> list[Alert]:
    """Sync every open case's deadlines, then raise yellow/red alerts that are due.

    Scheduled in the running app (quanlu worker); also `quanlu deadlines sweep`.
    """
    now = now or timezone.now()
    for case in Case.objects.exclude(stage=Stage.CLOSED).select_related("agency").iterator():
        deadlines_sync(actor=None, case=case)
    raised: list[Alert] = []
    for deadline in Deadline.objects.select_related("case", "agency").filter(met_at__isnull=True):
        level = deadline.level(now)
        levels = [AlertLevel.YELLOW] if level == AlertLevel.YELLOW else []
        if level == AlertLevel.RED:
            levels = [AlertLevel.YELLOW, AlertLevel.RED] if now >= deadline.warn_at else [AlertLevel.RED]
        for lvl in levels:
            alert = alert_raise(deadline=deadline, level=lvl, now=now)
            if alert is not None:
                raised.append(alert)
                owner = deadline.case.number if deadline.case is not None else deadline.agency.name
                log.warning("deadline %s of %s: %s", deadline.kind, owner, lvl)
    return raised


# ---------------------------------------------------------------- 整改通知 (SUP-04)

RECTIFICATION_KIND = selectors.RECTIFICATION_KIND


def _issuer_basis(actor: Officer, agency: Agency) -> tuple[Rule, str, str]:
    """The agency's rule on rectification orders, the citation, and why ``actor`` may
    issue one under it (its place in the hierarchy); refused otherwise."""
    # Outsiders learn nothing about the agency (404), insiders why they may not (403).
    if actor.agency is None or not visible_agencies(actor).filter(pk=agency.pk).exists():
        raise NotFound()
    if not actor.has_role(Role.SUPERVISOR):
        raise PermissionDenied("只有监督机关的执法监督人员可以下达整改通知。")
    book = get_rulebook(agency.rulebook_id)
    rule = selectors.rectification_rule(agency)
    if rule is None:
        raise DomainError(
            message=f"《{book.title}》没有责令整改的条款，不能依该规定向{agency.name}下达整改通知。",
            code="no_rectification_article",
            status=409,
        )
    issuers = list(rule.params["issuers"])
    basis = selectors.issuer_basis(actor.agency, agency, issuers)
    cite = f"《{book.title}》{rule.citation.article}"
    if basis is None:
        named = "或".join(RECTIFICATION_ISSUERS[i] for i in issuers)
        raise Refused(
            f"依{cite}，可责令整改的是{named}；{actor.agency.name}不是{agency.name}的{named}。",
            [rule.finding(f"{actor.agency.name}无权向{agency.name}下达整改通知。")],
            code="not_an_issuer",
        )
    return rule, cite, basis


def _case_findings(
    actor: Officer, agency: Agency, cases: list[Case], *, now: dt.datetime, with_rule_findings: bool
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The cases an order names, and the rules each breaches now (judged on its facts)."""
    named_cases = []
    rule_findings: list[dict[str, str]] = []
    for case in cases:
        if case.agency_id != agency.pk:
            raise InvalidInput(f"案件{case.number}不属于{agency.name}。", field_name="cases")
        named_cases.append({"id": str(case.public_id), "number": case.number})
        if not with_rule_findings:
            continue
        # The order keeps what its issuer may see: a finding quoting a marked record the
        # supervisor may not read is kept as its mark (the one rule of quanlu.access).
        view = content_view(actor, cases=[case])
        for result in results_for(view, evaluate(gather(case), now=now)):
            if result.status == "unmet":
                rule_findings.append(
                    {
                        "case": case.number,
                        "rule": result.rule.id,
                        "message": result.outcome.message,
                        "article": result.rule.citation.article,
                        "citation": f"《{result.rulebook.title}》{result.rule.citation.article}",
                        "quote": result.rule.citation.quote,
                    }
                )
    return named_cases, rule_findings


@transaction.atomic
def rectification_order_issue(
    *,
    actor: Officer,
    agency: Agency,
    findings: str,
    requirements: str,
    due_at: dt.datetime | None = None,
    cases: list[Case] | None = None,
    with_rule_findings: bool = True,
) -> RectificationOrder:
    """A supervisor orders an agency it supervises to rectify, as the agency's rulebook
    allows: refused where the regulation has no such article, or the issuer is not one
    it names; the due date is required where it says 责令限期整改."""
    rule, cite, basis = _issuer_basis(actor, agency)
    assert actor.agency is not None  # checked by _issuer_basis
    findings, requirements = findings.strip(), requirements.strip()
    if not findings:
        raise InvalidInput("请写明发现的问题。", field_name="findings")
    if not requirements:
        raise InvalidInput("请写明整改要求。", field_name="requirements")
    now = timezone.now()
    if rule.params["time_limit"] and due_at is None:
        raise refusal(
            [rule],
            f"{cite}规定责令限期整改，须确定整改期限。",
            satisfy="确定整改期限。",
            code="due_at_required",
            field="due_at",
            status=422,
        )
    if due_at is not None and due_at <= now:
        raise InvalidInput("整改期限应晚于下达时间。", field_name="due_at")
    named_cases, rule_findings = _case_findings(
        actor, agency, cases or [], now=now, with_rule_findings=with_rule_findings
    )
    order = RectificationOrder.objects.create(
        agency=agency,
        issuer_agency=actor.agency,
        issued_by=actor,
        issued_at=now,
        issuer_basis=basis,
        findings=findings,
        requirements=requirements,
        due_at=due_at,
        cases=named_cases,
        rule_findings=rule_findings,
        rulebook_id=rule.rulebook_id,
        rule_id=rule.id,
        article=rule.citation.label(),
        quote=rule.citation.quote,
    )
    record_event(
        type=events.RECTIFICATION_ISSUED,
        actor=actor,
        agency=agency,
        payload={
            "order": order.public_id,
            "issuer_agency": actor.agency.public_id,
            "issuer_basis": basis,
            "findings": findings,
            "requirements": requirements,
            "due_at": due_at,
            "cases": [c["id"] for c in named_cases],
            "rule_findings": [f"{f['case']} {f['rule']}" for f in rule_findings],
            "rule": rule.id,
            "rulebook": rule.rulebook_id,
        },
        rows=[order],
    )
    if due_at is not None:
        deadline_open(
            actor=actor,
            case=None,
            agency=agency,
            kind=RECTIFICATION_KIND,
            subject=order.public_id.hex,
            title=f"{actor.agency.name}整改通知：限期整改",
            rule=rule,
            starts_at=now,
            due_at=due_at,
        )
    return order


def _lock(order: RectificationOrder) -> RectificationOrder:
    return (
        RectificationOrder.objects.select_for_update()
        .select_related("agency", "issuer_agency")
        .get(pk=order.pk)
    )


@transaction.atomic
def rectification_order_respond(
    *, actor: Officer, order: RectificationOrder, measures: str
) -> RectificationResponse:
    """The ordered agency's head reports the corrective measures taken."""
    if not selectors.rectification_orders_for(actor).filter(pk=order.pk).exists():
        raise NotFound()
    order = _lock(order)
    if actor.agency_id != order.agency_id or not actor.has_role(Role.APPROVER):
        raise PermissionDenied("整改情况由被责令整改机关的负责人报告。")
    status = order.status
    if status == RectificationStatus.ACCEPTED:
        raise Conflict("该整改通知已验收通过，无需再报告。", code="already_accepted")
    if status == RectificationStatus.RESPONDED:
        raise Conflict("已报告的整改情况尚待验收，验收前不能再次报告。", code="awaiting_review")
    measures = measures.strip()
    if not measures:
        raise InvalidInput("请写明采取的整改措施及结果。", field_name="measures")
    response = RectificationResponse.objects.create(
        order=order, responded_by=actor, responded_at=timezone.now(), measures=measures
    )
    record_event(
        type=events.RECTIFICATION_RESPONDED,
        actor=actor,
        agency=order.agency,
        payload={"order": order.public_id, "response": response.public_id, "measures": measures},
        rows=[response],
    )
    return response


def _review(
    *, actor: Officer, order: RectificationOrder, outcome: str, opinion: str
) -> tuple[RectificationOrder, RectificationReview]:
    if not selectors.rectification_orders_for(actor).filter(pk=order.pk).exists():
        raise NotFound()
    order = _lock(order)
    if actor.agency_id != order.issuer_agency_id or not actor.has_role(Role.SUPERVISOR):
        raise PermissionDenied("整改情况由下达整改通知机关的执法监督人员验收。")
    status = order.status
    if status == RectificationStatus.ACCEPTED:
        raise Conflict("该整改通知已验收通过，不能重复验收。", code="already_accepted")
    if status != RectificationStatus.RESPONDED:
        raise Conflict("被责令整改机关尚未报告整改情况，无可验收的内容。", code="nothing_to_review")
    response = order.latest_response()
    assert response is not None
    try:
        with transaction.atomic():
            review = RectificationReview.objects.create(
                order=order,
                response=response,
                reviewed_by=actor,
                reviewed_at=timezone.now(),
                outcome=outcome,
                opinion=opinion.strip(),
            )
    except IntegrityError as exc:  # a concurrent review got there first
        raise Conflict("该整改情况已验收，不能重复验收。", code="already_reviewed") from exc
    return order, review


@transaction.atomic
def rectification_order_accept(
    *, actor: Officer, order: RectificationOrder, opinion: str = ""
) -> RectificationReview:
    """The issuing agency accepts the reported rectification; the order closes and its
    deadline counts as met when the rectification was reported."""
    order, review = _review(actor=actor, order=order, outcome=ReviewOutcome.ACCEPTED, opinion=opinion)
    record_event(
        type=events.RECTIFICATION_ACCEPTED,
        actor=actor,
        agency=order.agency,
        payload={"order": order.public_id, "review": review.public_id, "response": review.response.public_id},
        rows=[review],
    )
    deadline = selectors.rectification_deadline(order)
    if deadline is not None:
        deadline_meet(actor=actor, deadline=deadline, at=review.response.responded_at)
    return review


@transaction.atomic
def rectification_order_return(
    *, actor: Officer, order: RectificationOrder, opinion: str
) -> RectificationReview:
    """The issuing agency finds the rectification insufficient; the agency must respond again."""
    if not opinion.strip():
        raise InvalidInput("退回时请写明理由。", field_name="opinion")
    order, review = _review(actor=actor, order=order, outcome=ReviewOutcome.RETURNED, opinion=opinion)
    record_event(
        type=events.RECTIFICATION_RETURNED,
        actor=actor,
        agency=order.agency,
        payload={"order": order.public_id, "review": review.public_id, "opinion": review.opinion},
        rows=[review],
    )
    return review
