"""Signatures: an officer signs after re-authenticating; a party's, witness's or
other person's mark is captured on the touch screen or from a signed paper page."""

from __future__ import annotations

import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone

from quanlu.blobs.services import blob_store_bytes
from quanlu.cases.models import Stage
from quanlu.core.errors import Conflict, InvalidInput, PermissionDenied
from quanlu.core.validation import clean_choice, clean_name
from quanlu.ledger.services import record_event
from quanlu.org.models import Officer, Role
from quanlu.records import events
from quanlu.records.catalogue import ROLES, DocType
from quanlu.records.models import CaptureMethod, Document, Signature, Version
from quanlu.records.selectors import SlotStatus, current_version
from quanlu.records.services.common import (
    CHAIN_ROLES,
    OFFICER_METHODS,
    OFFICER_ROLE_NEEDS,
    PAPER_PAGE_MAX_BYTES,
    _base_payload,
    _lock_doc,
    _maybe_complete,
    _refuse_voided,
    _require_writer,
    _same_submitter,
    _slot,
    _type,
)
from quanlu.records.uploads import JPEG, PNG, check_signature_image
from quanlu.rulebooks.evaluator import rulebook_for
from quanlu.rulebooks.obligations import form_chain_rules, refusal


def _open_expected(st: SlotStatus) -> bool:
    return any(not e.done for e in st.expected)


@transaction.atomic
def signature_sign(
    *,
    actor: Officer,
    document: Document,
    slot: str,
    signature_method: str,
    kind: str = "",
    recorded_by: Officer | None = None,
) -> Signature:
    """An officer signs (or, for the agency seal slot, applies the seal) after
    re-authenticating; the time is recorded. ``actor`` is the officer who signs and
    re-authenticated; on a shared device ``recorded_by`` is the signed-in officer
    whose device it is (a writer of the case), the actor otherwise."""
    doc = _lock_doc(document)
    _refuse_voided(doc)
    recorder = recorded_by or actor
    if recorder.pk != actor.pk:
        _require_writer(recorder, doc.case, "在本机记录其他执法人员的签名")
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
    if not actor.is_active:
        raise PermissionDenied(f"{actor.full_name}的账号已停用，不能签名。")
    if not actor.has_role(*OFFICER_ROLE_NEEDS[role]):
        names = "、".join(Role(r).label for r in OFFICER_ROLE_NEEDS[role])
        raise PermissionDenied(f"{actor.full_name}在「{st.label}」签署需要以下角色之一：{names}。")
    if role in ("officer", "server") and not actor.certificate_valid_on(timezone.localdate()):
        raise PermissionDenied(
            f"{actor.full_name}没有有效的行政执法证件（未登记或已过期），不能作为执法人员签名。"
        )
    doc_type = _type(doc.type_code)
    if any(e.officer_id for e in st.expected):
        mine = [e for e in st.expected if e.officer_id == str(actor.public_id)]
        if not mine:
            raise PermissionDenied(f"{actor.full_name}不在本文书「{st.label}」名单中，不能在此签名。")
        if mine[0].done:
            raise Conflict(f"{actor.full_name}已在「{st.label}」签名。", code="already_signed")
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
            _refuse_same_signer(doc)
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
                recorded_by=recorder,
                signed_at=now,
            )
    except IntegrityError as exc:
        raise Conflict(f"{actor.full_name}已在「{st.label}」签名。", code="already_signed") from exc
    _signature_event(actor, doc, version, sig)
    _maybe_complete(actor, doc, version)
    return sig


def _refuse_same_signer(doc: Document) -> None:
    """One person signing two steps of an approval form: where the case's regulation
    names the chain's signers apart (004 第三十一条, 001 第十五条) and the form records
    that chain, the refusal is that rule's finding, as when the approval step is signed."""
    message = "同一文书中，承办、审核、法制审核、批准应由不同人员签署。"
    rules = form_chain_rules(rulebook_for(doc.case), doc.type_code)
    if rules:
        satisfy = "由未在本文书中签署过其他审批环节的人员签署该栏。"
        raise refusal(rules, message, satisfy=satisfy, code="same_person", status=403)
    raise PermissionDenied(message)


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
    _refuse_voided(doc)
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
            "recorded_by": sig.recorded_by.public_id,
            "image_sha256": sig.image_sha256,
            "content_sha256": version.content_sha256,
        },
        rows=[sig],
    )
