"""Dossiers, packages, holds and disposition over the API (thin: parse, authorise, call one
service). Anyone who may see the case reads; only the case's archivists act; others get 404."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import FileResponse, HttpRequest
from django.utils import timezone
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import Field

from quanlu.access.selectors import CONTENT_DENIED, Withheld, content_view
from quanlu.api.base import BODY_ERRORS, ERRORS, file_content, officer_of, ref, signature_method
from quanlu.archive import dossier as plans
from quanlu.archive import schemas, services
from quanlu.archive import selectors as sel
from quanlu.archive.disposal import disposal_refusals
from quanlu.archive.exporting import export_target
from quanlu.archive.models import DispositionRequest, Dossier, LegalHold
from quanlu.blobs.store import get_store
from quanlu.cases import selectors as cs
from quanlu.cases.models import Case
from quanlu.core.errors import Conflict, NotFound, PermissionDenied
from quanlu.org.models import Officer

router = Router(tags=["档案"])


class AssembleIn(Schema):
    retention: str = Field("", description="permanent | y30 | y10；不填则按本机关设置")
    retention_reason: str = Field("", description="保管期限与本机关设置不同时的说明")


class ReasonIn(Schema):
    reason: str


class DispositionIn(Schema):
    reason: str = Field(description="鉴定意见")
    client_token: uuid.UUID | None = None


class OpinionIn(Schema):
    opinion: str


class SettingsIn(Schema):
    fonds_code: str
    fonds_name: str
    category_code: str = "ZF"
    unit_code: str = "AJ"
    retention_general: str = "permanent"
    retention_simplified: str = "y30"
    retention_major: str = "permanent"
    retention_terminated: str = "y10"


def item_out(
    item: Any, file_withheld: Withheld | None = None, av_withheld: Withheld | None = None
) -> dict[str, Any]:
    """A dossier file; ``withheld`` when it carries a marked record the reader may not
    read (the download is refused), and the 音像记录说明's place replaced likewise."""
    av = item.av
    if av_withheld is not None and av.get("place"):
        av = {**av, "place": None}
    return {
        "position": item.position,
        "index_no": item.index_no,
        "kind": item.kind,
        "path": item.bag_path,
        "title": item.title,
        "doc_number": item.doc_number,
        "responsible": item.responsible,
        "date": item.date,
        "pages": item.pages,
        "page_from": item.page_from,
        "page_to": item.page_to,
        "sha256": item.sha256,
        "size": item.size,
        "media_type": item.media_type,
        "source": item.source_uid,
        "av": av,
        "note": item.note,
        "withheld": file_withheld.as_dict() if file_withheld else None,
        "av_withheld": av_withheld.as_dict() if av_withheld else None,
    }


def dossier_out(d: Dossier, *, full: bool = False, officer: Officer | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": d.public_id,
        "case": {"id": d.case.public_id, "number": d.case.number},
        "version": d.version,
        "status": d.status,
        "status_label": d.get_status_display(),
        "title": d.title,
        "archive_number": d.archive_number,
        "retention": d.retention,
        "retention_label": d.get_retention_display(),
        "retention_reason": d.retention_reason,
        "retention_until": d.retention_until(),
        "documents": d.documents,
        "media": d.media,
        "pages": d.pages,
        "start_date": d.start_date,
        "end_date": d.end_date,
        "assembled_by": ref(d.assembled_by),
        "assembled_at": d.assembled_at,
        "sealed_by": ref(d.sealed_by),
        "sealed_at": d.sealed_at,
        "checkpoint": None
        if d.checkpoint_size is None
        else {
            "origin": d.checkpoint_origin,
            "size": d.checkpoint_size,
            "root": d.checkpoint_root,
            "note": d.checkpoint_note,
            "key": d.checkpoint_key,
        },
        "disposed_at": d.disposed_at,
    }
    if full:
        items = list(d.items.order_by("position"))
        view = content_view(officer, cases=[d.case])
        sources = sel.item_sources(items)
        body["items"] = [
            item_out(
                i,
                view.withheld_any(sources.files.get(i.position, ())),
                view.withheld_any(sources.av.get(i.position, ())),
            )
            for i in items
        ]
        body["checks"] = [
            {
                "code": c.code,
                "group": c.group,
                "name": c.name,
                "result": c.result,
                "result_label": c.get_result_display(),
                "message": c.message,
            }
            for c in d.checks.all()
        ]
        body["exports"] = [
            {
                "id": e.public_id,
                "at": e.exported_at,
                "files": e.files,
                "bytes": e.bytes,
                "path": e.path,
                "tar_sha256": e.tar_sha256,
                "tar_bytes": e.tar_bytes,
            }
            for e in d.exports.all()
        ]
    return body


