"""Everything that can happen to a document: ``grep "def document_\\|def signature_\\|def refusal_"``.

Each service is atomic, checks who may act, validates with Chinese messages and
appends its ledger event in the same transaction. Content enters the ledger by its
hashes: the canonical JSON of the fields, and the rendered PDF and DOCX.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from quanlu.blobs.services import blob_store, blob_store_bytes
from quanlu.blobs.store import CHUNK, BlobError, iter_file
from quanlu.cases.models import Case, Stage
from quanlu.core.canonical import canonical_bytes
from quanlu.core.errors import Conflict, InvalidInput, PermissionDenied
from quanlu.core.validation import clean_choice, clean_name, clean_text
from quanlu.ledger.services import record_event
from quanlu.org.models import Officer, Role
from quanlu.records import events
from quanlu.records.catalogue import ROLES, DocType, catalogue
from quanlu.records.fields import Context, clean_fields
from quanlu.records.models import (
    CaptureMethod,
    Document,
    DocumentNumberSequence,
    Origin,
    Refusal,
    RefusalAttestation,
    Signature,
    Version,
)
from quanlu.records.render import render_docx, render_pdf
from quanlu.records.selectors import SlotStatus, current_version, document_is_complete, signature_status
from quanlu.records.uploads import JPEG, PNG, check_document_file, check_signature_image, counted

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
# 承办、审核、批准 are signed by different people (004 第三十一条 names them apart).
PAPER_PAGE_MAX_BYTES = 20 * 1024 * 1024
CHAIN_ROLES = {"handler", "reviewer", "legal_reviewer", "approver"}
OFFICER_METHODS = [CaptureMethod.PASSWORD, CaptureMethod.TOKEN]


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


# ---------------------------------------------------------------- documents


def document_create(
    *, actor: Officer, case: Case, type_code: str, fields: Any, client_token: uuid.UUID | None = None
) -> Document:
    """Fill in a document of a catalogue type (version 1). A repeated submission with
    the same ``client_token`` returns the document it made the first time."""
    if client_token is not None:
        existing = Document.objects.filter(client_token=client_token).first()
        if existing is not None:
            return _same_submitter(existing, existing.created_by_id, actor)
    try:
        return _document_create(
            actor=actor, case=case, type_code=type_code, fields=fields, client_token=client_token
        )
    except IntegrityError:
        existing = Document.objects.filter(client_token=client_token).first() if client_token else None
        if existing is None:
            raise
        return _same_submitter(existing, existing.created_by_id, actor)


@transaction.atomic
def _document_create(
    *, actor: Officer, case: Case, type_code: str, fields: Any, client_token: uuid.UUID | None
) -> Document:
    doc_type = _type(type_code)
    case = _lock_case(case)
    _require_writer(actor, case, "制作文书")
    if doc_type.uploaded:
        raise InvalidInput(f"《{doc_type.title}》由外部机构出具，请上传文件。", field_name="type")
    values = clean_fields(doc_type, fields, Context(case=case, rulebook_id=case.rulebook_id))
    now = timezone.now()
    doc = Document.objects.create(
        case=case,
        type_code=doc_type.code,
        title=doc_type.title,
        stage=doc_type.stage,
        origin=Origin.FILLED,
        number=_next_number(case, doc_type.abbr, now) if doc_type.numbered else "",
        issuer=case.agency.name,
        created_by=actor,
        created_at=now,
        client_token=client_token,
    )
    version = Version.objects.create(
        document=doc,
        number=1,
        fields=values,
        content_sha256=content_sha256(values),
        created_by=actor,
        created_at=now,
    )
    r = _store_renderings(actor, doc, version, signed=False)
    Version.objects.filter(pk=version.pk).update(
        pdf_sha256=r["pdf_sha256"], docx_sha256=r["docx_sha256"], page_count=r["pages"]
    )
    version.refresh_from_db()
    record_event(
        type=events.DOCUMENT_CREATED,
        actor=actor,
        agency=case.agency,
        case_uid=case.public_id,
        at=now,
        payload={
            **_base_payload(doc, version),
            "stage": doc.stage,
            "case_stage": case.stage,
            "content_sha256": version.content_sha256,
            "pdf_sha256": version.pdf_sha256,
            "docx_sha256": version.docx_sha256,
            "pages": version.page_count,
        },
        rows=[doc, version],
    )
    return doc


@transaction.atomic
def document_amend(
    *,
    actor: Officer,
    document: Document,
    changes: Any,
    reason: str,
    signature_method: str,
    base_version: int | None = None,
) -> Version:
    """Correct a document: a new version naming the one it replaces, the fields it
    changes and why. The old version stays as it was, readable."""
    doc = _lock_doc(document)
    _require_writer(actor, doc.case, "更正文书")
    if doc.origin == Origin.UPLOADED:
        raise Conflict("上传的文件不能更正，请上传新的文件。", code="uploaded_document")
    signature_method = clean_choice(
        signature_method, label="签名方式", field="signature_method", choices=OFFICER_METHODS
    )
    reason = clean_text(reason, label="更正理由", field="reason", max_length=2000)
    current = current_version(doc)
    if base_version is not None and base_version != current.number:
        raise Conflict(f"文书已更新为第{current.number}版，请刷新后在最新版本上更正。", code="stale_version")
    if not isinstance(changes, dict) or not changes:
        raise InvalidInput("请填写要更正的栏目。", field_name="fields")
    doc_type = _type(doc.type_code)
    values = clean_fields(
        doc_type, changes, Context(case=doc.case, rulebook_id=doc.case.rulebook_id), previous=current.fields
    )
    changed = sorted(k for k in {*values, *current.fields} if values.get(k) != current.fields.get(k))
    if not changed:
        raise InvalidInput("更正后的内容与原内容相同，未作任何更正。", field_name="fields")
    now = timezone.now()
    try:
        with transaction.atomic():
            version = Version.objects.create(
                document=doc,
                number=current.number + 1,
                fields=values,
                content_sha256=content_sha256(values),
                replaces=current,
                changed_fields=changed,
                reason=reason,
                created_by=actor,
                created_at=now,
                signature_method=signature_method,
            )
    except IntegrityError as exc:
        raise Conflict("文书刚被他人更正，请刷新后查看。", code="stale_version") from exc
    r = _store_renderings(actor, doc, version, signed=False)
    Version.objects.filter(pk=version.pk).update(
        pdf_sha256=r["pdf_sha256"], docx_sha256=r["docx_sha256"], page_count=r["pages"]
    )
    version.refresh_from_db()
    record_event(
        type=events.VERSION_AMENDED,
        actor=actor,
        agency=doc.case.agency,
        case_uid=doc.case.public_id,
        at=now,
        payload={
            **_base_payload(doc, version),
            "replaces": current.public_id,
            "replaces_number": current.number,
            "replaces_content_sha256": current.content_sha256,
            "changed_fields": changed,
            "reason": reason,
            "signature_method": signature_method,
            "content_sha256": version.content_sha256,
            "pdf_sha256": version.pdf_sha256,
            "docx_sha256": version.docx_sha256,
            "pages": version.page_count,
        },
        rows=[version],
    )
    _maybe_complete(actor, doc, version)  # commits the version again if it completes it
    return version


# ---------------------------------------------------------------- uploads


def document_upload(
    *,
    actor: Officer,
    case: Case,
    type_code: str,
    chunks: Iterable[bytes],
    file_name: str = "",
    fields: Any = None,
    declared_size: int | None = None,
    expected_sha256: str | None = None,
    client_token: uuid.UUID | None = None,
) -> Document:
    """Register a scan or an outside PDF (e.g. 鉴定意见书) as a document of a type.

    The bytes are streamed to a private temporary file (never past the size limit),
    checked for what they are, and only then put into the blob store: a refused
    upload leaves nothing behind."""
    if client_token is not None:
        existing = Document.objects.filter(client_token=client_token).first()
        if existing is not None:
            return _same_submitter(existing, existing.created_by_id, actor)
    doc_type = _type(type_code)
    _require_writer(actor, case, "上传文书")
    limit = settings.QUANLU_DOCUMENT_MAX_BYTES
    if declared_size is not None and declared_size > limit:
        raise _too_large(limit)
    fd, name = tempfile.mkstemp(prefix="quanlu-upload-", suffix=".part")
    tmp = Path(name)
    try:
        size = 0
        hasher = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            for chunk in counted(chunks, declared_size):
                size += len(chunk)
                if size > limit:
                    raise _too_large(limit)
                hasher.update(chunk)
                out.write(chunk)
        if size == 0:
            raise InvalidInput("上传的文件是空的。", field_name="file")
        if expected_sha256 and expected_sha256.lower() != hasher.hexdigest():
            raise InvalidInput("文件摘要与声明的不一致，传输可能出错，请重新上传。", field_name="file")
        checked = check_document_file(tmp)
        return _document_register_upload(
            actor=actor,
            case=case,
            doc_type=doc_type,
            path=tmp,
            media_type=checked.media_type,
            pages=checked.pages,
            file_name=file_name,
            fields=fields or {},
            client_token=client_token,
        )
    finally:
        tmp.unlink(missing_ok=True)


def _too_large(limit: int) -> InvalidInput:
    return InvalidInput(
        f"文件超过允许的大小（上限 {limit // (1024 * 1024)} MB），请压缩或分册后上传。",
        code="too_large",
        field_name="file",
    )


@transaction.atomic
def _document_register_upload(
    *,
    actor: Officer,
    case: Case,
    doc_type: DocType,
    path: Path,
    media_type: str,
    pages: int,
    file_name: str,
    fields: Any,
    client_token: uuid.UUID | None,
) -> Document:
    case = _lock_case(case)
    _require_writer(actor, case, "上传文书")
    file_name = clean_text(file_name, label="文件名", field="file_name", max_length=200, required=False)
    if doc_type.uploaded:
        values = clean_fields(doc_type, fields, Context(case=case, rulebook_id=case.rulebook_id))
        issuer = str(values.get("issuer", ""))
    else:
        # A paper form filled and signed by hand, scanned: the scan is the content.
        if not isinstance(fields, dict):
            raise InvalidInput("文书信息格式不正确。", field_name="fields")
        issuer = clean_text(
            fields.get("issuer") or case.agency.name, label="出具机构", field="issuer", max_length=200
        )
        note = clean_text(fields.get("note"), label="说明", field="note", max_length=2000, required=False)
        values = {"issuer": issuer, **({"note": note} if note else {})}
    number = clean_text(
        (fields or {}).get("number") if isinstance(fields, dict) else "",
        label="文号",
        field="number",
        max_length=64,
        required=False,
    )
    try:
        with path.open("rb") as fh:
            blob, _ = blob_store(actor=actor, agency=case.agency, chunks=iter_file(fh, CHUNK))
    except BlobError as exc:
        raise InvalidInput(exc.message, field_name="file") from exc
    now = timezone.now()
    doc = Document.objects.create(
        case=case,
        type_code=doc_type.code,
        title=doc_type.title,
        stage=doc_type.stage,
        origin=Origin.UPLOADED,
        number=number,
        issuer=issuer,
        created_by=actor,
        created_at=now,
        client_token=client_token,
    )
    version = Version.objects.create(
        document=doc,
        number=1,
        fields=values,
        content_sha256=content_sha256(values),
        created_by=actor,
        created_at=now,
        file_sha256=blob.sha256,
        file_type=media_type,
        file_name=file_name,
        page_count=pages,
        completed_at=now,
    )
    record_event(
        type=events.DOCUMENT_UPLOADED,
        actor=actor,
        agency=case.agency,
        case_uid=case.public_id,
        at=now,
        payload={
            **_base_payload(doc, version),
            "issuer": issuer,
            "file_sha256": blob.sha256,
            "file_sm3": blob.sm3,
            "size": blob.size,
            "media_type": media_type,
            "pages": pages,
            "file_name": file_name,
            "content_sha256": version.content_sha256,
        },
        rows=[doc, version],
    )
    return doc


# ---------------------------------------------------------------- signatures


def _slot(doc: Document, version: Version, slot_key: str) -> SlotStatus:
    for st in signature_status(doc, version):
        if st.key == slot_key:
            return st
    raise InvalidInput(f"《{doc.title}》当前没有「{slot_key}」签署栏。", field_name="slot")


def _open_expected(st: SlotStatus) -> bool:
    return any(not e.done for e in st.expected)


@transaction.atomic
def signature_sign(
    *, actor: Officer, document: Document, slot: str, signature_method: str, kind: str = ""
) -> Signature:
    """An officer signs (or, for the agency seal slot, applies the seal) after
    re-authenticating; the time is recorded."""
    doc = _lock_doc(document)
    version = current_version(doc)
    if doc.case.stage == Stage.CLOSED:
        raise Conflict("案件已结案，文书不能再签署。", code="case_closed")
    if actor.agency_id != doc.case.agency_id:
        raise PermissionDenied("只有本案办案机关的人员可以签署。")
    signature_method = clean_choice(
        signature_method, label="签名方式", field="signature_method", choices=OFFICER_METHODS
    )
    st = _slot(doc, version, slot)
    if not st.officer_slot:
        raise InvalidInput(
            f"「{st.label}」应由{st.role_labels}本人签名，请使用触屏签名或上传签名页。", field_name="slot"
        )
    role = st.roles[0]
    if not actor.is_active or not actor.has_role(*OFFICER_ROLE_NEEDS[role]):
        names = "、".join(Role(r).label for r in OFFICER_ROLE_NEEDS[role])
        raise PermissionDenied(f"在「{st.label}」签署需要以下角色之一：{names}。")
    if role in ("officer", "server") and not actor.certificate_valid_on(timezone.localdate()):
        raise PermissionDenied("您没有有效的行政执法证件，不能作为执法人员签名。")
    doc_type = _type(doc.type_code)
    if any(e.officer_id for e in st.expected):
        mine = [e for e in st.expected if e.officer_id == str(actor.public_id)]
        if not mine:
            raise PermissionDenied(f"您不在本文书「{st.label}」名单中，不能在此签名。")
        if mine[0].done:
            raise Conflict(f"您已在「{st.label}」签名。", code="already_signed")
    else:
        same = _named_officer(doc_type, st.key, version)
        if same and same != str(actor.public_id):
            raise PermissionDenied(f"「{st.label}」应由文书中记载的人员本人签署。")
        if any(s.officer_id == actor.pk for s in st.signatures):
            raise Conflict(f"您已在「{st.label}」签名。", code="already_signed")
        if not _open_expected(st):
            raise Conflict(f"「{st.label}」已签署完毕。", code="slot_full")
    if role in CHAIN_ROLES:
        other = (
            doc.signatures.filter(officer=actor, role__in=CHAIN_ROLES - {role}).exclude(slot=st.key).first()
        )
        if other is not None:
            raise PermissionDenied("同一文书中，承办、审核、法制审核、批准应由不同人员签署。")
    kind = kind or ("seal" if role == "agency" else st.kinds[0])
    if kind not in st.kinds:
        raise InvalidInput(f"「{st.label}」应{st.kind_labels}。", field_name="kind")
    now = timezone.now()
    try:
        with transaction.atomic():
            sig = Signature.objects.create(
                document=doc,
                version=version,
                slot=st.key,
                role=role,
                kind=kind,
                officer=actor,
                signer_name=actor.full_name,
                method=signature_method,
                recorded_by=actor,
                signed_at=now,
            )
    except IntegrityError as exc:
        raise Conflict(f"您已在「{st.label}」签名。", code="already_signed") from exc
    _signature_event(actor, doc, version, sig)
    _maybe_complete(actor, doc, version)
    return sig


def _named_officer(doc_type: DocType, slot_key: str, version: Version) -> str:
    """A slot named like a single-officer field (recorder, presiding, ...) is signed
    by the officer that field records."""
    try:
        spec = doc_type.field(slot_key)
    except KeyError:
        return ""
    value = version.fields.get(slot_key)
    if spec.type == "officer" and isinstance(value, dict):
        return str(value["officer"])
    return ""


def signature_capture(
    *,
    actor: Officer,
    document: Document,
    slot: str,
    signer_name: str,
    image: bytes,
    method: str = CaptureMethod.TOUCH,
    kind: str = "",
    role: str = "",
    client_token: uuid.UUID | None = None,
) -> Signature:
    """A party's, witness's or other person's mark, captured on the touch screen
    (PNG) or as a photographed/scanned signed paper page, recorded by the officer."""
    if client_token is not None:
        existing = Signature.objects.filter(client_token=client_token).first()
        if existing is not None:
            return _same_submitter(existing, existing.recorded_by_id, actor)
    _require_writer(actor, document.case, "记录签名")
    method = clean_choice(
        method, label="签署途径", field="method", choices=[CaptureMethod.TOUCH, CaptureMethod.PAPER]
    )
    if method == CaptureMethod.TOUCH:
        checked = check_signature_image(image)
    else:
        checked = check_signature_image(
            image, allowed=(PNG, JPEG), max_bytes=PAPER_PAGE_MAX_BYTES, max_side=12000
        )
    return _signature_capture(
        actor=actor,
        document=document,
        slot=slot,
        signer_name=signer_name,
        image=image,
        image_type=checked.media_type,
        method=method,
        kind=kind,
        role=role,
        client_token=client_token,
    )


@transaction.atomic
def _signature_capture(
    *,
    actor: Officer,
    document: Document,
    slot: str,
    signer_name: str,
    image: bytes,
    image_type: str,
    method: str,
    kind: str,
    role: str,
    client_token: uuid.UUID | None,
) -> Signature:
    doc = _lock_doc(document)
    _require_writer(actor, doc.case, "记录签名")
    version = current_version(doc)
    st = _slot(doc, version, slot)
    if st.officer_slot:
        raise InvalidInput(f"「{st.label}」应由执法人员本人登录后签署。", field_name="slot")
    role = role or st.roles[0]
    if role not in st.roles:
        raise InvalidInput(f"「{st.label}」应由{st.role_labels}签署。", field_name="role")
    kind = kind or st.kinds[0]
    if kind not in st.kinds:
        raise InvalidInput(f"「{st.label}」应{st.kind_labels}。", field_name="kind")
    signer_name = clean_name(signer_name, label="签署人姓名", field="signer_name", max_length=100)
    names = [e.person_name for e in st.expected if e.person_name]
    if names:
        match = [e for e in st.expected if e.person_name == signer_name]
        if not match:
            raise InvalidInput(f"「{st.label}」名单中没有「{signer_name}」。", field_name="signer_name")
        if match[0].done:
            raise Conflict(f"{signer_name}已在「{st.label}」签署。", code="already_signed")
    elif any(s.signer_name == signer_name and s.kind == kind for s in st.signatures):
        raise Conflict(
            f"{signer_name}已在「{st.label}」{ROLES.get(role, (role,))[0]}处签署。", code="already_signed"
        )
    blob, _ = blob_store_bytes(actor=actor, agency=doc.case.agency, data=image)
    sig = Signature.objects.create(
        document=doc,
        version=version,
        slot=st.key,
        role=role,
        kind=kind,
        signer_name=signer_name,
        method=method,
        image_sha256=blob.sha256,
        image_type=image_type,
        recorded_by=actor,
        signed_at=timezone.now(),
        client_token=client_token,
    )
    _signature_event(actor, doc, version, sig)
    _maybe_complete(actor, doc, version)
    return sig


def _signature_event(actor: Officer, doc: Document, version: Version, sig: Signature) -> None:
    record_event(
        type=events.SIGNATURE_ADDED,
        actor=actor,
        agency=doc.case.agency,
        case_uid=doc.case.public_id,
        at=sig.signed_at,
        payload={
            **_base_payload(doc, version),
            "signature": sig.public_id,
            "slot": sig.slot,
            "role": sig.role,
            "kind": sig.kind,
            "signer": sig.officer.public_id if sig.officer else None,
            "signer_name": sig.signer_name,
            "method": sig.method,
            "image_sha256": sig.image_sha256,
            "content_sha256": version.content_sha256,
        },
        rows=[sig],
    )


# ---------------------------------------------------------------- refusals


@transaction.atomic
def refusal_record(
    *, actor: Officer, document: Document, slot: str, person_name: str, reason: str, signature_method: str
) -> Refusal:
    """Note in the document that a person refused to sign, with the reason; the
    recording officer attests it (001 第十四条 asks two officers: see ``refusal_attest``)."""
    doc = _lock_doc(document)
    _require_writer(actor, doc.case, "记录拒绝签字")
    signature_method = clean_choice(
        signature_method, label="签名方式", field="signature_method", choices=OFFICER_METHODS
    )
    version = current_version(doc)
    st = _slot(doc, version, slot)
    if not st.refusal_allowed:
        raise InvalidInput(f"「{st.label}」不适用拒绝签字的记录方式。", field_name="slot")
    person_name = clean_name(person_name, label="拒签人姓名", field="person_name", max_length=100)
    reason = clean_text(reason, label="拒签理由及情况", field="reason", max_length=2000)
    names = [e.person_name for e in st.expected if e.person_name]
    if names and person_name not in names:
        raise InvalidInput(f"「{st.label}」名单中没有「{person_name}」。", field_name="person_name")
    if any(r.person_name == person_name for r in st.refusals):
        raise Conflict(f"已记录{person_name}拒绝签字。", code="already_refused")
    now = timezone.now()
    refusal = Refusal.objects.create(
        document=doc,
        version=version,
        slot=st.key,
        role=st.roles[0],
        person_name=person_name,
        reason=reason,
        recorded_by=actor,
        recorded_at=now,
    )
    attestation = RefusalAttestation.objects.create(
        refusal=refusal, officer=actor, method=signature_method, signed_at=now
    )
    record_event(
        type=events.REFUSAL_RECORDED,
        actor=actor,
        agency=doc.case.agency,
        case_uid=doc.case.public_id,
        at=now,
        payload={
            **_base_payload(doc, version),
            "refusal": refusal.public_id,
            "slot": st.key,
            "person_name": person_name,
            "reason": reason,
            "officers_needed": st.refusal_min_officers,
            "rule": st.citation.label() if st.citation else "",
            "signature_method": signature_method,
        },
        rows=[refusal, attestation],
    )
    _maybe_complete(actor, doc, version)
    return refusal


@transaction.atomic
def refusal_attest(*, actor: Officer, refusal: Refusal, signature_method: str) -> RefusalAttestation:
    """Another officer signs the refusal note."""
    refusal = Refusal.objects.select_related("document").get(pk=refusal.pk)
    doc = _lock_doc(refusal.document)
    if actor.agency_id != doc.case.agency_id:
        raise PermissionDenied("只有本案办案机关的执法人员可以签字确认。")
    if not actor.is_active or not actor.has_role(Role.OFFICER, Role.HANDLER):
        raise PermissionDenied("签字确认拒签情况需要执法人员或承办人角色。")
    if doc.case.stage == Stage.CLOSED:
        raise Conflict("案件已结案，文书不能再签署。", code="case_closed")
    signature_method = clean_choice(
        signature_method, label="签名方式", field="signature_method", choices=OFFICER_METHODS
    )
    if refusal.attestations.filter(officer=actor).exists():
        raise Conflict("您已签字确认该拒签情况。", code="already_attested")
    now = timezone.now()
    try:
        with transaction.atomic():
            att = RefusalAttestation.objects.create(
                refusal=refusal, officer=actor, method=signature_method, signed_at=now
            )
    except IntegrityError as exc:
        raise Conflict("您已签字确认该拒签情况。", code="already_attested") from exc
    version = current_version(doc)
    record_event(
        type=events.REFUSAL_ATTESTED,
        actor=actor,
        agency=doc.case.agency,
        case_uid=doc.case.public_id,
        at=now,
        payload={
            **_base_payload(doc, version),
            "refusal": refusal.public_id,
            "officers": refusal.attestations.count(),
            "signature_method": signature_method,
        },
        rows=[att],
    )
    _maybe_complete(actor, doc, version)
    return att


# ---------------------------------------------------------------- completion


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
