"""The facts of a case's copies and confidentiality marks, for the rules: which
fulfilled copy requests had been approved, which records were released and when, and
each mark with when it was lifted. Registered with the rules engine at start (``bind``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from quanlu.access.models import ConfidentialityMark, CopyFulfilment, DecisionOutcome, MarkAction, ReleaseLine
from quanlu.cases.models import Case
from quanlu.rulebooks import facts
from quanlu.rulebooks.providers import register


def _item(document_id: int | None, media_id: int | None) -> str:
    return f"document:{document_id}" if document_id else f"media:{media_id}"


def _approved(fulfilment: CopyFulfilment) -> bool:
    decision = getattr(fulfilment.request, "decision", None)
    return decision is not None and decision.outcome == DecisionOutcome.APPROVED


def provide_many(cases: Sequence[Case]) -> dict[int, dict[str, Any]]:
    """Each table read once for all ``cases``."""
    copies: dict[int, list[facts.CopyRelease]] = defaultdict(list)
    for f in CopyFulfilment.objects.filter(request__case__in=cases).select_related("request__decision"):
        copies[f.request.case_id].append(
            facts.CopyRelease(request_uid=str(f.request.public_id), approved=_approved(f))
        )
    released: dict[int, list[facts.Released]] = defaultdict(list)
    lines = ReleaseLine.objects.filter(fulfilment__request__case__in=cases, released=True).select_related(
        "fulfilment__request"
    )
    for line in lines:
        released[line.fulfilment.request.case_id].append(
            facts.Released(item=_item(line.document_id, line.media_id), at=line.fulfilment.at)
        )
    marks: dict[int, list[facts.Mark]] = defaultdict(list)
    for m in (
        ConfidentialityMark.objects.filter(case__in=cases, action=MarkAction.MARKED)
        .select_related("lifted_by")
        .order_by("at", "id")
    ):
        marks[m.case_id].append(
            facts.Mark(
                item=_item(m.document_id, m.media_id),
                category=m.category,
                at=m.at,
                lifted_at=lift.at if (lift := getattr(m, "lifted_by", None)) is not None else None,
            )
        )
    return {
        c.pk: {"copies": tuple(copies[c.pk]), "released": tuple(released[c.pk]), "marks": tuple(marks[c.pk])}
        for c in cases
    }


def provide(case: Case) -> dict[str, Any]:
    return provide_many([case])[case.pk]


def bind() -> None:
    register("access", provide, fields=("copies", "released", "marks"), provide_many=provide_many)
