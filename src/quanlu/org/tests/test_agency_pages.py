"""Pages for certificates' suspension and revocation, subordinate agencies and moves:
an agency's administrator acts on its own tree only (others' agencies and officers are
404), other staff are refused (403), and a refusal writes nothing."""

import pytest

from quanlu.ledger.models import Event
from quanlu.org import selectors
from quanlu.org.models import Agency, Certificate, Role
from quanlu.testing import factories as f


@pytest.fixture
def admin(world):
    return f.officer(world.agency, Role.ADMINISTRATOR, certificate=False, name="县局管理员")


@pytest.fixture
def superior_admin(world):
    return f.officer(world.superior, Role.ADMINISTRATOR, certificate=False, name="市局管理员")


@pytest.fixture
def outsider_admin(world):
    return f.officer(world.other, Role.ADMINISTRATOR, certificate=False, name="外单位管理员")


def _events(kind):
    return Event.objects.filter(type=kind).count()


def test_an_administrator_suspends_revokes_and_cannot_restore_a_revoked_certificate(world, client, admin):
    url = f"/org/officers/{world.officer.public_id}/certificates/status/"
    client.force_login(admin)
    page = client.get(f"/org/officers/{world.officer.public_id}/").content.decode()
    assert "暂扣、吊销或恢复执法证件" in page

    done = client.post(url, {"status": "suspended", "reason": "涉嫌违纪，停职调查"}, follow=True)
    assert "已变更执法证件状态" in done.content.decode()
    world.officer.refresh_from_db()
    assert world.officer.certificate_suspended
    assert "已暂扣" in selectors.certificate_alert(world.officer).message

    no_reason = client.post(url, {"status": "active", "reason": ""}, follow=True).content.decode()
    assert "原因" in no_reason
    world.officer.refresh_from_db()
    assert world.officer.certificate_suspended

    client.post(url, {"status": "revoked", "reason": "调查属实，依规吊销"})
    world.officer.refresh_from_db()
    assert "已吊销" in selectors.certificate_alert(world.officer).message
    before = _events("org:certificate:status_set")
    refused = client.post(url, {"status": "active", "reason": "误操作"}, follow=True).content.decode()
    assert "已吊销，不能恢复" in refused
    assert _events("org:certificate:status_set") == before
    assert Certificate.objects.get(officer=world.officer).status == "revoked"
    assert not world.officer.certificate_valid_on(world.officer.certificate_valid_until)


def test_certificate_status_is_refused_to_staff_and_outsiders(world, client, outsider_admin):
    url = f"/org/officers/{world.officer.public_id}/certificates/status/"
    body = {"status": "suspended", "reason": "无权操作"}
    client.force_login(world.approver)
    assert client.post(url, body).status_code == 403
    client.force_login(outsider_admin)
    assert client.post(url, body).status_code == 404
    world.officer.refresh_from_db()
    assert not world.officer.certificate_suspended
    assert _events("org:certificate:status_set") == 0


def test_a_superior_administrator_creates_a_subordinate_in_its_tree(world, client, superior_admin, admin):
    client.force_login(superior_admin)
    listing = client.get("/org/agencies/").content.decode()
    assert world.superior.name in listing
    assert world.agency.name in listing
    assert world.other.name not in listing
    body = {
        "parent": str(world.agency.public_id),
        "code": "county-team",
        "name": "测试县综合执法大队",
        "kind": "enforcement",
        "level": "department",
        "region": world.agency.region.code,
        "rulebook_id": f.R004,
        "case_prefix": "测综",
        "uscc": "",
    }
    bad = client.post("/org/agencies/", {**body, "rulebook_id": ""}).content.decode()
    assert "规则集" in bad
    assert not Agency.objects.filter(code="county-team").exists()
    made = client.post("/org/agencies/", body, follow=True).content.decode()
    assert "已登记下级机关 测试县综合执法大队" in made
    team = Agency.objects.get(code="county-team")
    assert team.parent == world.agency
    assert team.path.startswith(world.agency.path)

    # The county's administrator sees its own tree (with the new team), not its superior.
    client.force_login(admin)
    listing = client.get("/org/agencies/").content.decode()
    assert team.name in listing
    assert world.superior.name not in listing
    assert client.get(f"/org/agencies/{world.superior.public_id}/").status_code == 404
    assert client.post("/org/agencies/", {**body, "parent": str(world.superior.public_id)}).status_code == 200
    assert Agency.objects.filter(parent=world.superior).count() == 1  # world.agency only


