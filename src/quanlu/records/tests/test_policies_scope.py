"""The catalogue's signing policies bind only the record kinds their article governs
(issue 18, item 2): each names a rule of the rulebook it binds, citing the same article
in words that include the policy's own, and selects exactly the kinds that rule judges.
Under 001 the hearing record (第十六条) has none of 第十四条's demands. Pure."""

from __future__ import annotations

from typing import Any

import pytest

from quanlu.records.catalogue import catalogue
from quanlu.records.doctypes import Policy
from quanlu.rulebooks.loader import all_rulebooks
from quanlu.rulebooks.obligations import in_scope

R001 = "001_985a08834cda7543"


def _policies() -> list[Any]:
    c = catalogue()
    named = {"refusal_min_officers": c.refusal_rules, "amendment": c.amendment_confirmation}
    named["straddle_seal"] = c.straddle_seal
    return [
        pytest.param(p, book, id=f"{name}-{book[:3]}")
        for name, policies in named.items()
        for p in policies
        for book in p.rulebooks
    ]


def _kinds(policy: Policy, book: str) -> set[str]:
    return {code for code, t in catalogue().types.items() if policy.applies(t, book)}


@pytest.mark.parametrize(("policy", "book"), _policies())
def test_a_policy_binds_the_kinds_the_rule_citing_its_article_judges(policy, book):
    rules = [
        r
        for r in all_rulebooks()[book][-1].rules
        if f"{r.citation.source} {r.citation.article}" == policy.citation.label()
        and policy.citation.quote in r.citation.quote
    ]
    assert rules, f"no rule of {book} cites {policy.citation.label()} 「{policy.citation.quote}」"
    judged = [{c for c in catalogue().types if in_scope(r, c)} for r in rules]
    assert _kinds(policy, book) in judged, (policy.citation.label(), sorted(_kinds(policy, book)))


def test_under_001_the_hearing_record_has_none_of_article_14s_demands_the_inquiry_record_all():
    c = catalogue()
    hearing, inquiry = c.get("hearing_transcript"), c.get("inquiry_transcript")
    assert c.refusal_min_officers(hearing, R001) == (1, None)
    assert c.confirmation_policy(hearing, R001) is None
    assert c.straddle_policy(hearing, R001) is None
    officers, cite = c.refusal_min_officers(inquiry, R001)
    assert (officers, cite.article if cite else "") == (2, "第十四条")
    for policy in (c.confirmation_policy(inquiry, R001), c.straddle_policy(inquiry, R001)):
        assert policy is not None
        assert policy.citation.article == "第十四条"
    # Another regulation's hearing and inquiry records: the catalogue's defaults.
    assert c.refusal_min_officers(inquiry, "004_b4c2f06b7eb1ab1e") == (1, None)


def test_a_policy_selecting_by_an_unknown_key_is_refused_at_load(tmp_path):
    from quanlu.records.catalogue import CatalogueError, load_dir

    (tmp_path / "_common.yaml").write_text(
        "policies:\n  straddle_seal:\n    - rulebooks: [x]\n      applies_to: {flags: 1}\n"
        "      min_pages: 2\n      citation: {source: x.txt, article: 第一条, quote: 骑缝}\n",
        encoding="utf-8",
    )
    with pytest.raises(CatalogueError, match="applies_to: unknown key"):
        load_dir(tmp_path)