def hold_out(h: LegalHold) -> dict[str, Any]:
    return {
        "id": h.public_id,
        "reason": h.reason,
        "placed_by": ref(h.placed_by),
        "placed_at": h.placed_at,
        "released_by": ref(h.released_by),
        "released_at": h.released_at,
        "release_reason": h.release_reason,
        "active": h.active,
    }


def disposition_out(r: DispositionRequest) -> dict[str, Any]:
    return {
        "id": r.public_id,
        "dossier": r.dossier.public_id,
        "archive_number": r.dossier.archive_number,
        "case_number": r.dossier.case.number,
        "reason": r.reason,
        "status": r.status,
        "status_label": r.get_status_display(),
        "requested_by": ref(r.requested_by),
        "requested_at": r.requested_at,
        "approvals": [
            {"officer": ref(a.officer), "outcome": a.outcome, "opinion": a.opinion, "signed_at": a.signed_at}
            for a in r.approvals.all()
        ],
        "executed_at": r.executed_at,
        "register_sha256": r.register_sha256,
    }


def status_out(officer: Officer, case: Case) -> dict[str, Any]:
    dossier = sel.current_dossier(case)
    found = plans.missing(case) if case.stage == "archiving" else []
    found = sel.missing_for(content_view(officer, cases=[case]), found)
    deadline = case.deadlines.filter(kind="archive").first()
    now = timezone.now()
    return {
        "case": {"id": case.public_id, "number": case.number, "stage": case.stage},
        "dossier": dossier_out(dossier, full=True, officer=officer) if dossier else None,
        "missing": [
            {
                "message": m.message,
                "satisfy": m.satisfy,
                "blocking": m.blocking,
                "subject": m.subject or None,
                **m.finding.as_dict(),
            }
            for m in found
        ],
        "deadline": None
        if deadline is None
        else {
            "due_at": deadline.due_at,
            "met_at": deadline.met_at,
            "level": deadline.level(now),
            "status_label": deadline.status_label(now),
            "article": deadline.article,
            "quote": deadline.quote,
        },
        "holds": [hold_out(h) for h in LegalHold.objects.filter(case=case)],
        "may_act": sel.is_archivist(officer, case.agency),
        "disposal_refusals": [f.message for f in disposal_refusals(dossier)]
        if dossier and dossier.sealed
        else [],
    }


def _dossier(request: HttpRequest, dossier_id: str) -> Dossier:
    return sel.dossier_get_for(officer_of(request), dossier_id)


@router.get(
    "/cases/{case_id}/dossier",
    response={200: schemas.ArchiveStatusOut, **ERRORS},
    summary="案卷状态、缺少的记录和归档期限",
)
def dossier_status(request: HttpRequest, case_id: str) -> dict[str, Any]:
    officer = officer_of(request)
    return status_out(officer, cs.case_get_for(officer, case_id))


