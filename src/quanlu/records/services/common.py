"""What the sections share: who may write, row locks, document numbers, the
renderings whose hashes enter the ledger, and completion once every required
signature is in."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db.models import F
from django.utils import timezone

from quanlu.blobs.services import blob_store_bytes
from quanlu.cases.models import Case, Stage
from quanlu.core.canonical import canonical_bytes
from quanlu.core.errors import Conflict, InvalidInput, PermissionDenied
from quanlu.ledger.services import record_event
from quanlu.org.models import Officer, Role
from quanlu.records import events
from quanlu.records.catalogue import DocType, catalogue
from quanlu.records.models import CaptureMethod, Document, DocumentNumberSequence, Version, Voiding
from quanlu.records.render import render_docx, render_pdf
from quanlu.records.selectors import SlotStatus, document_is_complete, signature_status

# Who may make and correct documents: the agency's enforcement staff.
WRITERS = (Role.OFFICER, Role.HANDLER, Role.REVIEWER, Role.LEGAL_REVIEWER, Role.APPROVER)
# Which of the agency's roles may sign in an officer slot of each signatory role.
OFFICER_ROLE_NEEDS: dict[str, tuple[str, ...]] = {
    "officer": (Role.OFFICER, Role.HANDLER),
    "handler": (Role.HANDLER, Role.OFFICER),
    "reviewer": (Role.REVIEWER,),
    "legal_reviewer": (Role.LEGAL_REVIEWER,),
    "approver": (Role.APPROVER,),
    "recorder": (Role.OFFICER, Role.HANDLER, Role.REVIEWER),
    "server": (Role.OFFICER, Role.HANDLER),
    "presiding_officer": (Role.OFFICER, Role.HANDLER, Role.REVIEWER, Role.LEGAL_REVIEWER, Role.APPROVER),
    # The seal is applied by the head or the handler the head entrusts; the
    # officer who applies it is recorded with it.
    "agency": (Role.APPROVER, Role.HANDLER),
    "attendee": WRITERS,
}
PAPER_PAGE_MAX_BYTES = 20 * 1024 * 1024
# 承办、审核、批准 are signed by different people (004 第三十一条 names them apart).
CHAIN_ROLES = {"handler", "reviewer", "legal_reviewer", "approver"}
OFFICER_METHODS = [CaptureMethod.PASSWORD, CaptureMethod.TOKEN, CaptureMethod.DEVICE_KEY]


def content_sha256(values: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_bytes(values)).hexdigest()


# ---------------------------------------------------------------- helpers


def _type(code: Any) -> DocType:
    try:
        return catalogue().get(str(code))
    except KeyError:
        raise InvalidInput(f"未知的文书类型「{code}」。", field_name="type") from None


def _require_writer(actor: Officer, case: Case, action: str) -> None:
    if actor.agency_id != case.agency_id:
        raise PermissionDenied(f"只有本案办案机关的人员可以{action}。")
    if not actor.is_active or not actor.has_role(*WRITERS):
        raise PermissionDenied(f"{action}需要执法人员、承办人、审核人、法制审核人员或批准人角色。")
    if case.stage == Stage.CLOSED:
        raise Conflict("案件已结案，文书不能再修改。", code="case_closed")


def _refuse_voided(doc: Document) -> None:
    if Voiding.objects.filter(document_id=doc.pk).exists():
        raise Conflict(f"《{doc.title}》已作废，不能再签署或更正。", code="document_voided")


def _lock_case(case: Case) -> Case:
    return Case.objects.select_for_update().select_related("agency").get(pk=case.pk)


def _lock_doc(doc: Document) -> Document:
    return Document.objects.select_for_update().select_related("case", "case__agency").get(pk=doc.pk)


def _next_number(case: Case, abbr: str, now: Any) -> str:
    year = timezone.localtime(now).year
    seq, _ = DocumentNumberSequence.objects.select_for_update().get_or_create(
        agency=case.agency, abbr=abbr, year=year
    )
    DocumentNumberSequence.objects.filter(pk=seq.pk).update(last=F("last") + 1)
    seq.refresh_from_db()
    return f"{case.agency.case_prefix}{abbr}〔{year}〕{seq.last}号"


def _store_renderings(actor: Officer, doc: Document, version: Version, *, signed: bool) -> dict[str, Any]:
    pdf, pages = render_pdf(doc, version, signed=signed)
    docx = render_docx(doc, version, signed=signed)
    pdf_blob, _ = blob_store_bytes(actor=actor, agency=doc.case.agency, data=pdf)
    docx_blob, _ = blob_store_bytes(actor=actor, agency=doc.case.agency, data=docx)
    return {"pdf_sha256": pdf_blob.sha256, "docx_sha256": docx_blob.sha256, "pages": pages}


def _same_submitter(obj: Any, owner_id: int, actor: Officer) -> Any:
    if owner_id != actor.pk:
        raise Conflict("提交标识已被他人使用，请刷新页面后重试。", code="token_reused")
    return obj


def _base_payload(doc: Document, version: Version) -> dict[str, Any]:
    return {
        "document": doc.public_id,
        "type": doc.type_code,
        "title": doc.title,
        "number": doc.number,
        "version": version.public_id,
        "version_number": version.number,
    }


def _render_version(actor: Officer, doc: Document, version: Version) -> None:
    """Render an unsigned version, store the PDF and DOCX and keep their hashes on it."""
    r = _store_renderings(actor, doc, version, signed=False)
    Version.objects.filter(pk=version.pk).update(
        pdf_sha256=r["pdf_sha256"], docx_sha256=r["docx_sha256"], page_count=r["pages"]
    )
    version.refresh_from_db()


# ---------------------------------------------------------------- completion


def _slot(doc: Document, version: Version, slot_key: str) -> SlotStatus:
    for st in signature_status(doc, version):
        if st.key == slot_key:
            return st
    raise InvalidInput(f"《{doc.title}》当前没有「{slot_key}」签署栏。", field_name="slot")


def _maybe_complete(actor: Officer, doc: Document, version: Version) -> None:
    """When the version's required signature set is first satisfied, render it as
    signed, store the bytes and ledger their hashes."""
    version.refresh_from_db()
    if version.completed_at is not None or not document_is_complete(doc, version):
        return
    r = _store_renderings(actor, doc, version, signed=True)
    now = timezone.now()
    Version.objects.filter(pk=version.pk, completed_at__isnull=True).update(
        completed_at=now, signed_pdf_sha256=r["pdf_sha256"], signed_docx_sha256=r["docx_sha256"]
    )
    record_event(
        type=events.DOCUMENT_COMPLETED,
        actor=actor,
        agency=doc.case.agency,
        case_uid=doc.case.public_id,
        at=now,
        payload={
            **_base_payload(doc, version),
            "content_sha256": version.content_sha256,
            "pdf_sha256": r["pdf_sha256"],
            "docx_sha256": r["docx_sha256"],
            "pages": r["pages"],
            "signatures": [s.public_id for s in doc.signatures.order_by("signed_at", "id")],
        },
        rows=[version],
    )
