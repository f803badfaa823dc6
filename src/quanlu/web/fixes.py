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

from quanlu.rulebooks.facts import Clip, Document, Facts, present
from quanlu.rulebooks.judgement import RuleResult
from quanlu.rulebooks.loader import citation_label
from quanlu.rulebooks.terms import GATES

# Rule kinds resolved on the case page itself, at the section holding their form.
_CASE_ANCHORS = {
    "application_recorded": ("application", "记录办理情况"),
    "case_fields_required": ("facts", "补充案件信息"),
    "av_required": ("media", "上传音像记录"),
    "av_prior_notice": ("documents", "制作文书"),
    "copy_request_approval": ("access", "处理查阅复制申请"),
    "confidential_exclusion": ("access", "处理查阅复制申请"),
    "confidentiality_managed": ("access", "标记保密事项"),
}
_ARCHIVE_KINDS = {"archive_deadline", "file_complete"}
_APPROVAL_KINDS = {"approval_required", "legal_review_required", "supplementary_approval_deadline"}
# Findings about what a document's signature set lacks: its first open slot fixes them.
_SIGNING_KINDS = {"documents_signed", "refusals_attested", "file_complete"}
# Findings that may be about either: signing fixes them when every field asked is there.
_FIELDS_AND_SIGNING_KINDS = {"document_fields_required", "service_method"}
# Findings about what a document says: a corrected version fixes them.
_CONTENT_KINDS = {
    "document_fields_required",
    "officers_present",
    "rights_notified",
    "av_prior_notice",
    "service_method",
}


@dataclass(frozen=True)
class Fix:
    url: str
    label: str


def _says_all(result: RuleResult, doc: Document) -> bool:
    """Whether the document states every field the rule asks (so only signing is left)."""
    wanted = result.rule.params.get("fields") or []
    return all(present(doc.fields.get(f)) for f in wanted if f in doc.type.keys)


def _document_fix(result: RuleResult, doc: Document) -> Fix:
    """The form on the document's page that resolves the finding: the upload of its
    photos and videos, its first unsigned slot, or its correction."""
    kind = result.rule.kind
    page = reverse("records:document", args=[doc.uid])
    if kind == "av_required" and not doc.uploaded:
        return Fix(f"{page}#media", f"为{doc.label}拍照、录像")
    signing = kind in _SIGNING_KINDS or (
        kind in _FIELDS_AND_SIGNING_KINDS and not doc.complete and _says_all(result, doc)
    )
    if signing and doc.open_slots:
        return Fix(f"{page}#slot-{doc.open_slots[0]}", f"去{doc.label}签署")
    if kind in _CONTENT_KINDS and not doc.uploaded:
        return Fix(reverse("records:document_amend", args=[doc.uid]), f"更正{doc.label}")
    return Fix(page, f"打开{doc.label}")


def _clip_fix(result: RuleResult, clip: Clip) -> Fix:
    page = reverse("media:record", args=[clip.uid])
    if result.rule.kind in ("av_linked", "file_complete"):
        return Fix(f"{page}#link", f"把「{clip.name}」关联到笔录")
    return Fix(page, f"打开音像记录「{clip.name}」")


def _approval_fix(case_url: str, result: RuleResult, facts: Facts) -> Fix:
    """The approval waiting to be signed, or the request form with its gate chosen."""
    gate = str(result.rule.params.get("gate", ""))
    label = GATES.get(gate, "审批")
    pending = [a for a in facts.approvals if a.gate == gate and a.status == "pending" and a.uid]
    if pending:
        return Fix(f"{case_url}#approval-{pending[-1].uid}", f"查看{label}进度")
    return Fix(
        f"{case_url}?gate={gate}#approval-request" if gate else f"{case_url}#approvals", f"提请{label}"
    )


def fix_for(case_id: str, result: RuleResult, facts: Facts) -> Fix:
    """The one page (and form on it) that resolves ``result`` for the case ``case_id``
    (its public id), as precise as the finding's subjects allow."""
    case_url = reverse("web:case", args=[case_id])
    for subject in result.outcome.subjects:
        if subject.startswith("type:"):
            code = subject.removeprefix("type:")
            url = reverse("records:document_new", args=[case_id])
            return Fix(f"{url}?type={code}", f"制作{facts.catalogue.title(code)}")
        doc = facts.doc(subject)
        if doc is not None:
            return _document_fix(result, doc)
        clip = next((c for c in facts.media if c.uid == subject), None)
        if clip is not None:
            return _clip_fix(result, clip)
        if any(g.uid == subject for g in facts.gaps):
            return Fix(reverse("media:gap", args=[subject]), "说明中断原因")
    kind = result.rule.kind
    if kind in _APPROVAL_KINDS:
        return _approval_fix(case_url, result, facts)
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
