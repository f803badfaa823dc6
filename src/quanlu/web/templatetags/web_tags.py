"""Template filters shared by every app's pages."""

from __future__ import annotations

from typing import Any

from django import template

from quanlu.rulebooks.loader import all_rulebooks, citation_label
from quanlu.web.labels import label_of

register = template.Library()


@register.filter
def citation(value: Any, rulebook_id: str | None = None) -> str:
    """An article as people read it, 《规定标题》第X条: ``{{ finding|citation }}``,
    ``{{ line.article|citation:case.rulebook_id }}`` for a stored article string, or
    ``{{ catalogue_citation|citation }}`` (a regulation file and article)."""
    if isinstance(value, str):
        return citation_label(value, rulebook_id or "")
    if hasattr(value, "rulebook"):  # a finding
        return citation_label(value.article, value.rulebook)
    # A citation without a rulebook id (the document catalogue's): found by its file.
    article = f"{value.source} {value.article}"
    for versions in all_rulebooks().values():
        if versions and versions[0].source == value.source:
            return citation_label(article, versions[0].id)
    return article


@register.filter
def code_label(value: Any) -> Any:
    """``{{ e.payload.to|code_label }}``: a code's Chinese label (调查取证 for
    ``investigation``); free text unchanged."""
    return label_of(value)
