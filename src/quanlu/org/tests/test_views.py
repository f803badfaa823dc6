"""Administration pages: administrators only (403), their own agency only (404)."""

import pytest

from quanlu.ledger.models import Event
from quanlu.org import services, spreadsheet
from quanlu.org.models import Role
from quanlu.org.tests.test_import import officer_rows, with_three_bad_rows
from quanlu.testing import factories as f


@pytest.fixture
def admin(world):
    return f.officer(world.agency, Role.ADMINISTRATOR, certificate=False, name="管理员")


@pytest.fixture
def as_admin(client, admin):
    client.force_login(admin)
    return client


PAGES = ["/org/", "/org/officers/", "/org/tokens/", "/org/import/", "/org/export/"]


@pytest.mark.parametrize("url", PAGES)
def test_non_administrators_are_refused(world, client, url):
    client.force_login(world.approver)
    assert client.get(url).status_code == 403


def test_the_navigation_shows_administration_to_administrators_only(world, client, as_admin):
    assert "机构管理" in as_admin.get("/").content.decode()
    as_admin.logout()
    client.force_login(world.officer)
    assert "机构管理" not in client.get("/").content.decode()


def test_another_agencys_officer_is_not_found(world, as_admin):
    for url in (f"/org/officers/{world.outsider.public_id}/", "/org/officers/not-a-uuid/"):
        assert as_admin.get(url).status_code == 404
    response = as_admin.post(
        f"/org/officers/{world.outsider.public_id}/roles/grant/", {"role": "reviewer", "reason": "x"}
    )
    assert response.status_code == 404
    assert not world.outsider.role_grants.filter(role="reviewer", reason="x").exists()
    _, _ = services.api_token_create(actor=world.outsider, officer=world.outsider, label="外")
    token = world.outsider.api_tokens.get()
    assert as_admin.post(f"/org/tokens/{token.public_id}/revoke/").status_code == 404


def test_officer_list_shows_certificate_alerts_and_the_detail_page_acts(world, as_admin, admin):
    import datetime as dt

    from django.utils import timezone

    today = timezone.localdate()
    services.certificate_record(
        actor=admin,
        officer=world.officer2,
        number="SOON-9",
        issuing_authority="某府",
        valid_until=today + dt.timedelta(days=5),
    )
    page = as_admin.get("/org/officers/").content.decode()
    assert "即将到期" in page
    assert world.officer2.full_name in page
    url = f"/org/officers/{world.officer2.public_id}/"
    assert "SOON-9" in as_admin.get(url).content.decode()
    as_admin.post(url + "roles/grant/", {"role": "reviewer", "reason": "补充审核力量"})
    assert world.officer2.has_role(Role.REVIEWER)
    page = as_admin.post(url + "roles/grant/", {"role": "reviewer", "reason": "再来"}, follow=True)
    assert "已具有此角色" in page.content.decode()
    as_admin.post(url + "password/", {"password": "Temp-Pass-2026"})
    world.officer2.refresh_from_db()
    assert world.officer2.must_change_password
    as_admin.post(url + "deactivate/", {"reason": "调离"})
    world.officer2.refresh_from_db()
    assert not world.officer2.is_active
    assert Event.objects.filter(type="org:officer:deactivated").count() == 1


def test_settings_page_saves_a_new_version(world, as_admin):
    page = as_admin.post(
        "/org/", {"document_name": "测试县生态环境局", "case_number_pattern": "测环〔YYYY〕N号"}, follow=True
    )
    assert "第 1 版" in page.content.decode()
    page = as_admin.post("/org/", {"document_name": "测试县生态环境局", "case_number_pattern": "乱写"})
    assert "案号格式应如" in page.content.decode()


def test_import_page_dry_run_then_confirm(world, as_admin, admin):
    bad = spreadsheet.write_xlsx([], with_three_bad_rows(world.agency.code))
    from django.core.files.uploadedfile import SimpleUploadedFile

    page = as_admin.post("/org/import/", {"file": SimpleUploadedFile("officers.xlsx", bad)}).content.decode()
    assert "发现 3 处错误，未导入任何数据" in page
    assert "未知的角色「皇帝」" in page
    assert not as_admin.post("/org/import/", {"confirm": "1"}).context["pending"]
    good = spreadsheet.write_xlsx([], officer_rows(world.agency.code, n=5))
    page = as_admin.post("/org/import/", {"file": SimpleUploadedFile("officers.xlsx", good)}).content.decode()
    assert "试导入通过" in page
    assert not world.agency.officers.filter(username__startswith="imp").exists()
    done = as_admin.post("/org/import/", {"confirm": "1"}, follow=True).content.decode()
    assert "已导入 0 个机关、5 名人员" in done
    assert world.agency.officers.filter(username__startswith="imp").count() == 5
    grant = world.agency.officers.get(username="imp001").role_grants.first()
    assert grant.reason == "批量导入"
    assert Event.objects.filter(type="org:import:done", actor=admin).count() == 1


def test_tokens_page_lists_and_revokes(world, as_admin):
    token, _ = services.api_token_create(actor=world.officer, officer=world.officer, label="执法仪")
    assert "执法仪" in as_admin.get("/org/tokens/").content.decode()
    as_admin.post(f"/org/tokens/{token.public_id}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_export_is_an_xlsx(world, as_admin):
    response = as_admin.get("/org/export/")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheets = spreadsheet.read(response.content, "x.xlsx")
    assert any(cells.get("用户名") == world.officer.username for s in sheets for _, cells in s.rows)
