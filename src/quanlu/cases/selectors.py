"""Reads about cases, always through what the reader may see."""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

from django.db.models import Q, QuerySet

from quanlu.cases.models import Approval, ApprovalStatus, Case, Stage, StepRole
from quanlu.core.errors import DomainError, NotFound
from quanlu.core.validation import parse_uuid
from quanlu.ledger.models import Event
from quanlu.org.models import Agency, Officer
from quanlu.org.selectors import visible_agencies

STEP_ROLE_NEEDS = {
    StepRole.REVIEW: "reviewer",
    StepRole.LEGAL_REVIEW: "legal_reviewer",
    StepRole.APPROVE: "approver",
}


def case_list_for(
    officer: Officer,
    *,
    stage: str | None = None,
    query: str = "",
    agency: Agency | None = None,
    started: tuple[dt.datetime, dt.datetime] | None = None,
) -> QuerySet[Case]:
    """``agency`` and ``started`` ([since, until)) are a dashboard's drill-down: the cases
    one of its figures counts (statistics_for counts by the procedure's start)."""
    qs = Case.objects.filter(agency__in=visible_agencies(officer)).select_related("agency", "lead_officer")
    if agency is not None:
        qs = qs.filter(agency=agency)
    if started is not None:
        qs = qs.filter(started_at__gte=started[0], started_at__lt=started[1])
    if stage:
        qs = qs.filter(stage=stage)
    if query:
        # A subquery rather than DISTINCT over the joined parties: DISTINCT sorts every
        # visible case (all columns) before the page is cut, seconds at a million cases.
        qs = qs.filter(pk__in=Case.objects.filter(search_filter(query)).values("pk"))
    return qs.order_by("-opened_at")


def visible_agency_get(officer: Officer, public_id: Any) -> Agency:
    """An agency whose cases ``officer`` may see; NotFound for any other (or a bad id)."""
    try:
        uid = parse_uuid(public_id, label="机关")
    except DomainError as exc:
        raise NotFound("没有这个机关。") from exc
    found = visible_agencies(officer).filter(public_id=uid).first()
    if found is None:
        raise NotFound("没有这个机关。")
    return found


# The brackets people type around a year in a case number: 〔〕 as issued, and the
# [] () 【】 （） 〈〉 a keyboard or another system gives.
_OPENING = "〔[(【（〈［"
_CLOSING = "〕])】）〉］"
_BRACKETS = str.maketrans(dict.fromkeys(_OPENING, "〔") | dict.fromkeys(_CLOSING, "〕"))


def normalize_query(query: str) -> str:
    """What an officer typed, in the form case numbers and ID numbers are stored:
    full-width digits and letters half-width (NFKC), every kind of bracket as 〔〕,
    no spaces, the letters of an ID number or credit code upper-case."""
    text = unicodedata.normalize("NFKC", query)
    # NFKC turns 〔〕 into nothing else, but （） into (): map them all after it.
    return "".join(text.translate(_BRACKETS).split()).upper()


def search_filter(query: str) -> Q:
    """Cases whose number, cause, or a party's name, ID number or credit code matches
    ``query``, tolerant of the bracket and digit widths (both sides normalised: the
    stored numbers are issued with 〔〕 and half-width digits)."""
    raw = query.strip()
    norm = normalize_query(raw)
    found = Q(cause__icontains=raw) | Q(parties__name__icontains=raw)
    if norm:
        found |= Q(number__icontains=norm) | Q(parties__id_number__icontains=norm)
        found |= Q(cause__icontains=norm) | Q(parties__name__icontains=norm)
    return found


def case_get_for(officer: Officer, public_id: Any) -> Case:
    """The case if ``officer`` may see it; otherwise 404, whether it exists or not."""
    try:
        uid = parse_uuid(public_id)
    except Exception as exc:
        raise NotFound() from exc
    case = case_list_for(officer).filter(public_id=uid).first()
    if case is None:
        raise NotFound()
    return case


def case_by_ref(ref: str) -> Case | None:
    """A case by its 案号 or its public id, for commands an administrator runs on the
    server (no visibility filter: the shell is not an officer's session)."""
    case = Case.objects.filter(number=ref).first()
    if case is None:
        try:
            case = Case.objects.filter(public_id=parse_uuid(ref)).first()
        except DomainError:  # neither a case number nor an id
            return None
    return case


def can_write(officer: Officer, case: Case) -> bool:
    return officer.agency_id == case.agency_id and case.stage != Stage.CLOSED


def approval_get_for(officer: Officer, public_id: Any) -> Approval:
    try:
        uid = parse_uuid(public_id)
    except Exception as exc:
        raise NotFound() from exc
    approval = (
        Approval.objects.filter(public_id=uid, case__agency__in=visible_agencies(officer))
        .select_related("case", "case__agency", "requested_by")
        .first()
    )
    if approval is None:
        raise NotFound()
    return approval


def may_sign(officer: Officer, approval: Approval) -> bool:
    """Whether ``officer`` is someone who could sign the approval's next step."""
    role = approval.next_role()
    if role is None or officer.agency_id != approval.case.agency_id:
        return False
    if not officer.has_role(STEP_ROLE_NEEDS[StepRole(role)]):
        return False
    if officer.pk == approval.requested_by_id:
        return False
    return not any(step.actor_id == officer.pk for step in approval.steps.all())


def approvals_waiting_for(officer: Officer) -> list[Approval]:
    if officer.agency is None:
        return []
    pending = (
        Approval.objects.filter(case__agency=officer.agency, status=ApprovalStatus.PENDING)
        .select_related("case", "requested_by")
        .prefetch_related("steps")
        .order_by("requested_at")
    )
    return [a for a in pending if may_sign(officer, a)]


def case_timeline(case: Case) -> QuerySet[Event]:
    return Event.objects.filter(case_uid=case.public_id).select_related("actor").order_by("seq")
