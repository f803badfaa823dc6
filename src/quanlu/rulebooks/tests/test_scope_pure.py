"""Each rule judges only the record kinds its article governs (issue 18, item 2).

For every rule of every rulebook that judges documents, a document of a kind outside
its scope — unsigned, empty, refused, without officers or recordings — must not be
judged by it, while the same broken document of a kind inside its scope is (so each
case can fail). Pure: the real catalogue and rulebooks, plain fact values, no database.
"""

from __future__ import annotations

from typing import Any

import pytest

from quanlu.rulebooks.facts import Document, Facts, Refusal
from quanlu.rulebooks.judgement import JUDGES, Status
from quanlu.rulebooks.loader import Rule, all_rulebooks
from quanlu.rulebooks.obligations import in_scope
from quanlu.rulebooks.providers import catalogue
from quanlu.rulebooks.tests.purefacts import NOW, ago, case

# The kinds that judge the documents in their scope one by one (documents_required asks
# for types to exist: a document of another type neither satisfies nor breaks it).
DOCUMENT_KINDS = (
    "documents_signed",
    "document_fields_required",
    "officers_present",
    "refusals_attested",
    "av_required",
)


def _fields_for(where: Any) -> dict[str, Any]:
    """Field values that make a rule's ``where`` hold."""
    out: dict[str, Any] = {}
    for cond in where if isinstance(where, list) else ([where] if where else []):
        if "in" in cond:
            out[cond["field"]] = cond["in"][0]
        elif "equals" in cond:
            out[cond["field"]] = cond["equals"]
        elif cond.get("present"):
            out[cond["field"]] = "x"
    return out


def _broken(code: str, rule: Rule) -> Facts:
    """One document of ``code`` that breaks every document rule: unsigned, its fields
    empty but the rule's ``where``, no officers, a refusal unattested, no recording."""
    kind = catalogue().types[code]
    doc = Document(
        uid="d-1",
        type=kind,
        title=kind.title,
        created_at=ago(days=1),
        fields=_fields_for(rule.params.get("where")),
        missing=("当事人未签名",),
    )
    return Facts(
        case=case(),
        catalogue=catalogue(),
        documents=(doc,),
        refusals=(Refusal(document="d-1", person_name="张三", attestations=0),),
    )


def _cases() -> list[Any]:
    out = []
    for book_id, versions in sorted(all_rulebooks().items()):
        for r in versions[-1].rules:
            if r.kind not in DOCUMENT_KINDS:
                continue
            codes = sorted(catalogue().types)
            inside = [c for c in codes if in_scope(r, c)]
            # The likeliest confusion: a kind of the same stage as the rule's own kinds.
            stages = {catalogue().types[c].stage for c in inside}
            outside = [c for c in codes if not in_scope(r, c)]
            near = [c for c in outside if catalogue().types[c].stage in stages] or outside
            out.append(pytest.param(r, inside[0], near[0], id=f"{book_id[:3]}-{r.id}"))
    return out


@pytest.mark.parametrize(("rule", "inside", "outside"), _cases())
def test_a_rule_does_not_judge_a_record_kind_its_article_does_not_govern(rule, inside, outside):
    judge = JUDGES[rule.kind]
    own = judge(rule, _broken(inside, rule), NOW)
    assert own.status == Status.UNMET, (rule.id, inside, own)
    other = judge(rule, _broken(outside, rule), NOW)
    assert other.status != Status.UNMET, (rule.id, outside, other)
    assert "d-1" not in other.subjects


def _judged_by(book_id: str, code: str) -> dict[str, str]:
    """The rules of a rulebook that find the one broken document of ``code`` wanting,
    with their articles."""
    book = all_rulebooks()[book_id][-1]
    found = {}
    for r in book.rules:
        broken = r.kind in DOCUMENT_KINDS and in_scope(r, code)
        if broken and JUDGES[r.kind](r, _broken(code, r), NOW).status == Status.UNMET:
            found[r.id] = r.citation.article
    return found


def test_001_judges_an_unsigned_hearing_record_under_article_16_alone():
    judged = _judged_by("001_985a08834cda7543", "hearing_transcript")
    signing = {rid: art for rid, art in judged.items() if not rid.startswith("av.")}
    assert signing == {"inv.hearing_signed": "第十六条"}
    book = all_rulebooks()["001_985a08834cda7543"][-1]
    assert book.rule("inv.hearing_signed").citation.quote.startswith("听证文书应当记录听证的全过程")


def test_001_still_judges_an_unsigned_inquiry_record_under_article_14():
    judged = _judged_by("001_985a08834cda7543", "inquiry_transcript")
    assert judged["inv.party_records_signed"] == "第十四条"
    assert judged["inv.refusal_two_officers"] == "第十四条"
    assert "inv.hearing_signed" not in judged
