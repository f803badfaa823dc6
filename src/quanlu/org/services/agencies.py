"""Regions, agencies and their settings, officers and their roles; each write with its
ledger event."""

from __future__ import annotations

import datetime as dt
import re

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from quanlu.core.errors import Conflict, InvalidInput, PermissionDenied
from quanlu.core.idnumbers import resident_id_problem, uscc_problem
from quanlu.core.validation import clean_choice, clean_name, clean_text
from quanlu.ledger.services import record_event
from quanlu.org import events
from quanlu.org.models import (
    Agency,
    AgencyKind,
    AgencyLevel,
    AgencySettings,
    Officer,
    Region,
    Role,
    RoleGrant,
)
from quanlu.org.permissions import administers, require_admin
from quanlu.org.services.certificates import certificate_record, certificate_taken
from quanlu.rulebooks.loader import all_rulebooks

# 遵环〔YYYY〕N号: text, then 〔YYYY〕 for the year, then N for the number, then 号.
CASE_NUMBER_PATTERN = re.compile(r"^[^〔〕\s]{1,16}〔YYYY〕N号$")


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
    uscc: str = "",
) -> Agency:
    """A new agency. Under a parent the actor must administer the parent (a supervising
    agency's administrator creates its subordinates); ``actor=None`` is the system
    (``quanlu setup``, the demo)."""
    kind = clean_choice(kind, label="类别", field="kind", choices=AgencyKind)
    level = clean_choice(level, label="层级", field="level", choices=AgencyLevel)
    name = clean_name(name, label="名称", field="name", max_length=100)
    code = clean_text(code, label="代码", field="code", max_length=40)
    if not re.fullmatch(r"[-a-zA-Z0-9_]+", code):
        raise InvalidInput("机关代码只能包含字母、数字、连字符和下划线。", field_name="code")
    uscc = clean_text(uscc, label="统一社会信用代码", field="uscc", max_length=18, required=False).upper()
    if uscc and (problem := uscc_problem(uscc)):
        raise InvalidInput(problem, field_name="uscc")
    if actor is not None and not (parent is not None and administers(actor, parent)):
        raise PermissionDenied("只有上级机关的系统管理员可以登记下级机关。")
    if kind == AgencyKind.ENFORCEMENT:
        if rulebook_id not in all_rulebooks():
            raise InvalidInput(f"规则集 {rulebook_id or '（空）'} 不存在。", field_name="rulebook_id")
        case_prefix = clean_text(case_prefix, label="案号前缀", field="case_prefix", max_length=16)
    elif rulebook_id:
        raise InvalidInput("司法行政部门和其他监督部门不适用执法规则集。", field_name="rulebook_id")
    if Agency.objects.filter(code=code).exists() or Agency.objects.filter(name=name).exists():
        raise Conflict(f"机关「{name}」已存在。")
    if uscc and Agency.objects.filter(uscc=uscc).exists():
        raise Conflict(f"统一社会信用代码 {uscc} 已登记。", field_name="uscc")
    agency = Agency.objects.create(
        code=code,
        name=name,
        kind=kind,
        level=level,
        region=region,
        parent=parent,
        rulebook_id=rulebook_id,
        case_prefix=case_prefix,
        uscc=uscc,
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
            "uscc": uscc,
        },
        rows=[agency],
    )
    return agency


@transaction.atomic
def agency_move(*, actor: Officer | None, agency: Agency, parent: Agency | None, reason: str) -> Agency:
    """Put an agency under another parent, refusing a cycle (an agency under itself or
    its own subordinate). A state that moves: the new position is its own event."""
    reason = clean_text(reason, label="原因", field="reason", max_length=500)
    agency = Agency.objects.select_for_update().get(pk=agency.pk)
    if actor is not None and not actor.is_superuser and not _may_move(actor, agency, parent):
        raise PermissionDenied("只能在本机关的下级机关之间调整隶属关系。")
    if parent is not None and (parent.pk == agency.pk or parent.path.startswith(agency.path)):
        raise InvalidInput("上级机关不能是本机关或其下级机关（隶属关系不能成环）。", field_name="parent")
    old_path = agency.path
    agency.parent = parent
    agency.path = _path(parent.path if parent else None, agency.pk)
    agency.save(update_fields=["parent", "path"])
    moved = [agency]
    for below in Agency.objects.select_for_update().filter(path__startswith=old_path).exclude(pk=agency.pk):
        below.path = agency.path + below.path[len(old_path) :]
        below.save(update_fields=["path"])
        moved.append(below)
    record_event(
        type=events.AGENCY_MOVED,
        actor=actor,
        agency=agency,
        payload={"parent": parent.public_id if parent else None, "reason": reason},
        rows=moved,
    )
    return agency


