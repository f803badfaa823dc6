"""What a reader who may not have a marked record's content sees in its place, on the
surfaces that quote content indirectly: ledger events about the record and rule-check
findings about it. Both are decided by ``selectors.content_view`` (the one rule)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from quanlu.access.selectors import ContentView, Withheld

if TYPE_CHECKING:
    from quanlu.ledger.models import Event
    from quanlu.rulebooks.evaluator import RuleResult

# Payload keys that name the record an event is about (a document; an audio-visual record).
SUBJECT_KEYS = ("document", "record")

# What stays of a withheld event: identifiers, type, title, stage, counts, times and
# hashes — enough to know what happened to which record, none of what it says. Anything
# else (reasons, names, file names, and whatever a later payload adds) is dropped.
EVENT_KEEP = frozenset(
    {
        "document",
        "record",
        "type",
        "title",
        "number",
        "version",
        "version_number",
        "stage",
        "case_stage",
        "replaces",
        "replaces_number",
        "replaces_content_sha256",
        "changed_fields",
        "content_sha256",
        "pdf_sha256",
        "docx_sha256",
        "file_sha256",
        "file_sm3",
        "image_sha256",
        "sha256",
        "sm3",
        "size",
        "pages",
        "media_type",
        "kind",
        "name",
        "issuer",
        "signature",
        "signatures",
        "slot",
        "role",
        "method",
        "signature_method",
        "signer",
        "refusal",
        "officers",
        "officers_needed",
        "rule",
        "link",
        "device",
        "officer",
        "via",
        "captured_start",
        "captured_end",
        "upload_due_at",
        "overdue",
        "flags",
    }
)


def event_withheld(view: ContentView, payload: dict[str, Any]) -> Withheld | None:
    return view.withheld_any(payload.get(k) for k in SUBJECT_KEYS if isinstance(payload.get(k), str))


def event_payload(view: ContentView, payload: dict[str, Any]) -> dict[str, Any]:
    """The payload as this reader may see it: whole, or, for an event about a marked
    record they may not read, its metadata and the mark with the reason. Rule findings
    an event carries (a stage move's ``warnings``) are judged one by one."""
    withheld = event_withheld(view, payload)
    if withheld is None:
        warnings = payload.get("warnings")
        if isinstance(warnings, list) and warnings:
            return {**payload, "warnings": [_warning(view, w) for w in warnings]}
        return payload
    kept = {k: v for k, v in payload.items() if k in EVENT_KEEP}
    return {**kept, "withheld": withheld.as_dict()}


def _warning(view: ContentView, warning: Any) -> Any:
    if not isinstance(warning, dict):
        return warning
    withheld = view.withheld_any(s for s in str(warning.get("subjects") or "").split(",") if s)
    if withheld is None:
        return warning
    return {**warning, "message": withheld_message(withheld), "withheld": withheld.as_dict()}


@dataclass(frozen=True)
class ShownEvent:
    """A ledger event with the payload one reader may see (templates read it like the event)."""

    event: Event
    payload: dict[str, Any]
    withheld: Withheld | None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.event, name)


def events_for(view: ContentView, events: Iterable[Event]) -> list[ShownEvent]:
    return [ShownEvent(e, event_payload(view, e.payload), event_withheld(view, e.payload)) for e in events]


def finding_withheld(view: ContentView, result: RuleResult) -> Withheld | None:
    return view.withheld_any(result.outcome.subjects)


def withheld_message(withheld: Withheld) -> str:
    return f"本项涉及标注为{withheld.mark}的记录，具体情况不予显示。{withheld.reason}"


def results_for(view: ContentView, results: Iterable[RuleResult]) -> list[RuleResult]:
    """Rule results whose message may quote a marked record this reader may not read
    (the finding names it among its subjects) get a message saying so instead."""
    out = []
    for r in results:
        withheld = finding_withheld(view, r)
        if withheld is not None:
            r = replace(r, outcome=replace(r.outcome, message=withheld_message(withheld)))
        out.append(r)
    return out


def result_dict(view: ContentView, result: RuleResult) -> dict[str, Any]:
    """``RuleResult.as_dict`` as this reader may see it, with ``withheld`` (or None)."""
    withheld = finding_withheld(view, result)
    shown = results_for(view, [result])[0]
    return {**shown.as_dict(), "withheld": withheld.as_dict() if withheld else None}
