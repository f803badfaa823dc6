"""API schemas of the administration operations."""

from __future__ import annotations

import datetime as dt
import uuid

from ninja import Schema


class RefOut(Schema):
    id: uuid.UUID
    name: str | None


class CertificateOut(Schema):
    id: uuid.UUID
    number: str
    issuing_authority: str
    area: str
    category: str
    valid_from: dt.date | None
    valid_until: dt.date
    status: str
    replaces: uuid.UUID | None
    created_at: dt.datetime


class RoleGrantOut(Schema):
    id: uuid.UUID
    role: str
    role_label: str
    granted_at: dt.datetime
    reason: str
    revoked_at: dt.datetime | None
    revoke_reason: str


class CertificateAlertOut(Schema):
    level: str
    message: str


class AdminOfficerOut(Schema):
    id: uuid.UUID
    username: str
    full_name: str
    agency: RefOut | None
    id_number: str
    is_active: bool
    must_change_password: bool
    certificate_no: str
    certificate_valid_until: dt.date | None
    certificate_alert: CertificateAlertOut | None
    roles: list[str]
    locked_until: dt.datetime | None


class AdminOfficerDetailOut(AdminOfficerOut):
    certificates: list[CertificateOut]
    grants: list[RoleGrantOut]


class OfficerCreateIn(Schema):
    username: str
    full_name: str
    password: str
    id_number: str = ""
    roles: list[str] = []
    reason: str = "新增人员"


class CertificateIn(Schema):
    number: str
    issuing_authority: str
    valid_until: dt.date
    valid_from: dt.date | None = None
    area: str = ""
    category: str = ""


class CertificateStatusIn(Schema):
    status: str
    reason: str


class RoleIn(Schema):
    role: str
    reason: str


class AdminReasonIn(Schema):
    reason: str


class PasswordResetIn(Schema):
    password: str


class TokenOut(Schema):
    id: uuid.UUID
    officer: RefOut
    label: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class DocumentSettingsIn(Schema):
    document_name: str
    case_number_pattern: str
    reason: str = ""


class DocumentSettingsOut(Schema):
    id: uuid.UUID
    version: int
    document_name: str
    case_number_pattern: str
    reason: str
    created_at: dt.datetime


class AgencyIn(Schema):
    code: str
    name: str
    kind: str
    level: str
    region_code: str
    rulebook_id: str = ""
    case_prefix: str = ""
    uscc: str = ""


class AgencyMoveIn(Schema):
    parent: uuid.UUID
    reason: str


class AgencyOut(Schema):
    id: uuid.UUID
    code: str
    name: str
    kind: str
    level: str
    region_code: str
    parent: RefOut | None
    rulebook_id: str
    case_prefix: str
    uscc: str
