"""Reads of the rulebooks app: a case's exemptions, with the documents they name."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from quanlu.cases.models import Case
from quanlu.rulebooks.models import Exemption


def exemptions_of(case: Case) -> QuerySet[Exemption]:
    return Exemption.objects.filter(case=case).select_related("recorded_by").order_by("recorded_at", "id")


def exemption_rows(case: Case) -> list[dict[str, Any]]:
    """Each exemption with the titles of the step's document and of its written reason."""
    from quanlu.records.models import Document

    rows = list(exemptions_of(case))
    uids = {e.document_uid for e in rows} | {e.written_reason_uid for e in rows if e.written_reason_uid}
    docs = {d.public_id: d for d in Document.objects.filter(case=case, public_id__in=uids)}
    return [
        {
            "exemption": e,
            "document": docs.get(e.document_uid),
            "written_reason": docs.get(e.written_reason_uid) if e.written_reason_uid else None,
        }
        for e in rows
    ]
