"""Which rule of a rulebook asks what a service is about to refuse, so that the refusal
carries the same finding as the evaluator: rule id, regulation file, article, the
article's words, and what would satisfy it (issue 18).

A form, a workflow guard or a service refuses before the rulebook judges the case (a
date left empty, an approver acting before the reviewer, a written statement with one
signer). Where a rule of the case's rulebook asks it, the refusal is that rule's
finding (``refusal``); where none does, the refusal is the system's own and cites
nothing. Pure: rulebooks and the catalogue only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from quanlu.core.errors import Refused
from quanlu.rulebooks.facts import where_holds
from quanlu.rulebooks.loader import Rule, Rulebook
from quanlu.rulebooks.providers import catalogue


def in_scope(rule: Rule, type_code: str) -> bool:
    """Whether the rule's documents (by type, or by the catalogue's flags) include this type."""
    p = rule.params
    if "documents" in p:
        return type_code in p["documents"]
    select = p.get("select")
    if not select:
        return False
    kind = catalogue().types.get(type_code)
    if kind is None:
        return False
    return (
        ("stages" not in select or kind.stage in select["stages"])
        and ("categories" not in select or kind.category in select["categories"])
        and ("party_record" not in select or kind.party_record == select["party_record"])
        and type_code not in select.get("except", ())
    )


def field_rules(book: Rulebook, type_code: str, key: str, values: Mapping[str, Any]) -> list[Rule]:
    """The rules that ask a document of ``type_code`` to carry the field ``key``."""
    return [
        r
        for r in book.rules_of("document_fields_required")
        if key in r.params["fields"] and in_scope(r, type_code) and where_holds(r.params.get("where"), values)
    ]


def chain_rules(book: Rulebook, gate: str) -> list[Rule]:
    """The rules that order the approval chain of ``gate`` (承办人 → 审核人 → 批准人)."""
    return [r for r in book.rules_of("approval_chain") if r.params["gate"] == gate]


def refusal(
    rules: Iterable[Rule],
    message: str,
    *,
    satisfy: str,
    code: str,
    field: str = "",
    status: int = 409,
) -> Refused:
    """The refusal, each rule's finding with its article and what would satisfy it."""
    findings = [r.finding(message, satisfy=satisfy, field=field) for r in rules]
    return Refused(message, findings, code=code, status=status)
