from typing import Any

from django import template

from quanlu.access.selectors import content_view
from quanlu.org.models import Officer
from quanlu.records.models import Voiding
from quanlu.records.selectors import current_version, document_missing, documents_of_case

register = template.Library()


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.simple_tag(takes_context=True)
def case_documents(context: Any, case: Any) -> list[dict[str, Any]]:
    """The case's documents with their state, for the case page; a marked one the
    reader may not read carries its mark (``withheld``); a voided draft says so
    (``voided``, its reason in ``void_reason``)."""
    user = getattr(context.get("request"), "user", None)
    view = content_view(user if isinstance(user, Officer) else None, cases=[case])
    rows = []
    voided = dict(Voiding.objects.filter(document__case=case).values_list("document_id", "reason"))
    for doc in documents_of_case(case):
        version = current_version(doc)
        rows.append(
            {
                "doc": doc,
                "version": version.number,
                "complete": not document_missing(doc, version),
                "withheld": view.withheld(doc),
                "voided": doc.pk in voided,
                "void_reason": voided.get(doc.pk, ""),
            }
        )
    return rows
