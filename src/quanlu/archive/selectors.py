"""Reads about dossiers, always through what the reader may see (404 otherwise)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.db.models import QuerySet

from quanlu.access.redaction import withheld_message
from quanlu.access.selectors import ContentView
from quanlu.archive.dossier import Missing
from quanlu.archive.models import (
    CURRENT_STATUSES,
    ArchiveSettings,
    DispositionRequest,
    DispositionStatus,
    Dossier,
    DossierItem,
    DossierStatus,
    ItemKind,
    LegalHold,
    PackageExport,
    Retention,
)
from quanlu.cases.models import Case, Stage
from quanlu.cases.selectors import case_get_for
from quanlu.core.errors import NotFound
from quanlu.core.validation import parse_uuid
from quanlu.media.models import MediaLink
from quanlu.org.models import Agency, Officer, Role
from quanlu.org.selectors import visible_agencies

# Defaults until an agency saves its own settings (docs/notes/archive-design.md §3, §7):
# 行政处罚 general procedure and major decisions 永久, simplified procedure 30年, cases that
# ended before any decision (不予立案, 终止调查) 10年.
DEFAULT_RETENTION = {
    "retention_general": Retention.PERMANENT,
    "retention_simplified": Retention.Y30,
    "retention_major": Retention.PERMANENT,
    "retention_terminated": Retention.Y10,
}


def archive_settings_for(agency: Agency) -> ArchiveSettings:
    """The agency's latest settings, or (unsaved) defaults."""
    found = ArchiveSettings.objects.filter(agency=agency).order_by("-changed_at", "-id").first()
    if found is not None:
        return found
    return ArchiveSettings(
        agency=agency,
        fonds_code=(agency.region.code if agency.region_id else agency.code)[:16],
        fonds_name=agency.name,
        category_code="ZF",
        unit_code="AJ",
        changed_at=dt.datetime.min.replace(tzinfo=dt.UTC),
        **DEFAULT_RETENTION,
    )


def is_archivist(officer: Officer, agency: Agency) -> bool:
    return officer.is_active and officer.agency_id == agency.pk and officer.has_role(Role.ARCHIVIST)


def is_disposal_approver(officer: Officer, agency: Agency) -> bool:
    return officer.is_active and officer.agency_id == agency.pk and officer.has_role(Role.APPROVER)


def current_dossier(case: Case) -> Dossier | None:
    return (
        Dossier.objects.filter(case=case, status__in=CURRENT_STATUSES)
        .select_related("case", "agency", "assembled_by", "sealed_by")
        .first()
    )


def archived_at(case: Case) -> dt.datetime | None:
    """When the case's dossier was sealed (归档): what meets the 30-day archiving deadline."""
    return (
        Dossier.objects.filter(case=case, status__in=(DossierStatus.SEALED, DossierStatus.DISPOSED))
        .values_list("sealed_at", flat=True)
        .first()
    )


def archived_at_many(cases: Sequence[Case]) -> dict[int, dt.datetime | None]:
    """``archived_at`` of each of ``cases`` that has one, in one query."""
    rows = (
        Dossier.objects.filter(case__in=cases, status__in=(DossierStatus.SEALED, DossierStatus.DISPOSED))
        .order_by("case_id", "-assembled_at", "-id")
        .values_list("case_id", "sealed_at")
    )
    out: dict[int, dt.datetime | None] = {}
    for case_id, at in rows:
        out.setdefault(case_id, at)
    return out


def current_dossiers(cases: Sequence[Case]) -> dict[int, Dossier]:
    """``current_dossier`` of each of ``cases`` that has one, in one query."""
    out: dict[int, Dossier] = {}
    rows = Dossier.objects.filter(case__in=cases, status__in=CURRENT_STATUSES).order_by(
        "case_id", "-assembled_at", "-id"
    )
    for d in rows:
        out.setdefault(d.case_id, d)
    return out


def dossier_list_for(officer: Officer) -> QuerySet[Dossier]:
    return Dossier.objects.filter(agency__in=visible_agencies(officer)).select_related("case", "agency")


def export_get_for(officer: Officer, public_id: Any) -> PackageExport:
    """An export of a dossier the officer may see."""
    try:
        uid = parse_uuid(public_id)
    except Exception as exc:
        raise NotFound() from exc
    export = (
        PackageExport.objects.filter(dossier__in=dossier_list_for(officer), public_id=uid)
        .select_related("dossier__case", "dossier__agency")
        .first()
    )
    if export is None:
        raise NotFound()
    return export


