"""Enforcement certificates (执法证件): recorded, renewed (a new row, the old one kept),
suspended and restored. The officer's own certificate fields mirror the current one, so
every place that checks a signer (``Officer.certificate_valid_on``) keeps working."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from quanlu.core.errors import Conflict, InvalidInput
from quanlu.core.validation import clean_text
from quanlu.ledger.services import record_event
from quanlu.org import events
from quanlu.org.models import Certificate, CertificateStatus, Officer
from quanlu.org.permissions import require_admin


def certificate_current(officer: Officer) -> Certificate | None:
    return officer.certificates.order_by("-created_at", "-pk").first()


def certificate_taken(number: str, issuing_authority: str, officer: Officer | None = None) -> bool:
    """Whether another officer holds (or held) this number from this issuing authority.
    The same number from another authority is another certificate."""
    held = Certificate.objects.filter(number=number, issuing_authority=issuing_authority)
    current = Officer.objects.filter(certificate_no=number, certificate_issuer=issuing_authority)
    if officer is not None and officer.pk is not None:
        held = held.exclude(officer=officer)
        current = current.exclude(pk=officer.pk)
    return held.exists() or current.exists()


def _clean(
    *, number: str, issuing_authority: str, area: str, category: str, valid_from: Any, valid_until: Any
) -> tuple[str, str, str, str]:
    number = clean_text(number, label="执法证件编号", field="certificate_no", max_length=32)
    issuing_authority = clean_text(
        issuing_authority, label="发证机关", field="issuing_authority", max_length=100
    )
    area = clean_text(area, label="执法区域", field="area", max_length=100, required=False)
    category = clean_text(category, label="执法类别", field="category", max_length=100, required=False)
    if not isinstance(valid_until, dt.date):
        raise InvalidInput("请填写证件有效期至（日期）。", field_name="valid_until")
    if valid_from is not None and not isinstance(valid_from, dt.date):
        raise InvalidInput("证件有效期起应为日期。", field_name="valid_from")
    if valid_from is not None and valid_from > valid_until:
        raise InvalidInput("证件有效期起不能晚于有效期至。", field_name="valid_until")
    return number, issuing_authority, area, category


def _mirror(officer: Officer, cert: Certificate) -> None:
    officer.certificate_no = cert.number
    officer.certificate_issuer = cert.issuing_authority
    officer.certificate_valid_from = cert.valid_from
    officer.certificate_valid_until = cert.valid_until
    officer.certificate_suspended = cert.status != CertificateStatus.ACTIVE
    officer.save(
        update_fields=[
            "certificate_no",
            "certificate_issuer",
            "certificate_valid_from",
            "certificate_valid_until",
            "certificate_suspended",
        ]
    )


@transaction.atomic
def certificate_record(
    *,
    actor: Officer | None,
    officer: Officer,
    number: str,
    issuing_authority: str,
    valid_until: dt.date | None,
    valid_from: dt.date | None = None,
    area: str = "",
    category: str = "",
) -> Certificate:
    """Record a certificate for ``officer``; when they hold one already this is its
    renewal: the new one becomes current, the old one stays as history."""
    if actor is not None and officer.agency is not None:
        require_admin(actor, officer.agency)
    number, issuing_authority, area, category = _clean(
        number=number,
        issuing_authority=issuing_authority,
        area=area,
        category=category,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    assert valid_until is not None
    officer = Officer.objects.select_for_update().get(pk=officer.pk)
    if certificate_taken(number, issuing_authority, officer):
        raise Conflict(
            f"发证机关「{issuing_authority}」的执法证件编号 {number} 已登记给其他人员。",
            field_name="certificate_no",
        )
    previous = certificate_current(officer)
    if previous is not None and previous.number == number and previous.valid_from == valid_from:
        raise Conflict("该证件已登记；换证请填写新的有效期。", field_name="valid_from")
    cert = Certificate.objects.create(
        officer=officer,
        number=number,
        issuing_authority=issuing_authority,
        area=area,
        category=category,
        valid_from=valid_from,
        valid_until=valid_until,
        replaces=previous,
    )
    _mirror(officer, cert)
    record_event(
        type=events.CERTIFICATE_RENEWED if previous else events.CERTIFICATE_RECORDED,
        actor=actor,
        agency=officer.agency,
        payload={
            "officer": officer.public_id,
            "certificate": cert.public_id,
            "replaces": previous.public_id if previous else None,
            "number": number,
            "issuing_authority": issuing_authority,
            "area": area,
            "category": category,
            "valid_from": valid_from,
            "valid_until": valid_until,
        },
        rows=[cert, officer],
    )
    return cert


@transaction.atomic
def certificate_set_status(
    *, actor: Officer | None, officer: Officer, status: str, reason: str
) -> Certificate:
    """Suspend (暂扣) the current certificate, restore it, or revoke it (吊销, final): a
    suspended or revoked certificate signs nothing, like an expired one."""
    if actor is not None and officer.agency is not None:
        require_admin(actor, officer.agency)
    if status not in CertificateStatus.values:
        raise InvalidInput("证件状态只能为有效、暂扣或吊销。", field_name="status")
    reason = clean_text(reason, label="原因", field="reason", max_length=500)
    officer = Officer.objects.select_for_update().get(pk=officer.pk)
    cert = certificate_current(officer)
    if cert is None:
        raise Conflict("该人员没有登记执法证件。")
    if cert.status == status:
        raise Conflict(f"该证件已是「{CertificateStatus(status).label}」状态。")
    if cert.status == CertificateStatus.REVOKED:
        raise Conflict("该证件已吊销，不能恢复或暂扣；如重新发证，请登记新证件。")
    cert.status = status
    cert.save(update_fields=["status"])
    _mirror(officer, cert)
    record_event(
        type=events.CERTIFICATE_STATUS_SET,
        actor=actor,
        agency=officer.agency,
        payload={
            "officer": officer.public_id,
            "certificate": cert.public_id,
            "status": status,
            "reason": reason,
        },
        rows=[cert, officer],
    )
    return cert


# The 发证机关 of a certificate recorded before issuing authorities were: officer_create
# has always defaulted it to the officer's agency, so that is the best reading of it.
UNKNOWN_ISSUER = "（未记录发证机关）"


@transaction.atomic
def certificate_history_complete() -> int:
    """Bring officers from before certificate history up to date (run by migration
    org 0006; idempotent): an officer whose number lives only in their own columns gets
    it as their first certificate row, so a renewal has something to replace; every
    holder gets the current certificate's issuing authority mirrored. One event per
    officer (the system's). A number without a validity date is left alone: it never
    signed, and an administrator records it with its dates. Returns the officers done."""
    done = 0
    legacy = (
        Officer.objects.select_for_update(of=("self",))
        .filter(certificate_issuer="")
        .exclude(certificate_no="")
        .select_related("agency")
        .order_by("pk")
    )
    for officer in legacy:
        cert = certificate_current(officer)
        created = cert is None
        if cert is None:
            if officer.certificate_valid_until is None:
                continue
            cert = Certificate.objects.create(
                officer=officer,
                number=officer.certificate_no,
                issuing_authority=officer.agency.name if officer.agency else UNKNOWN_ISSUER,
                valid_from=officer.certificate_valid_from,
                valid_until=officer.certificate_valid_until,
                status=CertificateStatus.SUSPENDED
                if officer.certificate_suspended
                else CertificateStatus.ACTIVE,
            )
        officer.certificate_issuer = cert.issuing_authority
        officer.save(update_fields=["certificate_issuer"])
        record_event(
            type=events.CERTIFICATE_HISTORY_COMPLETED,
            actor=None,
            agency=officer.agency,
            payload={
                "officer": officer.public_id,
                "certificate": cert.public_id,
                "created": created,
                "number": cert.number,
                "issuing_authority": cert.issuing_authority,
            },
            rows=[cert, officer],
        )
        done += 1
    return done
