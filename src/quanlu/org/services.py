"""Writes to organisations and people; each with its ledger event."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone

from quanlu.core.errors import Conflict, InvalidInput, PermissionDenied
from quanlu.core.validation import clean_choice, clean_name, clean_text
from quanlu.ledger.services import record_event
from quanlu.org import events
from quanlu.org.models import Agency, AgencyKind, AgencyLevel, ApiToken, Officer, Region, Role, RoleGrant
from quanlu.rulebooks.loader import all_rulebooks


def _path(parent_path: str | None, pk: int) -> str:
    return f"{parent_path or '/'}{pk}/"


@transaction.atomic
def region_create(*, actor: Officer | None, code: str, name: str, parent: Region | None = None) -> Region:
    code = clean_text(code, label="行政区划代码", field="code", max_length=12)
    name = clean_text(name, label="名称", field="name", max_length=64)
    if Region.objects.filter(code=code).exists():
        raise Conflict(f"行政区划代码 {code} 已存在。")
    region = Region.objects.create(code=code, name=name, parent=parent, path="")
    region.path = _path(parent.path if parent else None, region.pk)
    region.save(update_fields=["path"])
    record_event(
        type=events.REGION_CREATED,
        actor=actor,
        agency=None,
        payload={
            "region": region.public_id,
            "code": code,
            "name": name,
            "parent": parent.public_id if parent else None,
        },
        rows=[region],
    )
    return region


@transaction.atomic
def agency_create(
    *,
    actor: Officer | None,
    code: str,
    name: str,
    kind: str,
    level: str,
    region: Region,
    parent: Agency | None = None,
    rulebook_id: str = "",
    case_prefix: str = "",
) -> Agency:
    kind = clean_choice(kind, label="类别", field="kind", choices=AgencyKind)
    level = clean_choice(level, label="层级", field="level", choices=AgencyLevel)
    name = clean_text(name, label="名称", field="name", max_length=100)
    if kind == AgencyKind.ENFORCEMENT:
        if rulebook_id not in all_rulebooks():
            raise InvalidInput(f"规则集 {rulebook_id or '（空）'} 不存在。", field_name="rulebook_id")
        case_prefix = clean_text(case_prefix, label="案号前缀", field="case_prefix", max_length=16)
    elif rulebook_id:
        raise InvalidInput("司法行政部门不适用执法规则集。", field_name="rulebook_id")
    if Agency.objects.filter(code=code).exists() or Agency.objects.filter(name=name).exists():
        raise Conflict(f"机关「{name}」已存在。")
    agency = Agency.objects.create(
        code=code,
        name=name,
        kind=kind,
        level=level,
        region=region,
        parent=parent,
        rulebook_id=rulebook_id,
        case_prefix=case_prefix,
        path="",
    )
    agency.path = _path(parent.path if parent else None, agency.pk)
    agency.save(update_fields=["path"])
    record_event(
        type=events.AGENCY_CREATED,
        actor=actor,
        agency=agency,
        payload={
            "code": code,
            "name": name,
            "kind": kind,
            "level": level,
            "region": region.public_id,
            "parent": parent.public_id if parent else None,
            "rulebook": rulebook_id,
            "case_prefix": case_prefix,
        },
        rows=[agency],
    )
    return agency


@transaction.atomic
def officer_create(
    *,
    actor: Officer | None,
    agency: Agency,
    username: str,
    full_name: str,
    password: str,
    roles: list[str],
    certificate_no: str = "",
    certificate_valid_from: dt.date | None = None,
    certificate_valid_until: dt.date | None = None,
) -> Officer:
    username = clean_text(username, label="用户名", field="username", max_length=150)
    full_name = clean_name(full_name, label="姓名", field="full_name", max_length=64)
    certificate_no = clean_text(
        certificate_no, label="执法证件编号", field="certificate_no", max_length=32, required=False
    )
    if certificate_no and certificate_valid_until is None:
        raise InvalidInput("填写执法证件编号时须填写证件有效期。", field_name="certificate_valid_until")
    if Officer.objects.filter(username=username).exists():
        raise Conflict(f"用户名 {username} 已被使用。")
    if certificate_no and Officer.objects.filter(certificate_no=certificate_no).exists():
        raise Conflict(f"执法证件编号 {certificate_no} 已登记。")
    officer = Officer(
        username=username,
        full_name=full_name,
        agency=agency,
        certificate_no=certificate_no,
        certificate_valid_from=certificate_valid_from,
        certificate_valid_until=certificate_valid_until,
    )
    officer.set_password(password)
    officer.save()
    record_event(
        type=events.OFFICER_CREATED,
        actor=actor,
        agency=agency,
        payload={
            "officer": officer.public_id,
            "username": username,
            "full_name": full_name,
            "certificate_no": certificate_no,
            "certificate_valid_from": certificate_valid_from,
            "certificate_valid_until": certificate_valid_until,
        },
        rows=[officer],
    )
    for role in roles:
        role_grant(actor=actor, officer=officer, role=role)
    return officer


@transaction.atomic
def officer_deactivate(*, actor: Officer | None, officer: Officer, reason: str) -> Officer:
    """An officer who has left or been suspended can no longer sign in or act; the
    account and everything it did stay (nothing is deleted)."""
    reason = clean_text(reason, label="停用原因", field="reason", max_length=500)
    officer = Officer.objects.select_for_update().get(pk=officer.pk)
    if not officer.is_active:
        raise Conflict("该人员账号已停用。")
    officer.is_active = False
    officer.save(update_fields=["is_active"])
    record_event(
        type=events.OFFICER_DEACTIVATED,
        actor=actor,
        agency=officer.agency,
        payload={"officer": officer.public_id, "reason": reason},
        rows=[officer],
    )
    return officer


@transaction.atomic
def role_grant(*, actor: Officer | None, officer: Officer, role: str) -> RoleGrant:
    role = clean_choice(role, label="角色", field="role", choices=Role)
    if officer.agency is None:
        raise InvalidInput("该人员未隶属任何机关。")
    if role == Role.SUPERVISOR and not (officer.agency.is_justice or officer.agency.children.exists()):
        # Supervision is exercised from above: a justice bureau or a superior agency.
        raise InvalidInput("执法监督角色只能授予司法行政部门或上级机关人员。", field_name="role")
    if officer.agency.is_justice and role != Role.SUPERVISOR:
        raise InvalidInput("司法行政部门人员只能担任执法监督角色。", field_name="role")
    try:
        with transaction.atomic():
            grant = RoleGrant.objects.create(officer=officer, role=role)
    except IntegrityError as exc:
        raise Conflict("该人员已具有此角色。") from exc
    officer.__dict__.pop("_role_cache", None)
    record_event(
        type=events.ROLE_GRANTED,
        actor=actor,
        agency=officer.agency,
        payload={"officer": officer.public_id, "role": role},
        rows=[grant],
    )
    return grant


@transaction.atomic
def role_revoke(*, actor: Officer | None, officer: Officer, role: str) -> RoleGrant:
    grant = (
        RoleGrant.objects.select_for_update()
        .filter(officer=officer, role=role, revoked_at__isnull=True)
        .first()
    )
    if grant is None:
        raise Conflict("该人员没有此角色。")
    grant.revoked_at = timezone.now()
    grant.save(update_fields=["revoked_at"])
    officer.__dict__.pop("_role_cache", None)
    record_event(
        type=events.ROLE_REVOKED,
        actor=actor,
        agency=officer.agency,
        payload={"officer": officer.public_id, "role": role},
        rows=[grant],
    )
    return grant


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@transaction.atomic
def api_token_create(*, actor: Officer, officer: Officer, label: str) -> tuple[ApiToken, str]:
    """Returns the token row and the secret, which is shown once and never stored."""
    if actor.pk != officer.pk and not actor.is_superuser:
        raise PermissionDenied("只能为本人签发接口令牌。")
    label = clean_text(label, label="用途", field="label", max_length=64)
    raw = "ql_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(officer=officer, label=label, digest=token_digest(raw))
    record_event(
        type=events.TOKEN_CREATED,
        actor=actor,
        agency=officer.agency,
        payload={"token": token.public_id, "officer": officer.public_id, "label": label},
        rows=[token],
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: Officer, token: ApiToken) -> ApiToken:
    if actor.pk != token.officer_id and not actor.is_superuser:
        raise PermissionDenied("只能吊销本人的接口令牌。")
    if token.revoked_at is not None:
        raise Conflict("该令牌已吊销。")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record_event(
        type=events.TOKEN_REVOKED,
        actor=actor,
        agency=token.officer.agency,
        payload={"token": token.public_id},
        rows=[token],
    )
    return token
