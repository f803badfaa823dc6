"""Documents over the API: the catalogue, filling in, signing, refusals,
corrections, uploads and renderings (thin: parse, authorise, call one service)."""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import Field

from quanlu.access.selectors import ContentView, content_check, content_view
from quanlu.api.base import BODY_ERRORS, ERRORS, file_content, officer_of, ref, signature_method
from quanlu.cases import selectors as cs
from quanlu.core.errors import InvalidInput, NotFound
from quanlu.records import schemas, services
from quanlu.records import selectors as rs
from quanlu.records.catalogue import catalogue
from quanlu.records.models import Document, Refusal, Version, Voiding
from quanlu.records.render import rendering_get

router = Router(tags=["文书"])
CHUNK = 1024 * 1024


class DocumentIn(Schema):
    type: str = Field(description="文书类型代码（见 /document-types）")
    fields: dict[str, Any] = Field(default_factory=dict)
    client_token: uuid.UUID | None = None


class AmendIn(Schema):
    changes: dict[str, Any]
    reason: str
    base_version: int | None = None


class SignIn(Schema):
    slot: str
    kind: str = ""


class CaptureIn(Schema):
    slot: str
    signer_name: str
    image_base64: str = Field(description="PNG（触屏签名）或 PNG/JPEG（纸质签名页）的 Base64")
    method: str = "touch"
    kind: str = ""
    role: str = ""
    client_token: uuid.UUID | None = None


class VoidIn(Schema):
    reason: str = Field(description="作废理由")


class RefusalIn(Schema):
    slot: str
    person_name: str
    reason: str


def _voided(doc: Document, hide: bool) -> dict[str, Any] | None:
    try:
        v = doc.voiding
    except Voiding.DoesNotExist:
        return None
    return {
        "reason": None if hide else v.reason,
        "voided_at": v.voided_at,
        "voided_by": v.voided_by.full_name,
    }


def version_out(v: Version, *, withheld: bool = False) -> dict[str, Any]:
    return {
        "id": v.public_id,
        "number": v.number,
        "fields": None if withheld else v.fields,
        "content_sha256": v.content_sha256,
        "replaces": v.replaces.number if v.replaces is not None else None,
        "changed_fields": v.changed_fields,
        "reason": None if withheld else v.reason,
        "created_at": v.created_at,
        "created_by": ref(v.created_by),
        "pdf_sha256": v.pdf_sha256,
        "docx_sha256": v.docx_sha256,
        "pages": v.page_count,
        "file_sha256": v.file_sha256,
        "file_type": v.file_type,
        "completed_at": v.completed_at,
        "signed_pdf_sha256": v.signed_pdf_sha256,
        "signed_docx_sha256": v.signed_docx_sha256,
    }


def document_out(
    doc: Document, officer: Any, *, full: bool = False, view: ContentView | None = None
) -> dict[str, Any]:
    """A document as ``officer`` may see it: whole, or, if it is marked and they may not
    read it, its metadata (type, title, stage, hashes, whether complete) with the mark and
    the reason in ``withheld`` and every field value, name and reason set to null."""
    view = view or content_view(officer, items=[doc])
    withheld = view.withheld(doc)
    hide = withheld is not None
    version = rs.current_version(doc)
    missing = rs.document_missing(doc, version)
    out: dict[str, Any] = {
        "id": doc.public_id,
        "case": doc.case.public_id,
        "case_number": doc.case.number,
        "type": doc.type_code,
        "title": doc.title,
        "stage": doc.stage,
        "origin": doc.origin,
        "number": doc.number,
        "issuer": doc.issuer,
        "created_at": doc.created_at,
        "version": version.number,
        "content_sha256": version.content_sha256,
        "complete": not missing,
        "missing": None if hide else missing,  # names the signers the fields list
        "writable": cs.can_write(officer, doc.case),
        "withheld": withheld.as_dict() if withheld else None,
        "voided": _voided(doc, hide),
    }
    if full:
        out["versions"] = [
            version_out(v, withheld=hide) for v in doc.versions.select_related("created_by", "replaces")
        ]
        out["signature_set"] = [
            {
                "slot": st.key,
                "label": st.label,
                "roles": list(st.roles),
                "kinds": list(st.kinds),
                "officer_slot": st.officer_slot,
                "refusal_allowed": st.refusal_allowed,
                "refusal_min_officers": st.refusal_min_officers,
                "satisfied": st.satisfied,
                "expected": None
                if hide
                else [{"label": e.label, "done": e.done, "by": e.by} for e in st.expected],
            }
            for st in rs.signature_status(doc, version)
        ]
        out["signatures"] = [
            {
                "id": s.public_id,
                "slot": s.slot,
                "role": s.role,
                "kind": s.kind,
                "signer_name": None if hide else s.signer_name,
                "officer": ref(s.officer),
                "method": s.method,
                "image_sha256": s.image_sha256,
                "signed_at": s.signed_at,
                "version": s.version.number,
            }
            for s in doc.signatures.select_related("officer", "version")
        ]
        out["refusals"] = [
            {
                "id": r.public_id,
                "slot": r.slot,
                "person_name": None if hide else r.person_name,
                "reason": None if hide else r.reason,
                "recorded_at": r.recorded_at,
                "officers": [ref(a.officer) for a in r.attestations.select_related("officer")],
            }
            for r in doc.refusals.all()
        ]
    return out


