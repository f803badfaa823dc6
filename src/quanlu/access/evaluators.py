"""Evaluators of the access rule kinds. The obligations bind when the access
services act (a fulfilment refuses an unapproved request and withholds marked
records); the evaluator re-reads what was done, so a case's findings show it."""

from __future__ import annotations

from typing import Any

from quanlu.access.models import ConfidentialityMark, CopyFulfilment, DecisionOutcome, MarkAction, ReleaseLine
from quanlu.rulebooks.evaluator import Context, Outcome, evaluates
from quanlu.rulebooks.loader import Rule


@evaluates("copy_request_approval")
def copy_request_approval(rule: Rule, ctx: Context) -> Outcome:
    done = CopyFulfilment.objects.filter(request__case=ctx.case).select_related("request__decision")
    if not done:
        return Outcome.not_applicable("本案没有已提供的复制件。")
    unapproved = [
        f
        for f in done
        if getattr(f.request, "decision", None) is None
        or f.request.decision.outcome != DecisionOutcome.APPROVED
    ]
    if unapproved:
        return Outcome.unmet(
            f"{len(unapproved)} 份复制件未经同意即提供。",
            satisfy="复制申请须经规定的负责人同意后方可提供。",
            subjects=tuple(str(f.request.public_id) for f in unapproved),
        )
    return Outcome.met(f"{len(done)} 份复制件均经同意后提供。")


def _same_item(line: ReleaseLine) -> dict[str, Any]:
    return {"document_id": line.document_id} if line.document_id else {"media_id": line.media_id}


@evaluates("confidential_exclusion")
def confidential_exclusion(rule: Rule, ctx: Context) -> Outcome:
    categories = set(rule.params.get("categories", ["state_secret", "trade_secret", "personal_privacy"]))
    leaked = []
    for line in ReleaseLine.objects.filter(fulfilment__request__case=ctx.case, released=True).select_related(
        "fulfilment"
    ):
        marked_then = ConfidentialityMark.objects.filter(
            action=MarkAction.MARKED,
            category__in=categories,
            at__lte=line.fulfilment.at,
            **_same_item(line),
        ).exclude(lifted_by__at__lte=line.fulfilment.at)
        if marked_then.exists():
            leaked.append(line)
    if leaked:
        return Outcome.unmet(
            f"{len(leaked)} 项依法应保密的记录被复制提供。",
            satisfy="复制时排除标注为国家秘密、商业秘密、个人隐私的记录。",
        )
    return Outcome.met("复制件不含依法应保密的记录。")


@evaluates("confidentiality_managed")
def confidentiality_managed(rule: Rule, ctx: Context) -> Outcome:
    live = ConfidentialityMark.objects.filter(
        case=ctx.case, action=MarkAction.MARKED, lifted_by__isnull=True
    ).count()
    if not live:
        return Outcome.not_applicable("本案没有标注涉密的记录。")
    return Outcome.met(
        f"本案 {live} 项涉密标注；其内容仅限本机关承办、审核、法制审核、负责人、档案人员及经负责人批准的人员查看。"
    )