def dossier_get_for(officer: Officer, public_id: Any) -> Dossier:
    try:
        uid = parse_uuid(public_id)
    except Exception as exc:
        raise NotFound() from exc
    dossier = (
        dossier_list_for(officer)
        .select_related("assembled_by", "sealed_by", "case__lead_officer")
        .filter(public_id=uid)
        .first()
    )
    if dossier is None:
        raise NotFound()
    return dossier


# Files that describe every audio-visual record (事项、时间、地点…): 卷内目录 and DA/T 48 metadata.
DESCRIBING = (ItemKind.INDEX, ItemKind.METADATA)


@dataclass(frozen=True)
class ItemSources:
    """Which records' content each dossier file carries (by position): ``files`` for its
    bytes, ``av`` for the 音像记录说明 printed beside it (the place may come from the
    document the recording is linked to)."""

    files: dict[int, set[str]]
    av: dict[int, set[str]]


def item_sources(items: Sequence[DossierItem]) -> ItemSources:

    media = [i for i in items if i.kind == ItemKind.MEDIA and i.source_uid]
    linked: dict[str, str] = {}
    rows = (
        MediaLink.objects.filter(record__public_id__in=[i.source_uid for i in media])
        .order_by("linked_at", "id")
        .values_list("record__public_id", "document_uid")
    )
    for record_uid, document_uid in rows:  # the latest link wins
        linked[str(record_uid)] = str(document_uid) if document_uid else ""
    files: dict[int, set[str]] = {}
    av: dict[int, set[str]] = {}
    for i in items:
        own = {str(i.source_uid)} if i.source_uid and i.kind in (ItemKind.DOCUMENT, ItemKind.MEDIA) else set()
        files[i.position] = own
        if i.kind == ItemKind.MEDIA:
            av[i.position] = own | ({linked.get(str(i.source_uid), "")} - {""})
    described = {uid for i in media if i.av.get("place") for uid in av[i.position]}
    for i in items:
        if i.kind in DESCRIBING:
            files[i.position] = described
    return ItemSources(files=files, av=av)


def missing_for(view: ContentView, found: Sequence[Missing]) -> list[Missing]:
    """What the dossier lacks, as one reader may see it: a gap in a marked record they may
    not read (its message names the people its fields list) says so instead."""

    out = []
    for m in found:
        withheld = view.withheld(m.subject) if m.subject else None
        if withheld is not None:
            message = withheld_message(withheld)
            m = replace(m, message=message, finding=replace(m.finding, message=message))
        out.append(m)
    return out


def active_holds(case: Case) -> QuerySet[LegalHold]:
    return LegalHold.objects.filter(case=case, released_at__isnull=True).select_related("placed_by")


def hold_get_for(officer: Officer, public_id: Any) -> LegalHold:
    try:
        uid = parse_uuid(public_id)
    except Exception as exc:
        raise NotFound() from exc
    hold = (
        LegalHold.objects.filter(public_id=uid, case__agency__in=visible_agencies(officer))
        .select_related("case", "case__agency")
        .first()
    )
    if hold is None:
        raise NotFound()
    return hold


def disposition_get_for(officer: Officer, public_id: Any) -> DispositionRequest:
    try:
        uid = parse_uuid(public_id)
    except Exception as exc:
        raise NotFound() from exc
    found = (
        DispositionRequest.objects.filter(public_id=uid, dossier__agency__in=visible_agencies(officer))
        .select_related("dossier", "dossier__case", "dossier__agency", "requested_by")
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def dispositions_for(officer: Officer) -> QuerySet[DispositionRequest]:
    return (
        DispositionRequest.objects.filter(dossier__agency__in=visible_agencies(officer))
        .select_related("dossier", "dossier__case", "requested_by")
        .prefetch_related("approvals__officer")
    )


def dispositions_waiting_for(officer: Officer) -> list[DispositionRequest]:
    """Open requests this officer could approve: an approver of the agency who has not
    acted on it yet and did not ask for it."""
    if officer.agency is None or not officer.has_role(Role.APPROVER):
        return []
    pending = dispositions_for(officer).filter(
        dossier__agency=officer.agency, status=DispositionStatus.PENDING
    )
    return [
        r
        for r in pending
        if r.requested_by_id != officer.pk and not any(a.officer_id == officer.pk for a in r.approvals.all())
    ]


def case_for_archive(officer: Officer, public_id: Any) -> Case:
    return case_get_for(officer, public_id)


def archive_cases_for(officer: Officer) -> QuerySet[Case]:
    """Cases the archive page lists: those in the archiving stage, and closed ones."""
    return (
        Case.objects.filter(agency__in=visible_agencies(officer), stage__in=(Stage.ARCHIVING, Stage.CLOSED))
        .select_related("agency")
        .order_by("stage", "-opened_at")
    )