def _may_move(actor: Officer, agency: Agency, parent: Agency | None) -> bool:
    """An agency's administrator rearranges the agencies below it, never its own agency
    (that would change who supervises it) nor anything out of its tree."""
    own = actor.agency
    return (
        own is not None
        and agency.pk != own.pk
        and administers(actor, agency)
        and parent is not None
        and administers(actor, parent)
    )


def agency_settings_current(agency: Agency) -> AgencySettings | None:
    return agency.settings_versions.order_by("-version").first()


@transaction.atomic
def agency_settings_set(
    *,
    actor: Officer | None,
    agency: Agency,
    document_name: str,
    case_number_pattern: str,
    reason: str = "",
) -> AgencySettings:
    """A new version of the agency's document particulars (the previous stays)."""
    if actor is not None:
        require_admin(actor, agency)
    document_name = clean_name(document_name, label="文书上的机关全称", field="document_name", max_length=100)
    case_number_pattern = clean_text(
        case_number_pattern, label="案号格式", field="case_number_pattern", max_length=64
    )
    if not CASE_NUMBER_PATTERN.match(case_number_pattern):
        raise InvalidInput(
            "案号格式应如「遵环〔YYYY〕N号」：机关简称，〔YYYY〕表示年份，N表示序号。",
            field_name="case_number_pattern",
        )
    reason = clean_text(reason, label="变更原因", field="reason", max_length=500, required=False)
    Agency.objects.select_for_update().get(pk=agency.pk)  # one version number at a time
    current = agency_settings_current(agency)
    row = AgencySettings.objects.create(
        agency=agency,
        version=(current.version + 1) if current else 1,
        document_name=document_name,
        case_number_pattern=case_number_pattern,
        reason=reason,
        created_by=actor,
    )
    record_event(
        type=events.AGENCY_SETTINGS_SET,
        actor=actor,
        agency=agency,
        payload={
            "settings": row.public_id,
            "version": row.version,
            "document_name": document_name,
            "case_number_pattern": case_number_pattern,
            "reason": reason,
        },
        rows=[row],
    )
    return row


def clean_password(password: str, officer: Officer | None = None) -> str:
    """The site's password policy (AUTH_PASSWORD_VALIDATORS), as an InvalidInput."""
    if not isinstance(password, str) or not password:
        raise InvalidInput("请填写密码。", field_name="password")
    try:
        validate_password(password, officer)
    except ValidationError as exc:
        problems = [_PASSWORD_PROBLEMS.get(e.code or "", "；".join(e.messages)) for e in exc.error_list]
        raise InvalidInput("密码不符合要求：" + "；".join(problems) + "。", field_name="password") from exc
    return password


# Django's own messages are not all translated; the policy in Chinese, by error code.
_PASSWORD_PROBLEMS = {
    "password_too_short": "至少应有10个字符",
    "password_too_common": "不能使用常见密码",
    "password_entirely_numeric": "不能全部是数字",
    "password_too_similar": "不能与用户名或姓名过于相似",
}


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
    id_number: str = "",
    certificate_issuer: str = "",
    certificate_area: str = "",
    certificate_category: str = "",
    role_reason: str = "",
    must_change_password: bool = False,
) -> Officer:
    """A new officer; with a certificate number, the certificate is recorded too.
    ``password=""`` makes an account that cannot sign in until an administrator sets
    its password (bulk import)."""
    if actor is not None:
        require_admin(actor, agency)
    username = clean_text(username, label="用户名", field="username", max_length=150)
    if not re.fullmatch(r"[\w.@+-]+", username):
        raise InvalidInput("用户名只能包含字母、数字和 @ . + - _。", field_name="username")
    full_name = clean_name(full_name, label="姓名", field="full_name", max_length=64)
    id_number = clean_text(id_number, label="身份证号码", field="id_number", max_length=18, required=False)
    id_number = id_number.upper()
    if id_number and (problem := resident_id_problem(id_number)):
        raise InvalidInput(problem, field_name="id_number")
    certificate_no = clean_text(
        certificate_no, label="执法证件编号", field="certificate_no", max_length=32, required=False
    )
    if certificate_no and certificate_valid_until is None:
        raise InvalidInput("填写执法证件编号时须填写证件有效期。", field_name="certificate_valid_until")
    if password:
        clean_password(password)
    if Officer.objects.filter(username=username).exists():
        raise Conflict(f"用户名 {username} 已被使用。", field_name="username")
    if id_number and Officer.objects.filter(id_number=id_number, is_active=True).exists():
        raise Conflict(f"身份证号码 {id_number} 已登记为在职人员。", field_name="id_number")
    issuer = (certificate_issuer or agency.name).strip()
    if certificate_no and certificate_taken(certificate_no, issuer):
        raise Conflict(
            f"发证机关「{issuer}」的执法证件编号 {certificate_no} 已登记。", field_name="certificate_no"
        )
    officer = Officer(
        username=username,
        full_name=full_name,
        agency=agency,
        id_number=id_number,
        must_change_password=must_change_password,
    )
    if password:
        officer.set_password(password)
    else:
        officer.set_unusable_password()
    officer.save()
    record_event(
        type=events.OFFICER_CREATED,
        actor=actor,
        agency=agency,
        payload={
            "officer": officer.public_id,
            "username": username,
            "full_name": full_name,
            "id_number": id_number,
        },
        rows=[officer],
    )
    if certificate_no:
        certificate_record(
            actor=actor,
            officer=officer,
            number=certificate_no,
            issuing_authority=issuer,
            area=certificate_area,
            category=certificate_category,
            valid_from=certificate_valid_from,
            valid_until=certificate_valid_until,
        )
        officer.refresh_from_db()
    for role in roles:
        role_grant(actor=actor, officer=officer, role=role, reason=role_reason)
    return officer


