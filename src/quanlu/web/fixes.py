"""Where an officer fixes a finding: from a rule result and the facts it judged, the
link to the page (and the form on it) that resolves it, with a short Chinese label.

The rulebooks judge facts and know no URLs; a finding names what it is about in
``subjects`` (document ids, ``type:<code>`` for a document that is missing, or the id
of an audio-visual record, a gap, a copy request or an order). This module turns that
into a link, so the compliance card, the refused move and the to-do list all lead to
the same place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from quanlu.rulebooks.facts import Facts
from quanlu.rulebooks.judgement import RuleResult
from quanlu.rulebooks.loader import citation_label

# Rule kinds resolved on the case page itself, at the section holding their form.
_CASE_ANCHORS = {
    "approval_required": ("approvals", "办理审批"),
    "legal_review_required": ("approvals", "办理审批"),
    "supplementary_approval_deadline": ("approvals", "提请补报审批"),
    "application_recorded": ("application", "记录办理情况"),
    "case_fields_required": ("facts", "补充案件信息"),
    "av_required": ("media", "上传音像记录"),
    "av_prior_notice": ("documents", "制作文书"),
    "copy_request_approval": ("access", "处理查阅复制申请"),
    "confidential_exclusion": ("access", "处理查阅复制申请"),
    "confidentiality_managed": ("access", "标记保密事项"),
}
_ARCHIVE_KINDS = {"archive_deadline", "file_complete"}


@dataclass(frozen=True)
class Fix:
    url: str
    label: str


def fix_for(case_id: str, result: RuleResult, facts: Facts) -> Fix:
    """The one page that resolves ``result`` for the case ``case_id`` (its public id)."""
    case_url = reverse("web:case", args=[case_id])
    for subject in result.outcome.subjects:
        if subject.startswith("type:"):
            code = subject.removeprefix("type:")
            url = reverse("records:document_new", args=[case_id])
            return Fix(f"{url}?type={code}", f"制作{facts.catalogue.title(code)}")
        doc = facts.doc(subject)
        if doc is not None:
            return Fix(reverse("records:document", args=[subject]), f"打开{doc.label}")
        clip = next((c for c in facts.media if c.uid == subject), None)
        if clip is not None:
            return Fix(reverse("media:record", args=[subject]), f"打开音像记录「{clip.name}」")
        if any(g.uid == subject for g in facts.gaps):
            return Fix(reverse("media:gap", args=[subject]), "说明中断原因")
    kind = result.rule.kind
    if kind in _ARCHIVE_KINDS:
        return Fix(reverse("archive:case", args=[case_id]), "组卷归档")
    anchor, label = _CASE_ANCHORS.get(kind, ("documents", "制作或更正文书"))
    return Fix(f"{case_url}#{anchor}", label)


def plain_citation(result: RuleResult) -> str:
    """《规定标题》第X条, the article in words an officer reads (no rule or requirement ids)."""
    return citation_label(result.rule.citation.article, result.rulebook.id)


def finding_rows(case_id: str, results: list[RuleResult], facts: Facts) -> list[dict[str, Any]]:
    """Results to show, each once: a sentence said by two rules (or twice by the same
    gate) is listed once, so the count beside the list is the list's length. Each row has
    the article in words and the link to the page that fixes it."""
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for r in results:
        key = r.outcome.message or r.rule.id
        if key in seen:
            continue
        seen.add(key)
        rows.append({"r": r, "citation": plain_citation(r), "fix": fix_for(case_id, r, facts)})
    return rows
