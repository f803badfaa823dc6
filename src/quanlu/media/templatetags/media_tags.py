"""`{% case_media_card case %}`: the case page's audio-visual section, rendered by
this app so the case view needs no knowledge of media."""

from __future__ import annotations

from typing import Any

from django import template

from quanlu.media.models import MediaRecord
from quanlu.media.selectors import linked_to_document, unexplained_gaps

register = template.Library()


@register.inclusion_tag("media/_case_card.html")
def case_media_card(case: Any) -> dict[str, Any]:
    records = MediaRecord.objects.filter(case=case)
    return {
        "case": case,
        "count": records.count(),
        "latest": records.order_by("-received_at")[:3],
        "overdue": records.filter(upload_overdue=True).count(),
        "flagged": records.exclude(flags=[]).count(),
        "gaps": unexplained_gaps(case).count(),
    }


@register.inclusion_tag("media/_document_attach.html", takes_context=True)
def document_media(context: Any, document: Any, writable: bool) -> dict[str, Any]:
    """A transcript's own photos and videos, and the picker that uploads more and links
    them to it (the records page needs no knowledge of media)."""
    linked = linked_to_document(document.public_id)
    return {
        "doc": document,
        "case": document.case,
        "linked": linked,
        "writable": writable,
        "csrf_token": context.get("csrf_token"),
    }
