"""The facts of a case that this app owns, for the rules: the case record and its
stages, its approvals, the complaint it started from and its application intake.
Registered with the rules engine at start (``bind``)."""

from __future__ import annotations

from typing import Any

from quanlu.cases.models import ActEnd, Case, Complaint, Stage
from quanlu.rulebooks import facts
from quanlu.rulebooks.providers import register
from quanlu.rulebooks.terms import CASE_FIELDS


def case_facts(case: Case) -> facts.CaseFacts:
    """The case record and the stages it has moved into (one query for the stages)."""
    moves = list(case.transitions.order_by("at", "id").values_list("to_stage", "at"))
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
        act_ended_on=ActEnd.objects.filter(case=case, replaced_by__isnull=True)
        .values_list("ended_on", flat=True)
        .first(),
        fields={f: str(getattr(case, f, "") or "") for f in CASE_FIELDS},
        has_party=case.parties.exists(),
    )


def _complaint(case: Case) -> facts.Complaint | None:
    c = Complaint.objects.filter(case=case).select_related("recorder").first()
    if c is None:
        return None
    return facts.Complaint(
        named=c.named,
        complainant_name=c.complainant_name,
        content=c.content,
        channel=c.channel,
        received_at=c.received_at,
        recorder_name=c.recorder.full_name,
        status_label=c.get_status_display(),
    )


def provide(case: Case) -> dict[str, Any]:
    return {
        "case": case_facts(case),
        "approvals": tuple(
            facts.Approval(gate=a.gate, status=a.status, chain=tuple(a.chain or ()), decided_at=a.decided_at)
            for a in case.approvals.order_by("requested_at", "id")
        ),
        "complaint": _complaint(case),
        "application_events": tuple(
            case.application_events.order_by("at", "id").values_list("kind", flat=True)
        ),
    }


def bind() -> None:
    register("cases", provide, fields=("case", "approvals", "complaint", "application_events"))