def _doc(request: HttpRequest, document_id: str) -> Document:
    return rs.document_get_for(officer_of(request), document_id)


@router.get(
    "/document-types",
    response={200: list[schemas.DocumentTypeOut], **ERRORS},
    summary="文书目录（全部文书类型）",
    by_alias=True,  # a condition's "in"
)
def document_types(request: HttpRequest) -> list[dict[str, Any]]:
    return [t.as_dict() for t in catalogue().types.values()]


@router.get(
    "/cases/{case_id}/documents", response={200: list[schemas.DocumentOut], **ERRORS}, summary="案件的文书"
)
def documents_of_case(request: HttpRequest, case_id: str) -> list[dict[str, Any]]:
    officer = officer_of(request)
    case = cs.case_get_for(officer, case_id)
    view = content_view(officer, cases=[case])
    return [document_out(d, officer, view=view) for d in rs.documents_of_case(case)]


@router.post(
    "/cases/{case_id}/documents", response={201: schemas.DocumentDetailOut, **BODY_ERRORS}, summary="制作文书"
)
def documents_create(request: HttpRequest, case_id: str, payload: DocumentIn) -> Status[dict[str, Any]]:
    officer = officer_of(request)
    case = cs.case_get_for(officer, case_id)
    doc = services.document_create(
        actor=officer,
        case=case,
        type_code=payload.type,
        fields=payload.fields,
        client_token=payload.client_token,
    )
    return Status(201, document_out(doc, officer, full=True))


@router.post(
    "/cases/{case_id}/documents/upload",
    response={201: schemas.DocumentDetailOut, **ERRORS},
    summary="上传扫描件或外部文书（请求体为文件本身：PDF、PNG、JPEG 或 TIFF）",
    openapi_extra={
        "requestBody": {
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
        }
    },
)
def documents_upload(
    request: HttpRequest,
    case_id: str,
    type: str,
    issuer: str = "",
    issued_on: str = "",
    number: str = "",
    conclusion: str = "",
    file_name: str = "",
    sha256: str = "",
) -> Status[dict[str, Any]]:
    officer = officer_of(request)
    case = cs.case_get_for(officer, case_id)
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0) or None
    except ValueError:
        declared = None

    def chunks() -> Any:
        while True:
            data = request.read(CHUNK)
            if not data:
                return
            yield data

    fields = {
        k: v for k, v in {"issuer": issuer, "issued_on": issued_on, "conclusion": conclusion}.items() if v
    }
    doc_type = catalogue().types.get(type)
    if doc_type is not None and not doc_type.uploaded:
        fields = {"issuer": issuer} if issuer else {}
    doc = services.document_upload(
        actor=officer,
        case=case,
        type_code=type,
        chunks=chunks(),
        file_name=file_name,
        fields={**fields, **({"number": number} if number else {})},
        declared_size=declared,
        expected_sha256=sha256 or None,
    )
    return Status(201, document_out(doc, officer, full=True))


@router.get("/documents", response={200: list[schemas.DocumentOut], **ERRORS}, summary="我可见的文书")
def documents_list(request: HttpRequest, type: str = "") -> list[dict[str, Any]]:
    officer = officer_of(request)
    qs = rs.document_list_for(officer)
    if type:
        qs = qs.filter(type_code=type)
    docs = list(qs[:500])
    view = content_view(officer, items=docs)
    return [document_out(d, officer, view=view) for d in docs]


@router.get(
    "/documents/{document_id}",
    response={200: schemas.DocumentDetailOut, **ERRORS},
    summary="文书详情（含版本、签署情况）",
)
def documents_get(request: HttpRequest, document_id: str) -> dict[str, Any]:
    return document_out(_doc(request, document_id), officer_of(request), full=True)


