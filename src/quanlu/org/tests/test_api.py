"""Administration over the API: administrators only (403), own agency only (404),
Chinese error bodies."""

import pytest

from quanlu.org import services
from quanlu.org.models import Role
from quanlu.testing import factories as f


@pytest.fixture
def admin(world):
    return f.officer(world.agency, Role.ADMINISTRATOR, certificate=False, name="管理员")


def bearer(officer):
    _, raw = services.api_token_create(actor=officer, officer=officer, label="测试")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_non_administrators_are_refused_and_outsiders_not_found(world, admin, client):
    response = client.get("/api/v1/org/officers", **bearer(world.approver))
    assert response.status_code == 403
    assert "系统管理员" in response.json()["message"]
    auth = bearer(admin)
    assert client.get(f"/api/v1/org/officers/{world.outsider.public_id}", **auth).status_code == 404
    grant = client.post(
        f"/api/v1/org/officers/{world.outsider.public_id}/roles",
        {"role": "reviewer", "reason": "x"},
        content_type="application/json",
        **auth,
    )
    assert grant.status_code == 404


def test_an_administrator_manages_officers_over_the_api(world, admin, client):
    auth = bearer(admin)
    made = client.post(
        "/api/v1/org/officers",
        {
            "username": "api-new",
            "full_name": "接口新人",
            "password": "Api-New-Pass-1",
            "id_number": f.resident_id(),
        },
        content_type="application/json",
        **auth,
    )
    assert made.status_code == 201, made.content
    officer_id = made.json()["id"]
    assert made.json()["must_change_password"] is True
    bad = client.post(
        "/api/v1/org/officers",
        {
            "username": "api-bad",
            "full_name": "坏号",
            "password": "Api-New-Pass-1",
            "id_number": "110105194912310021",
        },
        content_type="application/json",
        **auth,
    )
    assert bad.status_code == 422
    assert bad.json()["details"][0]["field"] == "id_number"
    cert = client.post(
        f"/api/v1/org/officers/{officer_id}/certificates",
        {"number": "API-1", "issuing_authority": "测试市人民政府", "valid_until": "2030-01-01"},
        content_type="application/json",
        **auth,
    )
    assert cert.status_code == 201, cert.content
    grant = client.post(
        f"/api/v1/org/officers/{officer_id}/roles",
        {"role": "handler", "reason": "新入职"},
        content_type="application/json",
        **auth,
    )
    assert grant.status_code == 201
    detail = client.get(f"/api/v1/org/officers/{officer_id}", **auth).json()
    assert detail["roles"] == ["handler"]
    assert detail["certificates"][0]["number"] == "API-1"
    listed = client.get("/api/v1/org/officers", **auth).json()
    assert "api-new" in [o["username"] for o in listed]
    settings = client.post(
        "/api/v1/org/settings",
        {"document_name": "测试县生态环境局", "case_number_pattern": "测环〔YYYY〕N号"},
        content_type="application/json",
        **auth,
    )
    assert settings.status_code == 201
    assert settings.json()["version"] == 1
    tokens = client.get("/api/v1/org/tokens", **auth).json()
    assert tokens[0]["expires_at"] is not None
    gone = client.post(
        f"/api/v1/org/officers/{officer_id}/deactivate",
        {"reason": "调离"},
        content_type="application/json",
        **auth,
    )
    assert gone.json()["is_active"] is False


def test_a_subordinate_agency_over_the_api(world, admin, client):
    auth = bearer(admin)
    body = {
        "code": "api-sub",
        "name": "接口下级所",
        "kind": "enforcement",
        "level": "department",
        "region_code": world.agency.region.code,
        "rulebook_id": "unknown",
        "case_prefix": "下",
    }
    refused = client.post("/api/v1/org/agencies", body, content_type="application/json", **auth)
    assert refused.status_code == 422
    assert "规则集" in refused.json()["message"]
    made = client.post(
        "/api/v1/org/agencies", {**body, "rulebook_id": f.R004}, content_type="application/json", **auth
    )
    assert made.status_code == 201
    assert made.json()["parent"]["id"] == str(world.agency.public_id)


def test_an_administrator_moves_a_subordinate_within_the_tree_over_the_api(world, admin, client):
    auth = bearer(admin)
    a = services.agency_create(
        actor=admin,
        parent=world.agency,
        region=world.agency.region,
        code="sub-a",
        name="甲所",
        kind="enforcement",
        level="department",
        rulebook_id=f.R004,
        case_prefix="甲",
    )
    b = services.agency_create(
        actor=admin,
        parent=world.agency,
        region=world.agency.region,
        code="sub-b",
        name="乙所",
        kind="enforcement",
        level="department",
        rulebook_id=f.R004,
        case_prefix="乙",
    )

    def move(agency, parent, reason="机构改革。", who=auth):
        return client.post(
            f"/api/v1/org/agencies/{agency.public_id}/move",
            {"parent": str(parent.public_id), "reason": reason},
            content_type="application/json",
            **who,
        )

    moved = move(b, a)
    assert moved.status_code == 200, moved.content
    assert moved.json()["parent"]["id"] == str(a.public_id)
    cycle = move(a, b)  # 甲 under its own subordinate 乙
    assert cycle.status_code == 422
    assert "成环" in cycle.json()["message"]
    assert move(a, world.agency, reason="").status_code == 422
    assert move(b, world.other).status_code == 404  # another tree
    assert move(b, a, who=bearer(world.approver)).status_code == 403
    b.refresh_from_db()
    assert b.parent_id == a.pk
