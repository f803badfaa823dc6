"""What a case's rulebook asks of its approvals: the chain, and whether legal
review (法制审核) is one of its steps. Gate checks live in the evaluator."""

from __future__ import annotations

from quanlu.cases.facts import case_facts
from quanlu.cases.models import Case, StepRole
from quanlu.rulebooks.evaluator import applies, rulebook_for

__all__ = ["approval_chain", "rulebook_for"]


def approval_chain(case: Case, gate: str) -> list[str]:
    book = rulebook_for(case)
    facts = case_facts(case)
    legal = any(
        r.params["gate"] == gate and applies(r, facts) for r in book.rules_of("legal_review_required")
    )
    chain = [StepRole.REVIEW.value]
    if legal:
        chain.append(StepRole.LEGAL_REVIEW.value)
    chain.append(StepRole.APPROVE.value)
    return chain
