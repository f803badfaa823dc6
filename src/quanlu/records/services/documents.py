"""Filled-in documents: made (version 1) and corrected (a new version naming the
one it replaces, the fields it changes and why)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from quanlu.cases.models import Case
from quanlu.core.errors import Conflict, InvalidInput
from quanlu.core.validation import clean_choice, clean_text
from quanlu.ledger.services import record_event
from quanlu.org.models import Officer
from quanlu.records import events
from quanlu.records.fields import Context, clean_fields
from quanlu.records.models import Document, Origin, Version
from quanlu.records.selectors import current_version
from quanlu.records.services.common import (
    OFFICER_METHODS,
    _base_payload,
    _lock_case,
    _lock_doc,
    _maybe_complete,
    _next_number,
    _refuse_voided,
    _render_version,
    _require_writer,
    _same_submitter,
    _type,
    content_sha256,
)


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
    _render_version(actor, doc, version)
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
    _refuse_voided(doc)
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
    _render_version(actor, doc, version)
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
