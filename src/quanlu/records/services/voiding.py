"""Voiding a draft made by mistake (作废): kept and shown with the reason, no longer
looked at by the rules, so a wrong draft stops blocking the stage gate. A document
anyone has signed (or refused to sign) is a record of what happened and is
corrected by a new version instead."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from quanlu.core.errors import Conflict
from quanlu.core.validation import clean_text
from quanlu.ledger.services import record_event
from quanlu.org.models import Officer
from quanlu.records import events
from quanlu.records.models import Document, Voiding
from quanlu.records.selectors import current_version
from quanlu.records.services.common import _base_payload, _lock_doc, _require_writer


@transaction.atomic
def document_void(*, actor: Officer, document: Document, reason: str) -> Voiding:
    doc = _lock_doc(document)
    _require_writer(actor, doc.case, "作废文书")
    reason = clean_text(reason, label="作废理由", field="reason", max_length=2000)
    if Voiding.objects.filter(document=doc).exists():
        raise Conflict(f"《{doc.title}》已作废。", code="already_voided")
    signed = doc.signatures.count()
    refused = doc.refusals.count()
    if signed or refused:
        what = f"已有{signed}处签名" if signed else f"已记录{refused}次拒绝签字"
        raise Conflict(
            f"《{doc.title}》{what}，不能作废：已签署的文书是现场情况的记录，"
            "有误的请「更正」生成新版本并写明理由。",
            code="document_signed",
        )
    now = timezone.now()
    voiding = Voiding.objects.create(document=doc, reason=reason, voided_by=actor, voided_at=now)
    record_event(
        type=events.DOCUMENT_VOIDED,
        actor=actor,
        agency=doc.case.agency,
        case_uid=doc.case.public_id,
        at=now,
        payload={**_base_payload(doc, current_version(doc)), "voiding": voiding.public_id, "reason": reason},
        rows=[voiding],
    )
    return voiding