@router.post(
    "/cases/{case_id}/dossier",
    response={201: schemas.DossierOut, **BODY_ERRORS},
    summary="组卷（档案管理人员）",
)
def dossier_assemble(request: HttpRequest, case_id: str, payload: AssembleIn) -> Status[dict[str, Any]]:
    officer = officer_of(request)
    case = cs.case_get_for(officer, case_id)
    dossier = services.dossier_assemble(
        actor=officer,
        case=case,
        retention=payload.retention or None,
        retention_reason=payload.retention_reason,
    )
    return Status(201, dossier_out(dossier, full=True, officer=officer))


@router.get(
    "/dossiers/{dossier_id}",
    response={200: schemas.DossierOut, **ERRORS},
    summary="案卷（卷内文件、四性检测）",
)
def dossier_detail(request: HttpRequest, dossier_id: str) -> dict[str, Any]:
    return dossier_out(_dossier(request, dossier_id), full=True, officer=officer_of(request))


@router.post(
    "/dossiers/{dossier_id}/seal", response={200: schemas.DossierOut, **ERRORS}, summary="四性检测并封卷归档"
)
def dossier_seal(request: HttpRequest, dossier_id: str) -> dict[str, Any]:
    dossier = services.dossier_seal(actor=officer_of(request), dossier=_dossier(request, dossier_id))
    return dossier_out(dossier, full=True, officer=officer_of(request))


@router.post(
    "/dossiers/{dossier_id}/export",
    response={201: schemas.PackageExportOut, **ERRORS},
    summary="导出档案包（到导出目录）",
)
def dossier_export(request: HttpRequest, dossier_id: str) -> Status[dict[str, Any]]:
    officer = officer_of(request)
    dossier = _dossier(request, dossier_id)
    export = services.dossier_export(actor=officer, dossier=dossier, target_dir=export_target(dossier))
    return Status(
        201,
        {
            "id": export.public_id,
            "path": export.path,
            "files": export.files,
            "bytes": export.bytes,
            "payload_oxum": export.payload_oxum,
            "checkpoint_size": export.checkpoint_size,
            "seal": export.seal,
            "tar_sha256": export.tar_sha256,
            "tar_bytes": export.tar_bytes,
        },
    )


@router.get(
    "/dossiers/{dossier_id}/items/{position}/content",
    response={200: None, **ERRORS},
    summary="下载卷内文件（封面、目录、备考表、文书、音像、元数据、检测报告）",
    openapi_extra=file_content("卷内文件本身，Content-Type 为其格式（PDF、XML、图像、音视频等）", "*/*"),
)
def dossier_item_content(request: HttpRequest, dossier_id: str, position: int) -> FileResponse:
    officer = officer_of(request)
    dossier = _dossier(request, dossier_id)
    items = list(dossier.items.order_by("position"))
    item = next((i for i in items if i.position == position), None)
    if item is None:
        raise NotFound("案卷中没有该文件。")
    if content_view(officer, cases=[dossier.case]).withheld_any(sel.item_sources(items).files[position]):
        raise PermissionDenied(CONTENT_DENIED, code="confidential")
    store = get_store()
    if not store.exists(item.sha256):
        raise Conflict("该文件的内容已不在存储中（可能已按期销毁）。", code="blob_missing")
    return FileResponse(
        store.open(item.sha256),  # streams (from S3 too)
        content_type=item.media_type,
        as_attachment=True,
        filename=item.bag_path.rsplit("/", 1)[-1],
    )


@router.get(
    "/archive/settings", response={200: schemas.ArchiveSettingsOut, **ERRORS}, summary="本机关档案设置"
)
def settings_get(request: HttpRequest) -> dict[str, Any]:
    officer = officer_of(request)
    if officer.agency is None:
        raise NotFound()
    row = sel.archive_settings_for(officer.agency)
    return _settings_out(row)


def _settings_out(row: Any) -> dict[str, Any]:
    return {
        "fonds_code": row.fonds_code,
        "fonds_name": row.fonds_name,
        "category_code": row.category_code,
        "unit_code": row.unit_code,
        "retention_general": row.retention_general,
        "retention_simplified": row.retention_simplified,
        "retention_major": row.retention_major,
        "retention_terminated": row.retention_terminated,
        "changed_by": ref(row.changed_by),
        "changed_at": row.changed_at if row.pk else None,
    }


