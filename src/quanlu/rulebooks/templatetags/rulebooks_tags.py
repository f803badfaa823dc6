"""`{% case_exemptions_card %}`: the case page's exemptions section, rendered by
this app so the case view needs no knowledge of exemptions."""

from __future__ import annotations

from typing import Any

from django import template

from quanlu.cases.models import Case
from quanlu.media.selectors import exemptions_of
from quanlu.records.models import Document
from quanlu.records.selectors import documents_of_case
from quanlu.rulebooks.evaluator import Status, evaluate, rulebook_for
from quanlu.rulebooks.forms import ExemptionForm
from quanlu.rulebooks.providers import gather
from quanlu.web.fixes import finding_rows

register = template.Library()


def exemption_rows(case: Case) -> list[dict[str, Any]]:
    """Each exemption with the step's document and its written reason, for showing."""
    rows = list(exemptions_of(case))
    uids = {e.document_uid for e in rows} | {e.written_reason_uid for e in rows if e.written_reason_uid}
    docs = {d.public_id: d for d in Document.objects.filter(case=case, public_id__in=uids)}
    return [
        {
            "exemption": e,
            "document": docs.get(e.document_uid),
            "written_reason": docs.get(e.written_reason_uid) if e.written_reason_uid else None,
        }
        for e in rows
    ]


@register.inclusion_tag("rulebooks/_exemptions_card.html", takes_context=True)
def case_exemptions_card(context: Any) -> dict[str, Any]:
    case = context["case"]
    writable = bool(context.get("writable"))
    return {
        "case": case,
        "rows": exemption_rows(case),
        "writable": writable,
        "form": ExemptionForm(documents=list(documents_of_case(case))) if writable else None,
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("rulebooks/_compliance_card.html", takes_context=True)
def case_compliance_card(context: Any) -> dict[str, Any]:
    """Every rule of the case's rulebook with its finding: breaches first (blocking,
    then warnings), each naming the record and linking to its fix; the rest folded away."""
    case = context["case"]
    facts = context.get("facts") or gather(case)
    results = context.get("compliance")
    if results is None:
        results = evaluate(facts)
    unmet = sorted((r for r in results if r.status == Status.UNMET), key=lambda r: r.rule.severity != "block")
    uid = str(case.public_id)
    rows = finding_rows(uid, unmet, facts)
    return {
        "case": case,
        "writable": bool(context.get("writable")),
        "rulebook": context.get("rulebook") or rulebook_for(case),
        "unmet": rows,
        # The blocked moves, listed with their reasons in the case page's 推进阶段 card.
        "blocked_moves": [m for m in context.get("moves") or [] if m["blocking"]],
        "blocking_count": sum(1 for row in rows if row["r"].blocking),
        "met": finding_rows(uid, [r for r in results if r.status == Status.MET], facts),
        "others": finding_rows(uid, [r for r in results if r.status == Status.NOT_APPLICABLE], facts),
    }
