"""The parties of a case (当事人), their identity documents checked as they are registered."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from quanlu.cases import events
from quanlu.cases.models import (
    Case,
    IdType,
    Party,
    PartyKind,
)
from quanlu.cases.services.common import CASE_WORKERS, _lock, _require_open, _require_staff, _same_submitter
from quanlu.core.errors import Conflict, InvalidInput
from quanlu.core.idnumbers import resident_id_problem, uscc_problem
from quanlu.core.validation import clean_choice, clean_name, clean_text
from quanlu.ledger.services import record_event
from quanlu.org.models import Officer


def _check_party_id(kind: str, id_type: str, id_number: str) -> str:
    id_number = id_number.strip().upper()
    if kind == PartyKind.PERSON and id_type == IdType.USCC:
        raise InvalidInput("自然人不能使用统一社会信用代码。", field_name="id_type")
    if kind == PartyKind.ORGANISATION and id_type in (IdType.RESIDENT_ID, IdType.PASSPORT):
        raise InvalidInput("法人或其他组织应填写统一社会信用代码或其他证照号码。", field_name="id_type")
    problem = None
    if id_type == IdType.RESIDENT_ID:
        problem = resident_id_problem(id_number)
    elif id_type == IdType.USCC:
        problem = uscc_problem(id_number)
    if problem:
        raise InvalidInput(problem, field_name="id_number")
    return id_number


@transaction.atomic
def _party_add(
    *,
    actor: Officer,
    case: Case,
    kind: str,
    name: str,
    id_type: str,
    id_number: str,
    legal_representative: str = "",
    address: str = "",
    phone: str = "",
    client_token: uuid.UUID | None = None,
) -> Party:
    case = _lock(case)
    _require_staff(actor, case.agency, CASE_WORKERS, "登记当事人")
    _require_open(case)
    kind = clean_choice(kind, label="当事人类别", field="kind", choices=PartyKind)
    id_type = clean_choice(id_type, label="证件类型", field="id_type", choices=IdType)
    name = clean_name(name, label="名称或姓名", field="name", max_length=200)
    id_number = clean_text(id_number, label="证件号码", field="id_number", max_length=64)
    id_number = _check_party_id(kind, id_type, id_number)
    legal_representative = clean_name(
        legal_representative,
        label="法定代表人（负责人）",
        field="legal_representative",
        max_length=64,
        required=kind == PartyKind.ORGANISATION,
    )
    address = clean_text(address, label="住所（地址）", field="address", max_length=300, required=False)
    phone = clean_text(phone, label="联系电话", field="phone", max_length=32, required=False)
    if case.parties.filter(id_type=id_type, id_number=id_number).exists():
        raise Conflict(f"当事人（{id_number}）已在本案登记。", code="party_exists")
    party = Party.objects.create(
        case=case,
        kind=kind,
        name=name,
        id_type=id_type,
        id_number=id_number,
        legal_representative=legal_representative,
        address=address,
        phone=phone,
        added_by=actor,
        added_at=timezone.now(),
        client_token=client_token,
    )
    record_event(
        type=events.PARTY_ADDED,
        actor=actor,
        agency=case.agency,
        case_uid=case.public_id,
        payload={
            "party": party.public_id,
            "kind": kind,
            "name": name,
            "id_type": id_type,
            "id_number": id_number,
            "legal_representative": legal_representative,
            "address": address,
            "phone": phone,
        },
        rows=[party],
    )
    return party


def party_add(*, actor: Officer, case: Case, client_token: uuid.UUID | None = None, **fields: Any) -> Party:
    if client_token is not None:
        existing = Party.objects.filter(client_token=client_token).first()
        if existing is not None:
            return _same_submitter(existing, existing.added_by_id, actor)
    try:
        return _party_add(actor=actor, case=case, client_token=client_token, **fields)
    except IntegrityError:
        existing = Party.objects.filter(client_token=client_token).first() if client_token else None
        if existing is None:
            raise Conflict("当事人已在本案登记。", code="party_exists") from None
        return _same_submitter(existing, existing.added_by_id, actor)