@router.post(
    "/archive/settings",
    response={201: schemas.ArchiveSettingsOut, **BODY_ERRORS},
    summary="设置本机关全宗号、档号代码和保管期限",
)
def settings_set(request: HttpRequest, payload: SettingsIn) -> Status[dict[str, Any]]:
    row = services.archive_settings_set(actor=officer_of(request), **payload.dict())
    return Status(201, _settings_out(row))


@router.post(
    "/cases/{case_id}/holds", response={201: schemas.HoldOut, **BODY_ERRORS}, summary="设置保全（禁止销毁）"
)
def hold_place(request: HttpRequest, case_id: str, payload: ReasonIn) -> Status[dict[str, Any]]:
    officer = officer_of(request)
    hold = services.legal_hold_place(
        actor=officer, case=cs.case_get_for(officer, case_id), reason=payload.reason
    )
    return Status(201, hold_out(hold))


@router.post("/holds/{hold_id}/release", response={200: schemas.HoldOut, **BODY_ERRORS}, summary="解除保全")
def hold_release(request: HttpRequest, hold_id: str, payload: ReasonIn) -> dict[str, Any]:
    officer = officer_of(request)
    hold = services.legal_hold_release(
        actor=officer, hold=sel.hold_get_for(officer, hold_id), reason=payload.reason
    )
    return hold_out(hold)


@router.get(
    "/dispositions", response={200: list[schemas.DispositionOut], **ERRORS}, summary="销毁申请（可见范围内）"
)
def dispositions(request: HttpRequest, status: str = "") -> list[dict[str, Any]]:
    qs = sel.dispositions_for(officer_of(request))
    if status:
        qs = qs.filter(status=status)
    return [disposition_out(r) for r in qs]


@router.post(
    "/dossiers/{dossier_id}/dispositions",
    response={201: schemas.DispositionOut, **BODY_ERRORS},
    summary="申请销毁保管期满的案卷",
)
def disposition_request(
    request: HttpRequest, dossier_id: str, payload: DispositionIn
) -> Status[dict[str, Any]]:
    r = services.disposition_request(
        actor=officer_of(request),
        dossier=_dossier(request, dossier_id),
        reason=payload.reason,
        client_token=payload.client_token,
    )
    return Status(201, disposition_out(r))


@router.post(
    "/dispositions/{request_id}/approve",
    response={200: schemas.DispositionOut, **BODY_ERRORS},
    summary="批准销毁",
)
def disposition_approve(request: HttpRequest, request_id: str, payload: OpinionIn) -> dict[str, Any]:
    officer = officer_of(request)
    r = sel.disposition_get_for(officer, request_id)
    services.disposition_approve(
        actor=officer, request=r, opinion=payload.opinion, signature_method=signature_method(request)
    )
    r.refresh_from_db()
    return disposition_out(r)


@router.post(
    "/dispositions/{request_id}/reject",
    response={200: schemas.DispositionOut, **BODY_ERRORS},
    summary="不批准销毁",
)
def disposition_reject(request: HttpRequest, request_id: str, payload: OpinionIn) -> dict[str, Any]:
    officer = officer_of(request)
    r = sel.disposition_get_for(officer, request_id)
    services.disposition_reject(
        actor=officer, request=r, opinion=payload.opinion, signature_method=signature_method(request)
    )
    r.refresh_from_db()
    return disposition_out(r)


@router.post(
    "/dispositions/{request_id}/execute", response={200: schemas.DispositionOut, **ERRORS}, summary="执行销毁"
)
def disposition_execute(request: HttpRequest, request_id: str) -> dict[str, Any]:
    officer = officer_of(request)
    r = services.disposition_execute(actor=officer, request=sel.disposition_get_for(officer, request_id))
    return disposition_out(r)