def test_agency_pages_are_refused_to_staff_and_outsiders(world, client, outsider_admin):
    client.force_login(world.approver)
    assert client.get("/org/agencies/").status_code == 403
    assert client.get(f"/org/agencies/{world.agency.public_id}/").status_code == 403
    client.force_login(outsider_admin)
    for url in (f"/org/agencies/{world.agency.public_id}/", "/org/agencies/not-a-uuid/"):
        assert client.get(url).status_code == 404
    move = {"parent": str(world.other.public_id), "reason": "越权划转"}
    assert client.post(f"/org/agencies/{world.agency.public_id}/move/", move).status_code == 404
    world.agency.refresh_from_db()
    assert world.agency.parent == world.superior


def test_an_administrator_moves_agencies_below_it_but_not_its_own(world, client, superior_admin, admin):
    team = f.agency(reg=world.agency.region, parent=world.agency, level="department", name="某执法大队")
    client.force_login(superior_admin)
    page = client.get(f"/org/agencies/{team.public_id}/").content.decode()
    assert "调整隶属关系" in page
    done = client.post(
        f"/org/agencies/{team.public_id}/move/",
        {"parent": str(world.superior.public_id), "reason": "机构改革，改由市局直属"},
        follow=True,
    ).content.decode()
    assert "已将 某执法大队 调整至" in done
    team.refresh_from_db()
    assert team.parent == world.superior
    assert team.path == f"{world.superior.path}{team.pk}/"
    # Under one of its own subordinates: not offered, and refused when posted.
    before = _events("org:agency:moved")
    child = f.agency(reg=world.agency.region, parent=team, level="department", name="某中队")
    cycle = client.post(
        f"/org/agencies/{team.public_id}/move/",
        {"parent": str(child.public_id), "reason": "调整"},
        follow=True,
    ).content.decode()
    assert "有效的选项" in cycle or "成环" in cycle
    team.refresh_from_db()
    assert team.parent == world.superior
    assert _events("org:agency:moved") == before

    # The county's administrator cannot move its own agency out from under its superior.
    client.force_login(admin)
    own = client.get(f"/org/agencies/{world.agency.public_id}/").content.decode()
    assert "由上级机关的系统管理员调整" in own
    refused = client.post(
        f"/org/agencies/{world.agency.public_id}/move/",
        {"parent": str(world.agency.public_id), "reason": "自立门户"},
        follow=True,
    ).content.decode()
    assert "不能调整本机关的隶属关系" in refused
    world.agency.refresh_from_db()
    assert world.agency.parent == world.superior
    assert _events("org:agency:moved") == before


def test_the_move_service_keeps_an_administrator_inside_its_tree(world, admin):
    from quanlu.core.errors import PermissionDenied
    from quanlu.org import services

    team = f.agency(reg=world.agency.region, parent=world.agency, level="department")
    for agency, parent in (
        (world.agency, world.other),
        (world.agency, None),
        (team, None),
        (team, world.superior),
    ):
        with pytest.raises(PermissionDenied, match="下级机关之间"):
            services.agency_move(actor=admin, agency=agency, parent=parent, reason="调整")
    other_team = f.agency(reg=world.agency.region, parent=world.agency, level="department")
    services.agency_move(actor=admin, agency=team, parent=other_team, reason="并入")
    team.refresh_from_db()
    assert team.parent == other_team