@transaction.atomic
def officer_deactivate(*, actor: Officer | None, officer: Officer, reason: str) -> Officer:
    """An officer who has left or been suspended can no longer sign in or act; the
    account and everything it did stay (nothing is deleted)."""
    reason = clean_text(reason, label="停用原因", field="reason", max_length=500)
    if actor is not None and officer.agency is not None:
        require_admin(actor, officer.agency)
    if actor is not None and actor.pk == officer.pk:
        raise InvalidInput("不能停用本人账号。")
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
def role_grant(*, actor: Officer | None, officer: Officer, role: str, reason: str = "") -> RoleGrant:
    role = clean_choice(role, label="角色", field="role", choices=Role)
    reason = clean_text(reason, label="授予原因", field="reason", max_length=500, required=False)
    if officer.agency is None:
        raise InvalidInput("该人员未隶属任何机关。")
    if actor is not None:
        require_admin(actor, officer.agency)
        if not reason:
            raise InvalidInput("请填写授予原因。", field_name="reason")
    if not officer.is_active:
        raise Conflict("该人员账号已停用，不能授予角色。")
    if role == Role.SUPERVISOR and not (officer.agency.is_justice or officer.agency.children.exists()):
        # Supervision is exercised from above: a justice bureau or a superior agency.
        raise InvalidInput("执法监督角色只能授予司法行政部门或上级机关人员。", field_name="role")
    if not officer.agency.enforces and role not in (Role.SUPERVISOR, Role.ADMINISTRATOR):
        raise InvalidInput(
            "司法行政部门和其他监督部门人员只能担任执法监督或系统管理员角色。", field_name="role"
        )
    try:
        with transaction.atomic():
            grant = RoleGrant.objects.create(officer=officer, role=role, reason=reason)
    except IntegrityError as exc:
        raise Conflict("该人员已具有此角色。") from exc
    officer.__dict__.pop("_role_cache", None)
    record_event(
        type=events.ROLE_GRANTED,
        actor=actor,
        agency=officer.agency,
        payload={"officer": officer.public_id, "role": role, "reason": reason},
        rows=[grant],
    )
    return grant


@transaction.atomic
def role_revoke(*, actor: Officer | None, officer: Officer, role: str, reason: str = "") -> RoleGrant:
    reason = clean_text(reason, label="撤销原因", field="reason", max_length=500, required=False)
    if actor is not None and officer.agency is not None:
        require_admin(actor, officer.agency)
        if not reason:
            raise InvalidInput("请填写撤销原因。", field_name="reason")
        if actor.pk == officer.pk and role == Role.ADMINISTRATOR:
            # Else an agency could end up with nobody to administer it.
            raise InvalidInput("不能撤销本人的系统管理员角色。", field_name="role")
    grant = (
        RoleGrant.objects.select_for_update()
        .filter(officer=officer, role=role, revoked_at__isnull=True)
        .first()
    )
    if grant is None:
        raise Conflict("该人员没有此角色。")
    grant.revoked_at = timezone.now()
    grant.revoke_reason = reason
    grant.save(update_fields=["revoked_at", "revoke_reason"])
    officer.__dict__.pop("_role_cache", None)
    record_event(
        type=events.ROLE_REVOKED,
        actor=actor,
        agency=officer.agency,
        payload={"officer": officer.public_id, "role": role, "reason": reason},
        rows=[grant],
    )
    return grant
