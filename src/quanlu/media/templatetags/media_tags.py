"""`{% case_media_card case %}`: the case page's audio-visual section, rendered by
this app so the case view needs no knowledge of media."""

from __future__ import annotations

from typing import Any

from django import template

from quanlu.media.models import MediaRecord
from quanlu.media.selectors import unexplained_gaps

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
