"""A case walked through its stages by the real services: at each move, first the
records that break the rulebook, the refusal (each finding checked against the
rule's own citation), then what the rulebook asks, made, and the move."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from quanlu.cases import services as cases
from quanlu.cases.models import Stage
from quanlu.core.errors import Finding, Refused
from quanlu.records import services as records
from quanlu.records.sample import Staff
from quanlu.rulebooks.evaluator import Status, evaluate, gate, rulebook_for
from quanlu.rulebooks.providers import gather
from quanlu.rulebooks.sample import Builder, satisfy
from quanlu.testing import factories as f
from quanlu.testing.factories import World

# The reason a move needs when it ends the case early.
REASONS = {Stage.ARCHIVING: ""}


def add_party(world: World, case: Any) -> None:
    cases.party_add(
        actor=world.officer,
        case=case,
        kind="organisation",
        name="某有限公司",
        id_type="uscc",
        id_number=f.uscc(),
        legal_representative="刘建国",
        address="某市经济开发区8号",
    )


class Walk:
    def __init__(self, world: World, case: Any | None = None, **fields: Any) -> None:
        self.w = world
        self.case = case if case is not None else world.open_case(**fields)
        if not self.case.parties.exists():
            add_party(world, self.case)
        staff = Staff(world.officer, world.officer2, world.reviewer, world.legal, world.approver)
        self.b = Builder(case=self.case, staff=staff, keeper=world.keeper)
        self.book = rulebook_for(self.case)
        self.refused: dict[str, Finding] = {}
        self.warned: set[str] = set()

    @property
    def seed(self) -> str:
        return self.book.source[:3]

    def have(self, *rule_ids: str) -> list[str]:
        """The ids among these that this rulebook has as blocking rules."""
        ids = {r.id for r in self.book.rules if r.severity == "block"}
        return [r for r in rule_ids if r in ids]

    def attempt(self, to_stage: str, reason: str = "") -> set[str]:
        """Try the move; return the rules that refused it (empty if it was made)."""
        try:
            cases.case_advance(actor=self.w.officer, case=self.case, to_stage=to_stage, reason=reason)
        except Refused as exc:
            ids = set()
            for finding in exc.findings:
                if finding.rulebook != self.book.id or finding.rule not in {r.id for r in self.book.rules}:
                    continue  # a system rule of another domain (the archive's sealed dossier)
                rule = self.book.rule(finding.rule)
                # The right article of the right regulation, in its own words.
                assert finding.rulebook == self.book.id
                assert finding.article == f"{rule.citation.source} {rule.citation.article}"
                assert finding.article.startswith(self.book.source)
                assert finding.quote == rule.citation.quote
                assert rule.severity == "block"
                assert finding.message
                ids.add(finding.rule)
                self.refused.setdefault(finding.rule, finding)
            self.case.refresh_from_db()
            assert self.case.stage != to_stage
            return ids
        self.case.refresh_from_db()
        return set()

    def refused_by(self, to_stage: str, *rule_ids: str, reason: str = "") -> set[str]:
        ids = self.attempt(to_stage, reason)
        assert ids, f"the move into {to_stage} was not refused"
        missing = set(self.have(*rule_ids)) - ids
        assert not missing, f"expected {sorted(missing)} among the refusal {sorted(ids)}"
        return ids

    def move(self, to_stage: str, reason: str = "") -> None:
        satisfy(self.case, to_stage, self.b)
        blocking = [(r.rule.id, r.outcome.message) for r in gate(gather(self.case), to_stage) if r.blocking]
        assert not blocking, blocking
        transition = cases.case_advance(
            actor=self.w.officer, case=self.case, to_stage=to_stage, reason=reason
        )
        self.case.refresh_from_db()
        assert self.case.stage == to_stage
        self.warned |= {r.rule.id for r in gate(gather(self.case), to_stage) if r.status == Status.UNMET}
        assert transition.to_stage == to_stage

    def no_blocking_breach(self) -> None:
        """Every rule of the stages entered so far holds (warnings aside)."""
        breaches = [(r.rule.id, r.outcome.message) for r in evaluate(gather(self.case)) if r.blocking]
        assert not breaches, breaches

    # ---------------------------------------------------------------- shorthand

    def make(self, type_code: str, **fields: Any) -> Any:
        return self.b.make(type_code, **fields)

    def officers(self, *people: Any, shown: bool = True) -> list[dict[str, Any]]:
        return [{"officer": str(o.public_id), "certificate_shown": shown} for o in people]

    def refuse_once(self, doc: Any, slot: str = "party") -> None:
        """A party refuses to sign; only the recording officer signs the note."""
        records.refusal_record(
            actor=self.w.officer,
            document=doc,
            slot=slot,
            person_name="刘建国",
            reason="当事人对决定有异议，拒绝签收。",
            signature_method="password",
        )

    def seal(self, doc: Any) -> None:
        records.signature_sign(
            actor=self.w.approver, document=doc, slot="agency_seal", signature_method="password"
        )


def yesterday() -> str:
    return (timezone.localdate() - dt.timedelta(days=1)).isoformat()


def hours_ago(hours: float) -> str:
    return (timezone.localtime() - dt.timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M")


def ago(hours: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(hours=hours)
