"""Refusals to sign, noted with the reason and attested by the officers present
(001 第十四条 asks two)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from quanlu.cases.models import Stage
from quanlu.core.errors import Conflict, InvalidInput, PermissionDenied
from quanlu.core.validation import clean_choice, clean_name, clean_text
from quanlu.ledger.services import record_event
from quanlu.org.models import Officer, Role
from quanlu.records import events
from quanlu.records.models import Document, Refusal, RefusalAttestation
from quanlu.records.selectors import current_version
from quanlu.records.services.common import (
    OFFICER_METHODS,
    _base_payload,
    _lock_doc,
    _maybe_complete,
    _refuse_voided,
    _require_writer,
    _slot,
)


@transaction.atomic
def refusal_record(
    *, actor: Officer, document: Document, slot: str, person_name: str, reason: str, signature_method: str
) -> Refusal:
    """Note in the document that a person refused to sign, with the reason; the
    recording officer attests it (001 第十四条 asks two officers: see ``refusal_attest``)."""
    doc = _lock_doc(document)
    _require_writer(actor, doc.case, "记录拒绝签字")
    _refuse_voided(doc)
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
