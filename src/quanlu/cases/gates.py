"""What a case's rulebook asks at its gates: approvals, the legal-review step, and
the supplementary-approval deadline after an emergency start.

The rulebooks issue generalises this into the evaluator; the shape of a finding
(rule, article, quote, message) is already the one it will use.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from quanlu.cases.models import ApprovalGate, ApprovalStatus, Case, Stage, StepRole
from quanlu.core.errors import Finding
from quanlu.rulebooks.loader import Rule, Rulebook, get_rulebook, parse_duration


def rulebook_for(case: Case) -> Rulebook:
    # The version in force when the procedure started governs the case.
    return get_rulebook(case.rulebook_id, on=case.started_at.date())


def applies(rule: Rule, case: Case) -> bool:
    when: dict[str, Any] = rule.params.get("when") or {}
    if "procedure" in when and case.procedure not in when["procedure"]:
        return False
    if "initiation_mode" in when and case.initiation_mode not in when["initiation_mode"]:
        return False
    return not ("major" in when and bool(when["major"]) != case.is_major)


def finding(rule: Rule, message: str) -> Finding:
    return Finding(
        rule=rule.id,
        message=message,
        rulebook=rule.rulebook_id,
        article=f"{rule.citation.source} {rule.citation.article}",
        quote=rule.citation.quote,
    )


def approval_chain(case: Case, gate: str) -> list[str]:
    book = rulebook_for(case)
    legal = any(r.params["gate"] == gate and applies(r, case) for r in book.rules_of("legal_review_required"))
    chain = [StepRole.REVIEW.value]
    if legal:
        chain.append(StepRole.LEGAL_REVIEW.value)
    chain.append(StepRole.APPROVE.value)
    return chain


def required_approval_gates(case: Case, to_stage: str) -> list[tuple[Rule, str]]:
    """(rule, gate) pairs whose granted approval entering ``to_stage`` needs.

    After an emergency start the initiation approval is not needed to begin the
    investigation, but it is needed (as 补报) before the case goes any further.
    """
    book = rulebook_for(case)
    needed: list[tuple[Rule, str]] = []
    for rule in book.rules_of("approval_required"):
        if not applies(rule, case):
            continue
        stage = rule.params["stage"]
        if (stage == to_stage and not (case.emergency and stage == Stage.INVESTIGATION)) or (
            case.emergency and stage == Stage.INVESTIGATION and to_stage == Stage.DECISION
        ):
            needed.append((rule, rule.params["gate"]))
    return needed


def gate_findings(case: Case, to_stage: str) -> list[Finding]:
    findings: list[Finding] = []
    for rule, gate in required_approval_gates(case, to_stage):
        if not case.approvals.filter(gate=gate, status=ApprovalStatus.GRANTED).exists():
            label = ApprovalGate(gate).label
            findings.append(finding(rule, f"尚未取得{label}的批准。"))
    return findings


def supplementary_deadline(case: Case) -> tuple[Rule, dt.datetime] | None:
    """The rule and due time of the 补报 deadline, where the rulebook sets one."""
    if not case.emergency:
        return None
    for rule in rulebook_for(case).rules_of("supplementary_approval_deadline"):
        if applies(rule, case):
            return rule, case.started_at + parse_duration(rule.params["within"])
    return None


def emergency_needs_initiation_approval(case: Case) -> bool:
    return any(
        rule.params["stage"] == Stage.INVESTIGATION and applies(rule, case)
        for rule in rulebook_for(case).rules_of("approval_required")
    )
