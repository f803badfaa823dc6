"""The facts of a case's audio-visual records, for the rules: each record with what
its latest link ties it to and whether it was stored in time, the open gaps between
clips, the explanations of interruptions, and the exemptions recorded. Registered
with the rules engine at start (``bind``); each table is read once for the case."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db.models import Prefetch

from quanlu.cases.models import Case
from quanlu.media.models import Exemption, ExplanationForm, Gap, Interruption, MediaLink, MediaRecord
from quanlu.rulebooks import facts
from quanlu.rulebooks.providers import register


def _clip(record: MediaRecord) -> facts.Clip:
    links = list(record.links.all())  # oldest first: the latest is what it is tied to now
    link = links[-1] if links else None
    return facts.Clip(
        uid=str(record.public_id),
        name=record.name,
        media_kind=record.kind,
        received_at=record.received_at,
        captured_start=record.captured_start,
        captured_end=record.captured_end,
        device_kind=record.device.kind if record.device is not None else "",
        has_officer=record.officer_id is not None,
        linked=link is not None,
        document_uid=str(link.document_uid) if link is not None and link.document_uid else "",
        upload_due_at=record.upload_due_at,
        upload_overdue=record.upload_overdue,
    )


def provide_many(cases: Sequence[Case]) -> dict[int, dict[str, Any]]:
    """Each table read once for all ``cases``."""
    records = (
        MediaRecord.objects.filter(case__in=cases)
        .select_related("device")
        .prefetch_related(Prefetch("links", queryset=MediaLink.objects.order_by("linked_at", "id")))
        .order_by("captured_start", "received_at", "id")
    )
    clips: dict[int | None, list[facts.Clip]] = defaultdict(list)
    for r in records:
        clips[r.case_id].append(_clip(r))
    gaps: dict[int, list[facts.Gap]] = defaultdict(list)
    for g in Gap.objects.filter(case__in=cases, closed_at__isnull=True).prefetch_related("explanations"):
        gaps[g.case_id].append(
            facts.Gap(
                uid=str(g.public_id),
                activity_label=g.activity_label,
                seconds=g.seconds,
                explained=bool(g.explanations.all()),
            )
        )
    interruptions: dict[int, list[facts.Interruption]] = defaultdict(list)
    for i in Interruption.objects.filter(case__in=cases).prefetch_related("signatures"):
        interruptions[i.case_id].append(
            facts.Interruption(
                reason_label=i.get_reason_display(),
                written=i.form == ExplanationForm.WRITTEN,
                signers=len(i.signatures.all()),
            )
        )
    exemptions: dict[int, list[facts.Exemption]] = defaultdict(list)
    for e in Exemption.objects.filter(case__in=cases).order_by("recorded_at", "id"):
        exemptions[e.case_id].append(
            facts.Exemption(
                document_uid=str(e.document_uid),
                activity=e.activity,
                kind=e.kind,
                reason=e.reason,
                written_reason_uid=str(e.written_reason_uid) if e.written_reason_uid else "",
            )
        )
    return {
        c.pk: {
            "media": tuple(clips[c.pk]),
            "gaps": tuple(gaps[c.pk]),
            "interruptions": tuple(interruptions[c.pk]),
            "exemptions": tuple(exemptions[c.pk]),
        }
        for c in cases
    }


def provide(case: Case) -> dict[str, Any]:
    return provide_many([case])[case.pk]


def bind() -> None:
    register(
        "media", provide, fields=("media", "gaps", "interruptions", "exemptions"), provide_many=provide_many
    )
