"""The case page's hook: whether the case is carried offline, and what came back."""

from __future__ import annotations

from typing import Any

from django import template

from quanlu.field import selectors as fs

register = template.Library()


@register.inclusion_tag("field/_case_status.html")
def field_case_status(case: Any) -> dict[str, Any]:
    takeouts = list(fs.takeouts_for_case(case))
    return {"case": case, "takeouts": takeouts, "receipts": list(fs.receipts_for_case(case))}
