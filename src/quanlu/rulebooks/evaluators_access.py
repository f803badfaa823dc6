"""Judges of the access rule kinds. The obligations bind when the access services act
(a fulfilment refuses an unapproved request and withholds marked records); the judges
re-read what was done, so a case's findings show it."""

from __future__ import annotations

import datetime as dt

from quanlu.rulebooks.facts import Facts, Mark, Released
from quanlu.rulebooks.judgement import Outcome, evaluates
from quanlu.rulebooks.loader import Rule
from quanlu.rulebooks.terms import SECRET_CATEGORIES


@evaluates("copy_request_approval")
def copy_request_approval(rule: Rule, facts: Facts, now: dt.datetime) -> Outcome:
    done = facts.copies
    if not done:
        return Outcome.not_applicable("本案没有已提供的复制件。")
    unapproved = [c for c in done if not c.approved]
    if unapproved:
        return Outcome.unmet(
            f"{len(unapproved)} 份复制件未经同意即提供。",
            satisfy="复制申请须经规定的负责人同意后方可提供。",
            subjects=tuple(c.request_uid for c in unapproved),
        )
    return Outcome.met(f"{len(done)} 份复制件均经同意后提供。")


def _marked_then(mark: Mark, line: Released, categories: set[str]) -> bool:
    """The mark was live on the record when it was released."""
    return (
        mark.item == line.item
        and mark.category in categories
        and mark.at <= line.at
        and not (mark.lifted_at is not None and mark.lifted_at <= line.at)
    )


@evaluates("confidential_exclusion")
def confidential_exclusion(rule: Rule, facts: Facts, now: dt.datetime) -> Outcome:
    categories = set(rule.params.get("categories", list(SECRET_CATEGORIES)))
    leaked = [line for line in facts.released if any(_marked_then(m, line, categories) for m in facts.marks)]
    if leaked:
        return Outcome.unmet(
            f"{len(leaked)} 项依法应保密的记录被复制提供。",
            satisfy="复制时排除标注为国家秘密、商业秘密、个人隐私的记录。",
        )
    return Outcome.met("复制件不含依法应保密的记录。")


@evaluates("confidentiality_managed")
def confidentiality_managed(rule: Rule, facts: Facts, now: dt.datetime) -> Outcome:
    live = sum(1 for m in facts.marks if m.lifted_at is None)
    if not live:
        return Outcome.not_applicable("本案没有标注涉密的记录。")
    return Outcome.met(
        f"本案 {live} 项涉密标注；其内容仅限本机关承办、审核、法制审核、负责人、档案人员及经负责人批准的人员查看。"
    )
