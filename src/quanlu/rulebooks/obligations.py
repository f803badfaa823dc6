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
from quanlu.rulebooks.facts import selects, where_holds
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
    return kind is not None and selects(select, kind)


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


def form_chain_rules(book: Rulebook, type_code: str) -> list[Rule]:
    """The rules that order the approval chain a form of ``type_code`` records (the
    internal approval form of the decision gate): signing it is that chain's step."""
    return [r for r in book.rules_of("approval_chain") if in_scope(r, type_code)]


def supplement_notice_rules(book: Rulebook) -> list[Rule]:
    """The rules that ask a supplement notice to list everything at once (一次性告知)."""
    return [r for r in book.rules_of("application_recorded") if r.params.get("single_supplement_notice")]


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
