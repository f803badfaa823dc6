"""Reads about organisations: who may see which agency's work."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from quanlu.org.models import Agency, AgencyKind, ApiToken, Officer, Region, Role
from quanlu.org.services import token_digest


def visible_agencies(officer: Officer) -> QuerySet[Agency]:
    """The agencies whose cases ``officer`` may see.

    Its own agency; the agencies below it (a superior agency sees its subordinates);
    and, for a justice bureau, every enforcement agency in its region and below.
    Writing is a separate question (``writable_agency``): supervision is read-only.
    """
    agency = officer.agency
    if agency is None or not officer.is_active:
        return Agency.objects.none()
    if agency.kind == AgencyKind.JUSTICE:
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
    return token.officer


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
