"""Demo cases keep their rulebook: before each move the demo makes (through the
services, as the agency's staff would) the records the move needs — documents
filled in and signed, the audio-visual record of a step. Idempotent: it runs only
for moves the demo makes, and a case moves once."""

from __future__ import annotations

import uuid

from quanlu.cases import services as cases
from quanlu.cases.models import Case, Stage
from quanlu.core.idnumbers import uscc_check_char
from quanlu.rulebooks.evaluator import RuleResult, gate
from quanlu.rulebooks.providers import gather
from quanlu.rulebooks.sample import Builder, satisfy

_NS = uuid.UUID("0b7c2d84-5a1e-4e0a-9b83-2f4c7d9e1a65")


def _party(case: Case) -> None:
    """Enforcement documents name the party; a demo case without one gets one."""
    if case.parties.exists():
        return
    body = f"91{case.agency.region.code[:6]}MA{case.pk:07d}"[:17]
    cases.party_add(
        actor=case.lead_officer,
        case=case,
        kind="organisation",
        name=f"{case.cause[:12]}当事单位",
        id_type="uscc",
        id_number=body + uscc_check_char(body),
        legal_representative="李某",
        client_token=uuid.uuid5(_NS, f"party-{case.public_id}"),
    )


def prepare(case: Case, to_stage: str) -> list[str]:
    """Make what the case's rulebook asks before ``to_stage``; returns the rules answered."""
    builder = Builder.for_case(case)
    if any(r.blocking for r in _gate(case, to_stage)):
        _party(case)
    return satisfy(case, to_stage, builder)


def _gate(case: Case, to_stage: str) -> list[RuleResult]:
    return gate(gather(case), to_stage)


def tidy() -> list[str]:
    """After the other demos added their records: make what the stages a case has
    entered still ask (the audio-visual record of a step documented later, say).
    Emergency starts keep their story: the 补报 they are waiting for."""
    done = []
    for case in Case.objects.exclude(stage=Stage.CLOSED).filter(emergency=False).order_by("pk"):
        if any(r.blocking for r in _gate(case, case.stage)):
            done += [f"{case.number}:{r}" for r in satisfy(case, case.stage, Builder.for_case(case))]
    return done
