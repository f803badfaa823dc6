"""Agencies (credit code, hierarchy, settings versions), officers (ID numbers,
certificates and their alerts), roles with reasons, passwords, tokens."""

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from quanlu.core.errors import Conflict, InvalidInput, PermissionDenied
from quanlu.ledger.models import Event
from quanlu.org import selectors, services
from quanlu.org.models import Agency, Certificate, Officer, Role, RoleGrant
from quanlu.testing import factories as f


@pytest.fixture
def admin(world):
    return f.officer(world.agency, Role.ADMINISTRATOR, certificate=False, name="管理员")


def _agency(world, **kw):
    args = {
        "actor": None,
        "code": "new-agency",
        "name": "某县新局",
        "kind": "enforcement",
        "level": "county",
        "region": world.agency.region,
        "rulebook_id": f.R004,
        "case_prefix": "新",
    }
    return services.agency_create(**{**args, **kw})


def test_credit_code_is_checked_with_its_check_character(world):
    with pytest.raises(InvalidInput, match="校验位") as bad:
        _agency(world, uscc=f.uscc()[:-1] + ("0" if f.uscc()[-1] != "0" else "1"))
    assert bad.value.details[0]["field"] == "uscc"
    with pytest.raises(InvalidInput, match="18位"):
        _agency(world, uscc="123")
    made = _agency(world, uscc=f.uscc().lower())
    assert made.uscc == f.uscc()
    with pytest.raises(Conflict, match="统一社会信用代码"):
        _agency(world, code="other", name="另一局", uscc=f.uscc())


def test_unknown_rulebook_and_bad_kind_are_refused_and_nothing_is_written(world):
    before = Agency.objects.count(), Event.objects.count()
    with pytest.raises(InvalidInput, match="规则集"):
        _agency(world, rulebook_id="999_unknown")
    with pytest.raises(InvalidInput, match="类别"):
        _agency(world, kind="police")
    with pytest.raises(InvalidInput, match="不适用执法规则集"):
        _agency(world, kind="supervising", rulebook_id=f.R004)
    assert (Agency.objects.count(), Event.objects.count()) == before
    other = _agency(world, kind="supervising", rulebook_id="", case_prefix="", code="audit", name="某审计局")
    assert other.kind == "supervising"
    assert not other.enforces


def test_only_an_administrator_of_the_parent_creates_a_subordinate(world, admin):
    with pytest.raises(PermissionDenied):
        _agency(world, actor=world.approver, parent=world.agency)
    with pytest.raises(PermissionDenied):
        _agency(world, actor=admin, parent=world.other)
    with pytest.raises(PermissionDenied):
        _agency(world, actor=admin, parent=None)
    child = _agency(world, actor=admin, parent=world.agency, level="department")
    assert child.path.startswith(world.agency.path)


def test_cycles_in_the_hierarchy_are_refused(world):
    child = _agency(world, parent=world.agency, level="department")
    for target, parent in (
        (world.superior, world.agency),
        (world.superior, child),
        (world.agency, world.agency),
    ):
        with pytest.raises(InvalidInput, match="成环"):
            services.agency_move(actor=None, agency=target, parent=parent, reason="调整")
    world.superior.refresh_from_db()
    assert world.superior.parent is None
    # A legal move rewrites the subtree's paths.
    services.agency_move(actor=None, agency=world.agency, parent=world.other, reason="划转")
    child.refresh_from_db()
    assert child.path.startswith(world.other.path)
    assert Event.objects.filter(type="org:agency:moved").count() == 1


def test_settings_are_new_versions_with_a_checked_case_number_pattern(world, admin):
    with pytest.raises(InvalidInput, match="案号格式"):
        services.agency_settings_set(
            actor=admin, agency=world.agency, document_name="遵义市环境局", case_number_pattern="遵环2026-1"
        )
    with pytest.raises(PermissionDenied):
        services.agency_settings_set(
            actor=world.approver,
            agency=world.agency,
            document_name="x局",
            case_number_pattern="遵环〔YYYY〕N号",
        )
    with pytest.raises(PermissionDenied):
        services.agency_settings_set(
            actor=admin, agency=world.superior, document_name="x局", case_number_pattern="遵环〔YYYY〕N号"
        )
    one = services.agency_settings_set(
        actor=admin,
        agency=world.agency,
        document_name="遵义市生态环境局",
        case_number_pattern="遵环〔YYYY〕N号",
    )
    two = services.agency_settings_set(
        actor=admin,
        agency=world.agency,
        document_name="遵义市生态环境局",
        case_number_pattern="遵环罚〔YYYY〕N号",
        reason="文号规则调整",
    )
    assert (one.version, two.version) == (1, 2)
    assert services.agency_settings_current(world.agency) == two
    assert world.agency.settings_versions.count() == 2


