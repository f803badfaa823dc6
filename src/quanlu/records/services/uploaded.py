"""Uploaded documents: a scan or an outside PDF (e.g. 鉴定意见书) registered as a
document of a type, its bytes checked before they reach the blob store."""

from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from quanlu.blobs.services import blob_store
from quanlu.blobs.store import CHUNK, BlobError, iter_file
from quanlu.cases.models import Case
from quanlu.core.errors import InvalidInput
from quanlu.core.validation import clean_text
from quanlu.ledger.services import record_event
from quanlu.org.models import Officer
from quanlu.records import events
from quanlu.records.catalogue import DocType
from quanlu.records.fields import Context, clean_fields
from quanlu.records.models import Document, Origin, Version
from quanlu.records.services.common import (
    _base_payload,
    _lock_case,
    _require_writer,
    _same_submitter,
    _type,
    content_sha256,
)
from quanlu.records.uploads import check_document_file, counted


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


def _upload_values(case: Case, doc_type: DocType, fields: Any) -> tuple[dict[str, Any], str]:
    """The fields kept with an uploaded document, and who issued it: an outside
    document's own fields, or for a scanned paper form just its issuer and a note."""
    if doc_type.uploaded:
        values = clean_fields(doc_type, fields, Context(case=case, rulebook_id=case.rulebook_id))
        return values, str(values.get("issuer", ""))
    # A paper form filled and signed by hand, scanned: the scan is the content.
    if not isinstance(fields, dict):
        raise InvalidInput("文书信息格式不正确。", field_name="fields")
    issuer = clean_text(
        fields.get("issuer") or case.agency.name, label="出具机构", field="issuer", max_length=200
    )
    note = clean_text(fields.get("note"), label="说明", field="note", max_length=2000, required=False)
    return {"issuer": issuer, **({"note": note} if note else {})}, issuer


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
    values, issuer = _upload_values(case, doc_type, fields)
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
