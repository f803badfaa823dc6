"""Every answer under /api/ is JSON with a Chinese message and a code: out-of-range
paging, bodies over the limit, unknown paths and server errors included."""

import json

import pytest
from django.test import Client

from quanlu.org.services import api_token_create

HUGE = "9223372036854775808"  # 2**63: one past the largest 64-bit integer


def bearer(officer):
    _, raw = api_token_create(actor=officer, officer=officer, label="测试")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


LISTS = [
    ("/api/v1/cases", "offset", HUGE, "「起始位置」不能大于"),
    ("/api/v1/cases", "offset", "-1", "「起始位置」不能小于"),
    ("/api/v1/cases", "limit", HUGE, "「条数」不能大于"),
    ("/api/v1/cases", "limit", "0", "「条数」不能小于"),
    ("/api/v1/alerts", "limit", HUGE, "「条数」不能大于"),
    ("/api/v1/alerts", "limit", "0", "「条数」不能小于"),
]


@pytest.mark.parametrize(("url", "param", "value", "message"), LISTS)
def test_paging_out_of_range_is_a_422_in_chinese(client, world, url, param, value, message):
    response = client.get(f"{url}?{param}={value}", **bearer(world.officer))
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "invalid_input"
    assert body["message"].startswith(message)
    assert body["details"][0]["field"] == param


def test_the_largest_offset_is_an_empty_page(client, world):
    from quanlu.api.base import MAX_OFFSET

    world.open_case()
    response = client.get(f"/api/v1/cases?offset={MAX_OFFSET}&limit=500", **bearer(world.officer))
    assert response.status_code == 200
    assert response.json() == []


def _explode(*args, **kwargs):
    raise RuntimeError("boom")


def test_a_server_error_under_the_api_is_json(client, world, monkeypatch):
    from quanlu.cases import selectors
    from quanlu.media import uploads

    monkeypatch.setattr(selectors, "case_list_for", _explode)
    response = client.get("/api/v1/cases", **bearer(world.officer))
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == "server_error"
    assert "服务器内部错误" in body["message"]
    # The streaming upload views beside django-ninja too.
    monkeypatch.setattr(uploads, "api_officer", _explode)
    response = client.post("/api/v1/media/tus/", HTTP_TUS_RESUMABLE="1.0.0", **bearer(world.officer))
    assert response.status_code == 500
    assert response.json()["code"] == "server_error"


def test_a_server_error_on_a_page_is_still_the_html_page(client, world, monkeypatch):
    from quanlu.cases import selectors

    monkeypatch.setattr(selectors, "case_list_for", _explode)
    client.force_login(world.officer)
    response = client.get("/cases/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    assert "系统错误" in response.content.decode()


def test_a_body_over_the_limit_is_a_413_in_json(client, world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = json.dumps({"cause": "某" * 2000})
    response = client.post(
        "/api/v1/cases", data=body, content_type="application/json", **bearer(world.officer)
    )
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert "1024 字节" in response.json()["message"]


def test_an_unknown_api_path_is_a_404_in_json_and_a_page_is_html(client, db):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "未找到该对象，或您无权查看。"}
    page = client.get("/no-such-page/")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")
