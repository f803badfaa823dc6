"""Reads about audio-visual records, always through what the reader may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from quanlu.cases.models import Case
from quanlu.core.errors import NotFound
from quanlu.core.validation import parse_uuid
from quanlu.media.models import Exemption, Gap, MediaLink, MediaRecord, Upload
from quanlu.org.models import Officer
from quanlu.org.selectors import visible_agencies


def media_list_for(
    officer: Officer, *, case: Case | None = None, unassigned: bool = False
) -> QuerySet[MediaRecord]:
    qs = MediaRecord.objects.filter(agency__in=visible_agencies(officer))
    if case is not None:
        qs = qs.filter(case=case)
    elif unassigned:
        qs = qs.filter(case__isnull=True)
    return qs.select_related("case", "device", "officer", "agency").prefetch_related(
        Prefetch("links", queryset=MediaLink.objects.order_by("linked_at", "id"))
    )


def media_get_for(officer: Officer, public_id: Any) -> MediaRecord:
    """The record if ``officer`` may see it; otherwise 404, whether it exists or not."""
    try:
        uid = parse_uuid(public_id)
    except Exception as exc:
        raise NotFound() from exc
    record = media_list_for(officer).filter(public_id=uid).first()
    if record is None:
        raise NotFound()
    return record


def current_link(record: MediaRecord) -> MediaLink | None:
    links = list(record.links.all())
    return links[-1] if links else None


def linked_to_document(document_uid: Any) -> list[MediaRecord]:
    """The records whose latest link ties them to this document, oldest first (a record
    linked there once and since moved elsewhere is not the document's)."""
    found = (
        MediaRecord.objects.filter(links__document_uid=document_uid)
        .distinct()
        .prefetch_related("links")
        .order_by("received_at")
    )
    out = []
    for record in found:
        link = current_link(record)
        if link is not None and str(link.document_uid) == str(document_uid):
            out.append(record)
    return out


def gaps_of(case: Case, *, open_only: bool = False) -> QuerySet[Gap]:
    qs = Gap.objects.filter(case=case).select_related("device", "before", "after")
    if open_only:
        qs = qs.filter(closed_at__isnull=True)
    return qs.prefetch_related("explanations__signatures__officer")


def unexplained_gaps(case: Case) -> QuerySet[Gap]:
    return gaps_of(case, open_only=True).filter(explanations__isnull=True)


def gap_get_for(officer: Officer, public_id: Any) -> Gap:
    try:
        uid = parse_uuid(public_id)
    except Exception as exc:
        raise NotFound() from exc
    gap = (
        Gap.objects.filter(public_id=uid, case__agency__in=visible_agencies(officer))
        .select_related("case")
        .first()
    )
    if gap is None:
        raise NotFound()
    return gap


def upload_get_for(officer: Officer, public_id: Any) -> Upload:
    """A resumable upload is its uploader's alone: anyone else gets 404."""
    try:
        uid = parse_uuid(public_id)
    except Exception as exc:
        raise NotFound() from exc
    upload = (
        Upload.objects.filter(public_id=uid, uploader=officer).select_related("case", "case__agency").first()
    )
    if upload is None:
        raise NotFound()
    return upload


def media_search(officer: Officer, query: str) -> QuerySet[MediaRecord]:
    return media_list_for(officer).filter(
        Q(name__icontains=query) | Q(device__device_no__icontains=query) | Q(sha256__startswith=query.lower())
    )


def exemptions_of(case: Case) -> QuerySet[Exemption]:
    return Exemption.objects.filter(case=case).select_related("recorded_by").order_by("recorded_at", "id")
