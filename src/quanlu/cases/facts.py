"""The facts of a case that this app owns, for the rules: the case record and its
stages, its approvals, the complaint it started from and its application intake.
Registered with the rules engine at start (``bind``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from quanlu.cases.models import (
    ActEnd,
    ApplicationEvent,
    Approval,
    Case,
    Complaint,
    Party,
    Stage,
    StageTransition,
)
from quanlu.rulebooks import facts
from quanlu.rulebooks.providers import register
from quanlu.rulebooks.terms import CASE_FIELDS


def _case_facts(
    case: Case, moves: list[tuple[str, Any]], has_party: bool, act_ended_on: Any = None
) -> facts.CaseFacts:
    archiving = next((at for stage, at in moves if stage == Stage.ARCHIVING), None)
    return facts.CaseFacts(
        uid=str(case.public_id),
        rulebook_id=case.rulebook_id,
        started_at=case.started_at,
        kind=case.kind,
        procedure=case.procedure,
        initiation_mode=case.initiation_mode,
        stage=case.stage,
        is_major=case.is_major,
        emergency=case.emergency,
        entered=frozenset(stage for stage, _ in moves),
        archiving_entered_at=archiving,
        act_ended_on=act_ended_on,
        fields={f: str(getattr(case, f, "") or "") for f in CASE_FIELDS},
        has_party=has_party,
    )


def case_facts(case: Case) -> facts.CaseFacts:
    """The case record and the stages it has moved into (one query for the stages)."""
    moves = list(case.transitions.order_by("at", "id").values_list("to_stage", "at"))
    ended = (
        ActEnd.objects.filter(case=case, replaced_by__isnull=True).values_list("ended_on", flat=True).first()
    )
    return _case_facts(case, moves, case.parties.exists(), ended)


def _complaint(c: Complaint) -> facts.Complaint:
    return facts.Complaint(
        named=c.named,
        complainant_name=c.complainant_name,
        content=c.content,
        channel=c.channel,
        received_at=c.received_at,
        recorder_name=c.recorder.full_name,
        status_label=c.get_status_display(),
    )


def provide_many(cases: Sequence[Case]) -> dict[int, dict[str, Any]]:
    """Each table read once for all ``cases``."""
    moves: dict[int, list[tuple[str, Any]]] = defaultdict(list)
    for case_id, stage, at in (
        StageTransition.objects.filter(case__in=cases)
        .order_by("at", "id")
        .values_list("case_id", "to_stage", "at")
    ):
        moves[case_id].append((stage, at))
    with_party = set(Party.objects.filter(case__in=cases).values_list("case_id", flat=True))
    # The current end of the act: the row no correction has replaced.
    ended = dict(
        ActEnd.objects.filter(case__in=cases, replaced_by__isnull=True).values_list("case_id", "ended_on")
    )
    approvals: dict[int, list[facts.Approval]] = defaultdict(list)
    for a in Approval.objects.filter(case__in=cases).order_by("requested_at", "id"):
        approvals[a.case_id].append(
            facts.Approval(
                gate=a.gate,
                status=a.status,
                chain=tuple(a.chain or ()),
                decided_at=a.decided_at,
                uid=str(a.public_id),
            )
        )
    complaints = {c.case_id: c for c in Complaint.objects.filter(case__in=cases).select_related("recorder")}
    intake: dict[int, list[str]] = defaultdict(list)
    for case_id, kind in (
        ApplicationEvent.objects.filter(case__in=cases).order_by("at", "id").values_list("case_id", "kind")
    ):
        intake[case_id].append(kind)
    return {
        case.pk: {
            "case": _case_facts(case, moves[case.pk], case.pk in with_party, ended.get(case.pk)),
            "approvals": tuple(approvals[case.pk]),
            "complaint": _complaint(complaints[case.pk]) if case.pk in complaints else None,
            "application_events": tuple(intake[case.pk]),
        }
        for case in cases
    }


def provide(case: Case) -> dict[str, Any]:
    return provide_many([case])[case.pk]


def bind() -> None:
    register(
        "cases",
        provide,
        fields=("case", "approvals", "complaint", "application_events"),
        provide_many=provide_many,
    )
