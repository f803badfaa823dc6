"""Administration over the API (thin): the caller's agency — officers, certificates,
roles, accounts, tokens, document settings, subordinate agencies. Administrators only
(403); an officer or token of an agency they do not administer is a 404."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.responses import Status

from quanlu.api.base import BODY_ERRORS, ERRORS, officer_of, ref
from quanlu.core.errors import InvalidInput, NotFound, PermissionDenied
from quanlu.org import schemas as s
from quanlu.org import selectors, services
from quanlu.org.models import Agency, ApiToken, Certificate, Officer, Region, RoleGrant
from quanlu.org.permissions import administers, is_administrator

router = Router(tags=["机构管理"])


def _admin(request: HttpRequest) -> tuple[Officer, Agency]:
    actor = officer_of(request)
    if not is_administrator(actor) or actor.agency is None:
        raise PermissionDenied("只有系统管理员可以进行机构管理。")
    return actor, actor.agency


def _officer(actor: Officer, officer_id: uuid.UUID) -> Officer:
    found = Officer.objects.select_related("agency").filter(public_id=officer_id).first()
    if found is None or found.agency is None or not administers(actor, found.agency):
        raise NotFound("未找到该人员，或您无权查看。")
    return found


def certificate_out(c: Certificate) -> dict[str, Any]:
    return {
        "id": c.public_id,
        "number": c.number,
        "issuing_authority": c.issuing_authority,
        "area": c.area,
        "category": c.category,
        "valid_from": c.valid_from,
        "valid_until": c.valid_until,
        "status": c.status,
        "replaces": c.replaces.public_id if c.replaces else None,
        "created_at": c.created_at,
    }


def grant_out(g: RoleGrant) -> dict[str, Any]:
    return {
        "id": g.public_id,
        "role": g.role,
        "role_label": g.get_role_display(),
        "granted_at": g.granted_at,
        "reason": g.reason,
        "revoked_at": g.revoked_at,
        "revoke_reason": g.revoke_reason,
    }


def officer_out(o: Officer, *, detail: bool = False) -> dict[str, Any]:
    alert = selectors.certificate_alert(o)
    out: dict[str, Any] = {
        "id": o.public_id,
        "username": o.username,
        "full_name": o.full_name,
        "agency": ref(o.agency),
        "id_number": o.id_number,
        "is_active": o.is_active,
        "must_change_password": o.must_change_password,
        "certificate_no": o.certificate_no,
        "certificate_valid_until": o.certificate_valid_until,
        "certificate_alert": {"level": alert.level, "message": alert.message} if alert else None,
        "roles": sorted(o.role_set()),
        "locked_until": services.lock_in_force(o.username),
    }
    if detail:
        certs = o.certificates.select_related("replaces").order_by("-created_at", "-pk")
        out["certificates"] = [certificate_out(c) for c in certs]
        out["grants"] = [grant_out(g) for g in o.role_grants.order_by("-granted_at")]
    return out


def token_out(t: ApiToken) -> dict[str, Any]:
    return {
        "id": t.public_id,
        "officer": ref(t.officer),
        "label": t.label,
        "created_at": t.created_at,
        "expires_at": t.expires_at,
        "last_used_at": t.last_used_at,
        "revoked_at": t.revoked_at,
    }


@router.get(
    "/org/officers", response={200: list[s.AdminOfficerOut], **ERRORS}, summary="本机关人员（含证件预警）"
)
def officers_list(request: HttpRequest) -> list[dict[str, Any]]:
    _, agency = _admin(request)
    return [
        officer_out(o)
        for o in Officer.objects.filter(agency=agency).select_related("agency").order_by("username")
    ]


@router.post("/org/officers", response={201: s.AdminOfficerDetailOut, **BODY_ERRORS}, summary="新增人员")
def officers_create(request: HttpRequest, payload: s.OfficerCreateIn) -> Status[dict[str, Any]]:
    actor, agency = _admin(request)
    officer = services.officer_create(
        actor=actor,
        agency=agency,
        username=payload.username,
        full_name=payload.full_name,
        password=payload.password,
        id_number=payload.id_number,
        roles=payload.roles,
        role_reason=payload.reason,
        must_change_password=True,
    )
    return Status(201, officer_out(officer, detail=True))


@router.get(
    "/org/officers/{officer_id}", response={200: s.AdminOfficerDetailOut, **ERRORS}, summary="人员详情"
)
def officers_get(request: HttpRequest, officer_id: uuid.UUID) -> dict[str, Any]:
    actor, _ = _admin(request)
    return officer_out(_officer(actor, officer_id), detail=True)


@router.post(
    "/org/officers/{officer_id}/certificates",
    response={201: s.CertificateOut, **BODY_ERRORS},
    summary="登记或换发执法证件（保留历史）",
)
def certificates_record(
    request: HttpRequest, officer_id: uuid.UUID, payload: s.CertificateIn
) -> Status[dict[str, Any]]:
    actor, _ = _admin(request)
    cert = services.certificate_record(actor=actor, officer=_officer(actor, officer_id), **payload.dict())
    return Status(201, certificate_out(cert))


@router.post(
    "/org/officers/{officer_id}/certificate-status",
    response={200: s.CertificateOut, **BODY_ERRORS},
    summary="暂扣、吊销或恢复执法证件",
)
def certificates_status(
    request: HttpRequest, officer_id: uuid.UUID, payload: s.CertificateStatusIn
) -> dict[str, Any]:
    actor, _ = _admin(request)
    officer = _officer(actor, officer_id)
    return certificate_out(
        services.certificate_set_status(
            actor=actor, officer=officer, status=payload.status, reason=payload.reason
        )
    )


@router.post(
    "/org/officers/{officer_id}/roles",
    response={201: s.RoleGrantOut, **BODY_ERRORS},
    summary="授予角色（须说明原因）",
)
def roles_grant(request: HttpRequest, officer_id: uuid.UUID, payload: s.RoleIn) -> Status[dict[str, Any]]:
    actor, _ = _admin(request)
    grant = services.role_grant(
        actor=actor, officer=_officer(actor, officer_id), role=payload.role, reason=payload.reason
    )
    return Status(201, grant_out(grant))


@router.post(
    "/org/officers/{officer_id}/roles/revoke",
    response={200: s.RoleGrantOut, **BODY_ERRORS},
    summary="撤销角色（须说明原因）",
)
def roles_revoke(request: HttpRequest, officer_id: uuid.UUID, payload: s.RoleIn) -> dict[str, Any]:
    actor, _ = _admin(request)
    grant = services.role_revoke(
        actor=actor, officer=_officer(actor, officer_id), role=payload.role, reason=payload.reason
    )
    return grant_out(grant)


@router.post(
    "/org/officers/{officer_id}/deactivate",
    response={200: s.AdminOfficerOut, **BODY_ERRORS},
    summary="停用账号（不能登录，令牌失效）",
)
def officers_deactivate(
    request: HttpRequest, officer_id: uuid.UUID, payload: s.AdminReasonIn
) -> dict[str, Any]:
    actor, _ = _admin(request)
    officer = services.officer_deactivate(
        actor=actor, officer=_officer(actor, officer_id), reason=payload.reason
    )
    return officer_out(officer)


@router.post(
    "/org/officers/{officer_id}/password-reset",
    response={200: s.AdminOfficerOut, **BODY_ERRORS},
    summary="重置密码（下次登录须修改）",
)
def officers_password_reset(
    request: HttpRequest, officer_id: uuid.UUID, payload: s.PasswordResetIn
) -> dict[str, Any]:
    actor, _ = _admin(request)
    officer = services.officer_password_reset(
        actor=actor, officer=_officer(actor, officer_id), password=payload.password
    )
    return officer_out(officer)


@router.post(
    "/org/officers/{officer_id}/unlock",
    response={200: s.AdminOfficerOut, **BODY_ERRORS},
    summary="解除账号锁定",
)
def officers_unlock(request: HttpRequest, officer_id: uuid.UUID, payload: s.AdminReasonIn) -> dict[str, Any]:
    actor, _ = _admin(request)
    officer = _officer(actor, officer_id)
    services.account_unlock(actor=actor, officer=officer, reason=payload.reason)
    return officer_out(officer)


@router.get(
    "/org/tokens", response={200: list[s.TokenOut], **ERRORS}, summary="本机关接口令牌（有效期、最近使用）"
)
def tokens_list(request: HttpRequest) -> list[dict[str, Any]]:
    _, agency = _admin(request)
    return [token_out(t) for t in selectors.tokens_of_agency(agency)]


@router.post("/org/tokens/{token_id}/revoke", response={200: s.TokenOut, **ERRORS}, summary="吊销接口令牌")
def tokens_revoke(request: HttpRequest, token_id: uuid.UUID) -> dict[str, Any]:
    actor, _ = _admin(request)
    token = ApiToken.objects.select_related("officer__agency").filter(public_id=token_id).first()
    if token is None or token.officer.agency is None or not administers(actor, token.officer.agency):
        raise NotFound("未找到该令牌，或您无权查看。")
    return token_out(services.api_token_revoke(actor=actor, token=token))


def settings_out(row: Any) -> dict[str, Any]:
    return {
        "id": row.public_id,
        "version": row.version,
        "document_name": row.document_name,
        "case_number_pattern": row.case_number_pattern,
        "reason": row.reason,
        "created_at": row.created_at,
    }


@router.get(
    "/org/settings",
    response={200: list[s.DocumentSettingsOut], **ERRORS},
    summary="机关文书设置（各版本，新版在前）",
)
def settings_list(request: HttpRequest) -> list[dict[str, Any]]:
    _, agency = _admin(request)
    return [settings_out(v) for v in agency.settings_versions.order_by("-version")]


@router.post(
    "/org/settings",
    response={201: s.DocumentSettingsOut, **BODY_ERRORS},
    summary="修改机关文书设置（新版本）",
)
def settings_set(request: HttpRequest, payload: s.DocumentSettingsIn) -> Status[dict[str, Any]]:
    actor, agency = _admin(request)
    return Status(
        201, settings_out(services.agency_settings_set(actor=actor, agency=agency, **payload.dict()))
    )


def agency_out(a: Agency) -> dict[str, Any]:
    return {
        "id": a.public_id,
        "code": a.code,
        "name": a.name,
        "kind": a.kind,
        "level": a.level,
        "region_code": a.region.code,
        "parent": ref(a.parent),
        "rulebook_id": a.rulebook_id,
        "case_prefix": a.case_prefix,
        "uscc": a.uscc,
    }


@router.post("/org/agencies", response={201: s.AgencyOut, **BODY_ERRORS}, summary="登记下级机关")
def agencies_create(request: HttpRequest, payload: s.AgencyIn) -> Status[dict[str, Any]]:
    actor, agency = _admin(request)
    data = payload.dict()
    region = Region.objects.filter(code=data.pop("region_code")).first()
    if region is None:
        raise InvalidInput("行政区划代码未登记。", field_name="region_code")
    made = services.agency_create(actor=actor, parent=agency, region=region, **data)
    return Status(201, agency_out(made))


def _administered_agency(actor: Officer, agency_id: uuid.UUID) -> Agency:
    found = Agency.objects.select_related("region", "parent").filter(public_id=agency_id).first()
    if found is None or not administers(actor, found):
        raise NotFound("未找到该机关，或您无权查看。")
    return found


@router.post(
    "/org/agencies/{agency_id}/move",
    response={200: s.AgencyOut, **BODY_ERRORS},
    summary="调整机关隶属关系（本机关的下级机关之间）",
)
def agencies_move(request: HttpRequest, agency_id: uuid.UUID, payload: s.AgencyMoveIn) -> dict[str, Any]:
    actor, _ = _admin(request)
    agency = _administered_agency(actor, agency_id)
    parent = _administered_agency(actor, payload.parent)
    moved = services.agency_move(actor=actor, agency=agency, parent=parent, reason=payload.reason)
    moved.refresh_from_db()
    return agency_out(moved)
