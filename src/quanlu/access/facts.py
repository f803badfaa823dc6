"""The facts of a case's copies and confidentiality marks, for the rules: which
fulfilled copy requests had been approved, which records were released and when, and
each mark with when it was lifted. Registered with the rules engine at start (``bind``)."""

from __future__ import annotations

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


def provide(case: Case) -> dict[str, Any]:
    fulfilled = CopyFulfilment.objects.filter(request__case=case).select_related("request__decision")
    released = ReleaseLine.objects.filter(fulfilment__request__case=case, released=True).select_related(
        "fulfilment"
    )
    marks = (
        ConfidentialityMark.objects.filter(case=case, action=MarkAction.MARKED)
        .select_related("lifted_by")
        .order_by("at", "id")
    )
    return {
        "copies": tuple(
            facts.CopyRelease(request_uid=str(f.request.public_id), approved=_approved(f)) for f in fulfilled
        ),
        "released": tuple(
            facts.Released(item=_item(line.document_id, line.media_id), at=line.fulfilment.at)
            for line in released
        ),
        "marks": tuple(
            facts.Mark(
                item=_item(m.document_id, m.media_id),
                category=m.category,
                at=m.at,
                lifted_at=lift.at if (lift := getattr(m, "lifted_by", None)) is not None else None,
            )
            for m in marks
        ),
    }


def bind() -> None:
    register("access", provide, fields=("copies", "released", "marks"))
