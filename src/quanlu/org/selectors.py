"""Reads about organisations: who may see which agency's work."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from quanlu.org.models import (
    Agency,
    AgencyKind,
    ApiToken,
    Certificate,
    CertificateStatus,
    Officer,
    Region,
    Role,
)
from quanlu.org.services import api_token_touch, certificate_current, token_digest


def visible_agencies(officer: Officer) -> QuerySet[Agency]:
    """The agencies whose cases ``officer`` may see.

    Its own agency; the agencies below it (a superior agency sees its subordinates);
    and, for a justice bureau, every enforcement agency in its region and below.
    Writing is a separate question (``writable_agency``): supervision is read-only.
    """
    agency = officer.agency
    if agency is None or not officer.is_active:
        return Agency.objects.none()
    if agency.kind in (AgencyKind.JUSTICE, AgencyKind.SUPERVISING):
        return Agency.objects.filter(kind=AgencyKind.ENFORCEMENT, region__path__startswith=agency.region.path)
    return Agency.objects.filter(Q(pk=agency.pk) | Q(path__startswith=agency.path))


def officers_with_role(agency: Agency, role: str) -> QuerySet[Officer]:
    return Officer.objects.filter(
        agency=agency, is_active=True, role_grants__role=role, role_grants__revoked_at__isnull=True
    ).distinct()


def officer_for_token(raw: str) -> Officer | None:
    token = (
        ApiToken.objects.select_related("officer", "officer__agency")
        .filter(digest=token_digest(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.officer.is_active:
        return None
    now = timezone.now()
    if token.expires_at is not None and token.expires_at <= now:
        return None
    api_token_touch(token, now)
    return token.officer


def tokens_of_agency(agency: Agency) -> QuerySet[ApiToken]:
    return (
        ApiToken.objects.filter(officer__agency=agency)
        .select_related("officer")
        .order_by("revoked_at", "-created_at")
    )


# ---------------------------------------------------------------- certificate alerts

ALERT_DAYS = 30


@dataclass(frozen=True)
class CertificateAlert:
    officer: Officer
    certificate: Certificate | None
    level: str  # "yellow" (expires within ALERT_DAYS) or "red" (expired, suspended)
    message: str


def certificate_alert(officer: Officer, today: dt.date | None = None) -> CertificateAlert | None:
    """Yellow within 30 days of expiry, red once expired or suspended; None when the
    officer holds no certificate (staff) or a good one."""
    today = today or timezone.localdate()
    if not officer.certificate_no or officer.certificate_valid_until is None:
        return None
    cert = certificate_current(officer)
    until = officer.certificate_valid_until
    if officer.certificate_suspended:
        done = "吊销" if cert is not None and cert.status == CertificateStatus.REVOKED else "暂扣"
        return CertificateAlert(officer, cert, "red", f"执法证件已{done}，不能以执法人员身份签署。")
    if until < today:
        return CertificateAlert(
            officer, cert, "red", f"执法证件已于 {until:%Y-%m-%d} 过期，不能以执法人员身份签署。"
        )
    if (until - today).days <= ALERT_DAYS:
        return CertificateAlert(officer, cert, "yellow", f"执法证件将于 {until:%Y-%m-%d} 到期，请及时换证。")
    return None


def certificate_alerts(agency: Agency, today: dt.date | None = None) -> list[CertificateAlert]:
    """The agency's active officers whose certificates need attention, red first."""
    today = today or timezone.localdate()
    soon = today + dt.timedelta(days=ALERT_DAYS)
    officers = Officer.objects.filter(agency=agency, is_active=True).exclude(certificate_no="")
    officers = officers.filter(Q(certificate_valid_until__lte=soon) | Q(certificate_suspended=True))
    found = [a for o in officers.order_by("full_name") if (a := certificate_alert(o, today))]
    return sorted(found, key=lambda a: a.level != "red")


ROLE_LABELS = dict(Role.choices)


def supervisor_of(agency: Agency) -> Agency | None:
    """Who supervises an agency — and so witnesses (cosigns) its ledger log: its parent
    agency, else the justice bureau of its region (or of the nearest region above that
    has one)."""
    if agency.parent_id is not None:
        return agency.parent
    region: Region | None = agency.region
    while region is not None:
        bureau = (
            Agency.objects.filter(kind=AgencyKind.JUSTICE, region=region)
            .exclude(pk=agency.pk)
            .order_by("pk")
            .first()
        )
        if bureau is not None:
            return bureau
        region = region.parent
    return None


def export_rows(agency: Agency) -> tuple[list[list[str]], list[list[str]]]:
    """The agency and those below it, and their active officers, in the import format
    (``quanlu.org.spreadsheet``): what comes out can go back in."""
    agencies = (
        Agency.objects.filter(path__startswith=agency.path)
        .select_related("region", "parent")
        .order_by("path")
    )
    agency_rows = [
        [
            a.code,
            a.name,
            a.get_kind_display(),
            a.get_level_display(),
            a.region.code,
            a.parent.code if a.parent and a.pk != agency.pk else "",
            a.rulebook_id,
            a.case_prefix,
            a.uscc,
        ]
        for a in agencies
    ]
    officer_rows = []
    officers = Officer.objects.filter(agency__in=agencies, is_active=True).select_related("agency")
    for o in officers.order_by("agency__path", "username"):
        cert = certificate_current(o)
        officer_rows.append(
            [
                o.agency.code if o.agency else "",
                o.username,
                o.full_name,
                o.id_number,
                o.certificate_no,
                cert.issuing_authority if cert else "",
                cert.area if cert else "",
                cert.category if cert else "",
                o.certificate_valid_from.isoformat() if o.certificate_valid_from else "",
                o.certificate_valid_until.isoformat() if o.certificate_valid_until else "",
                "、".join(ROLE_LABELS[r] for r in sorted(o.role_set())),
            ]
        )
    return agency_rows, officer_rows