def _officer(world, **kw):
    args = {
        "actor": None,
        "agency": world.agency,
        "username": "newbie",
        "full_name": "新人",
        "password": f.PASSWORD,
        "roles": [Role.OFFICER],
    }
    return services.officer_create(**{**args, **kw})


def test_id_numbers_are_checked_with_their_check_digit(world):
    good = f.resident_id()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(InvalidInput, match="校验位") as exc:
        _officer(world, id_number=bad)
    assert exc.value.details[0]["field"] == "id_number"
    with pytest.raises(InvalidInput, match="出生日期"):
        _officer(world, id_number=f.resident_id(birth="19901332"))
    assert not Officer.objects.filter(username="newbie").exists()
    assert _officer(world, id_number=good).id_number == good


def test_password_policy(world):
    for weak, why in (("short1", "10个字符"), ("1234567890123", "数字"), ("password123", "常见")):
        with pytest.raises(InvalidInput, match=why):
            _officer(world, password=weak)


def test_certificates_are_renewed_keeping_history_and_duplicates_are_refused(world, admin):
    o = world.officer
    first = services.certificate_current(o)
    assert first is not None
    assert first.number == o.certificate_no
    today = timezone.localdate()
    renewed = services.certificate_record(
        actor=admin,
        officer=o,
        number="ZF-2027-01",
        issuing_authority="测试市人民政府",
        area="测试县",
        category="生态环境",
        valid_from=today,
        valid_until=today + dt.timedelta(days=3 * 365),
    )
    o.refresh_from_db()
    assert renewed.replaces == first
    assert o.certificate_no == "ZF-2027-01"
    assert o.certificates.count() == 2
    assert Event.objects.filter(type="org:certificate:renewed").count() == 1
    with pytest.raises(Conflict, match="其他人员") as dup:
        services.certificate_record(
            actor=admin,
            officer=world.officer2,
            number="ZF-2027-01",
            issuing_authority="测试市人民政府",
            valid_until=today + dt.timedelta(days=30),
        )
    assert dup.value.details[0]["field"] == "certificate_no"
    with pytest.raises(PermissionDenied):
        services.certificate_record(
            actor=world.approver, officer=o, number="N1", issuing_authority="x", valid_until=today
        )
    with pytest.raises(InvalidInput, match="不能晚于"):
        services.certificate_record(
            actor=admin,
            officer=o,
            number="N1",
            issuing_authority="x",
            valid_from=today,
            valid_until=today - dt.timedelta(days=1),
        )


def test_expired_or_suspended_certificates_block_signing_and_raise_alerts(world, admin):
    today = timezone.localdate()
    o = world.officer
    assert selectors.certificate_alert(o, today) is None
    services.certificate_record(
        actor=admin,
        officer=o,
        number="SOON-1",
        issuing_authority="某府",
        valid_from=today,
        valid_until=today + dt.timedelta(days=10),
    )
    o.refresh_from_db()
    alert = selectors.certificate_alert(o, today)
    assert alert is not None
    assert alert.level == "yellow"
    assert o.certificate_valid_on(today)
    # Expired: red, and no signing as officer.
    later = today + dt.timedelta(days=11)
    assert selectors.certificate_alert(o, later).level == "red"
    assert not o.certificate_valid_on(later)
    # Suspended: red now, and restored.
    services.certificate_set_status(actor=admin, officer=o, status="suspended", reason="停职调查")
    o.refresh_from_db()
    assert not o.certificate_valid_on(today)
    assert selectors.certificate_alert(o, today).level == "red"
    assert next(a.officer for a in selectors.certificate_alerts(world.agency, today)) == o
    services.certificate_set_status(actor=admin, officer=o, status="active", reason="调查结束")
    o.refresh_from_db()
    assert o.certificate_valid_on(today)
    assert Certificate.objects.filter(officer=o).count() == 2


def test_suspended_certificate_blocks_signing_a_document(world, admin):
    from quanlu.records.services import signatures

    assert (
        signatures
    )  # the check lives there: Officer.certificate_valid_on (see records/services/signatures.py)
    services.certificate_set_status(actor=admin, officer=world.officer, status="suspended", reason="停职")
    world.officer.refresh_from_db()
    assert not world.officer.certificate_valid_on(timezone.localdate())


