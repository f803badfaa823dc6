"""`{% case_access_card case %}`: the case page's confidentiality and copy-request
section, rendered by this app so the case view needs no knowledge of access."""

from __future__ import annotations

from typing import Any

from django import template

from quanlu.access import selectors as acs

register = template.Library()

STATUS_LABELS = {"pending": "待决定", "approved": "已同意", "refused": "不同意", "fulfilled": "已提供"}


@register.inclusion_tag("access/_case_card.html")
def case_access_card(case: Any) -> dict[str, Any]:
    marks = [m for m in acs.marks_of_case(case) if m.action == "marked" and not hasattr(m, "lifted_by")]
    requests = [
        {
            "r": r,
            "status": STATUS_LABELS[acs.copy_request_status(r)],
            "fulfilment": getattr(r, "fulfilment", None),
        }
        for r in acs.copy_requests_of(case)
    ]
    return {"case": case, "marks": marks, "requests": requests}
