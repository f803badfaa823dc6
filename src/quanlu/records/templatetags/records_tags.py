from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.simple_tag
def case_documents(case: Any) -> list[dict[str, Any]]:
    """The case's documents with their state, for the case page."""
    from quanlu.records.selectors import current_version, document_missing, documents_of_case

    rows = []
    for doc in documents_of_case(case):
        version = current_version(doc)
        rows.append({"doc": doc, "version": version.number, "complete": not document_missing(doc, version)})
    return rows