def test_roles_are_granted_and_revoked_with_reasons_by_the_agencys_administrator(world, admin):
    with pytest.raises(InvalidInput, match="授予原因"):
        services.role_grant(actor=admin, officer=world.officer2, role=Role.REVIEWER)
    with pytest.raises(PermissionDenied):
        services.role_grant(actor=world.approver, officer=world.officer2, role=Role.REVIEWER, reason="x")
    with pytest.raises(PermissionDenied):
        services.role_grant(actor=admin, officer=world.outsider, role=Role.REVIEWER, reason="x")
    with pytest.raises(InvalidInput, match="角色"):
        services.role_grant(actor=admin, officer=world.officer2, role="emperor", reason="x")
    grant = services.role_grant(
        actor=admin, officer=world.officer2, role=Role.REVIEWER, reason="补充审核力量"
    )
    assert grant.reason == "补充审核力量"
    with pytest.raises(InvalidInput, match="撤销原因"):
        services.role_revoke(actor=admin, officer=world.officer2, role=Role.REVIEWER)
    services.role_revoke(actor=admin, officer=world.officer2, role=Role.REVIEWER, reason="岗位调整")
    grant.refresh_from_db()
    assert grant.revoke_reason == "岗位调整"
    assert RoleGrant.objects.filter(officer=world.officer2, role=Role.REVIEWER).count() == 1
    payload = Event.objects.filter(type="org:role:revoked").latest("pk").payload
    assert payload["reason"] == "岗位调整"
    with pytest.raises(InvalidInput, match="本人"):
        services.role_revoke(actor=admin, officer=admin, role=Role.ADMINISTRATOR, reason="x")
    # A justice bureau may have an administrator.
    services.role_grant(actor=None, officer=world.justice_supervisor, role=Role.ADMINISTRATOR)


def test_deactivated_officers_cannot_sign_in_and_their_tokens_stop(world, admin, client):
    assert client.login(username=world.officer2.username, password=f.PASSWORD)
    client.logout()
    _, raw = services.api_token_create(actor=world.officer2, officer=world.officer2, label="终端")
    assert selectors.officer_for_token(raw) == world.officer2
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    services.officer_deactivate(actor=admin, officer=world.officer2, reason="调离")
    assert selectors.officer_for_token(raw) is None
    assert not client.login(username=world.officer2.username, password=f.PASSWORD)
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 401
    with pytest.raises(PermissionDenied):
        services.officer_deactivate(actor=world.approver, officer=world.officer, reason="x")


def test_tokens_expire_record_their_last_use_and_are_revoked_by_an_administrator(world, admin):
    token, raw = services.api_token_create(actor=world.officer, officer=world.officer, label="执法记录仪")
    assert token.expires_at is not None
    assert token.expires_at - token.created_at >= dt.timedelta(days=89)
    assert token.last_used_at is None
    assert selectors.officer_for_token(raw) == world.officer
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert list(selectors.tokens_of_agency(world.agency)) == [token]
    with pytest.raises(PermissionDenied):
        services.api_token_revoke(actor=world.officer2, token=token)
    services.api_token_revoke(actor=admin, token=token)
    assert selectors.officer_for_token(raw) is None


@override_settings(QUANLU_TOKEN_DAYS=1)
def test_an_expired_token_is_refused(world):
    token, raw = services.api_token_create(actor=world.officer, officer=world.officer, label="短期")
    assert (token.expires_at - token.created_at) < dt.timedelta(days=2)
    with pytest.MonkeyPatch.context() as mp:
        later = timezone.now() + dt.timedelta(days=2)
        mp.setattr(timezone, "now", lambda: later)
        assert selectors.officer_for_token(raw) is None


def test_password_reset_forces_a_change_at_next_sign_in(world, admin, client):
    with pytest.raises(PermissionDenied):
        services.officer_password_reset(
            actor=world.approver, officer=world.officer2, password="Temporary-Pass-1"
        )
    services.officer_password_reset(actor=admin, officer=world.officer2, password="Temporary-Pass-1")
    assert client.login(username=world.officer2.username, password="Temporary-Pass-1")
    response = client.get("/cases/")
    assert response.status_code == 302
    assert response["Location"] == "/account/password/"
    page = client.get("/account/password/")
    assert "管理员已重置您的密码" in page.content.decode()
    bad = client.post(
        "/account/password/",
        {"old_password": "Temporary-Pass-1", "new_password": "12345678901", "new_password2": "12345678901"},
    )
    assert "不能全部是数字" in bad.content.decode()
    ok = client.post(
        "/account/password/",
        {
            "old_password": "Temporary-Pass-1",
            "new_password": "My-Own-Pass-22",
            "new_password2": "My-Own-Pass-22",
        },
    )
    assert ok.status_code == 302
    assert client.get("/cases/").status_code == 200
    world.officer2.refresh_from_db()
    assert not world.officer2.must_change_password
    assert Event.objects.filter(type="org:officer:password_changed").count() == 1