@router.post(
    "/documents/{document_id}/amend",
    response={201: schemas.DocumentDetailOut, **BODY_ERRORS},
    summary="更正文书（生成新版本）",
)
def documents_amend(request: HttpRequest, document_id: str, payload: AmendIn) -> Status[dict[str, Any]]:
    officer = officer_of(request)
    doc = _doc(request, document_id)
    content_check(officer, doc)  # correcting a record means reading it
    services.document_amend(
        actor=officer,
        document=doc,
        changes=payload.changes,
        reason=payload.reason,
        base_version=payload.base_version,
        signature_method=signature_method(request),
    )
    return Status(201, document_out(doc, officer, full=True))


@router.post(
    "/documents/{document_id}/sign",
    response={201: schemas.DocumentDetailOut, **BODY_ERRORS},
    summary="执法人员签名（或加盖机关印章）",
)
def documents_sign(request: HttpRequest, document_id: str, payload: SignIn) -> Status[dict[str, Any]]:
    officer = officer_of(request)
    doc = _doc(request, document_id)
    services.signature_sign(
        actor=officer,
        document=doc,
        slot=payload.slot,
        kind=payload.kind,
        signature_method=signature_method(request),
    )
    return Status(201, document_out(doc, officer, full=True))


@router.post(
    "/documents/{document_id}/signatures",
    response={201: schemas.DocumentDetailOut, **BODY_ERRORS},
    summary="记录当事人等的签名（触屏或纸质签名页）",
)
def documents_capture(request: HttpRequest, document_id: str, payload: CaptureIn) -> Status[dict[str, Any]]:
    officer = officer_of(request)
    doc = _doc(request, document_id)
    try:
        image = base64.b64decode(payload.image_base64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("签名图像不是有效的 Base64 编码。", field_name="image_base64") from exc
    services.signature_capture(
        actor=officer,
        document=doc,
        slot=payload.slot,
        signer_name=payload.signer_name,
        image=image,
        method=payload.method,
        kind=payload.kind,
        role=payload.role,
        client_token=payload.client_token,
    )
    return Status(201, document_out(doc, officer, full=True))


@router.post(
    "/documents/{document_id}/refusals",
    response={201: schemas.RefusalRecordedOut, **BODY_ERRORS},
    summary="记录拒绝签字",
)
def documents_refuse(request: HttpRequest, document_id: str, payload: RefusalIn) -> Status[dict[str, Any]]:
    officer = officer_of(request)
    doc = _doc(request, document_id)
    refusal = services.refusal_record(
        actor=officer,
        document=doc,
        slot=payload.slot,
        person_name=payload.person_name,
        reason=payload.reason,
        signature_method=signature_method(request),
    )
    return Status(201, {"refusal": refusal.public_id, **document_out(doc, officer, full=True)})


@router.post(
    "/documents/{document_id}/void",
    response={201: schemas.DocumentDetailOut, **BODY_ERRORS},
    summary="作废未签署的文书（保留可查，不再计入合规检查）",
)
def documents_void(request: HttpRequest, document_id: str, payload: VoidIn) -> Status[dict[str, Any]]:
    officer = officer_of(request)
    doc = _doc(request, document_id)
    services.document_void(actor=officer, document=doc, reason=payload.reason)
    return Status(201, document_out(doc, officer, full=True))


@router.post(
    "/refusals/{refusal_id}/attest",
    response={201: schemas.DocumentDetailOut, **ERRORS},
    summary="执法人员签字确认拒签情况",
)
def refusals_attest(request: HttpRequest, refusal_id: str) -> Status[dict[str, Any]]:
    officer = officer_of(request)
    try:
        refusal = Refusal.objects.select_related("document").get(public_id=uuid.UUID(refusal_id))
    except (Refusal.DoesNotExist, ValueError) as exc:
        raise NotFound() from exc
    doc = rs.document_get_for(officer, refusal.document.public_id)
    services.refusal_attest(actor=officer, refusal=refusal, signature_method=signature_method(request))
    return Status(201, document_out(doc, officer, full=True))


@router.get(
    "/documents/{document_id}/render",
    response={200: None, **ERRORS},
    summary="文书 PDF/A 或 DOCX",
    openapi_extra=file_content(
        "文书文件：PDF/A 或 DOCX；上传的扫描件按原格式（PDF、PNG、JPEG、TIFF）",
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "image/png",
        "image/jpeg",
        "image/tiff",
    ),
)
def documents_render(
    request: HttpRequest, document_id: str, format: str = "pdf", version: int = 0
) -> HttpResponse:
    doc = _doc(request, document_id)
    content_check(officer_of(request), doc)
    data, name, media = rendering_get(doc, format, version or None)
    response = HttpResponse(data, content_type=media)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(name)}"
    return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)
