import json
import uuid

import pytest
from django.test import Client

from quanlu.cases.models import Approval, Case
from quanlu.org.services import api_token_create


@pytest.fixture
def client():
    return Client()


def bearer(officer):
    _, raw = api_token_create(actor=officer, officer=officer, label="测试")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def post(client, url, body, auth):
    return client.post(url, data=json.dumps(body), content_type="application/json", **auth)


CASE = {
    "kind": "penalty",
    "procedure": "general",
    "initiation_mode": "ex_officio",
    "source": "inspection",
    "cause": "某公司超标排放案",
    "reason": "在线监测超标。",
}


def test_openapi_is_served(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/cases" in paths
    assert "/api/v1/approvals/{approval_id}/grant" in paths


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/cases"),
        ("post", "/api/v1/cases"),
        ("get", "/api/v1/me"),
        ("get", "/api/v1/approvals/waiting"),
    ],
)
def test_without_a_token_it_is_401_in_chinese(client, db, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 401
    assert response.json() == {
        "code": "unauthenticated",
        "message": "未登录或令牌无效，请提供有效的接口令牌。",
    }


def test_a_wrong_or_revoked_token_is_401(client, world):
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer ql_wrong")
    assert response.status_code == 401


def test_open_a_case_and_read_it_back(client, world):
    auth = bearer(world.officer)
    response = post(client, "/api/v1/cases", CASE, auth)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith(world.agency.case_prefix)
    assert body["stage"] == "initiation"
    assert body["stage_label"] == "程序启动"
    assert body["writable"] is True
    assert "pk" not in body
    assert "id" in body
    got = client.get(f"/api/v1/cases/{body['id']}", **auth).json()
    assert got["cause"] == CASE["cause"]
    listed = client.get("/api/v1/cases?stage=initiation", **auth).json()
    assert [c["id"] for c in listed] == [body["id"]]


def test_a_list_says_how_many_rows_match_beyond_its_page(client, world):
    auth = bearer(world.officer)
    for _ in range(3):
        assert post(client, "/api/v1/cases", CASE, auth).status_code == 201
    page = client.get("/api/v1/cases?limit=2&offset=2", **auth)
    assert len(page.json()) == 1
    assert page["X-Total-Count"] == "3"
    assert client.get("/api/v1/cases?stage=decision", **auth)["X-Total-Count"] == "0"
    assert client.get("/api/v1/alerts?limit=1", **auth)["X-Total-Count"] == "0"
    schema = client.get("/api/v1/openapi.json").json()
    assert "X-Total-Count" in schema["paths"]["/api/v1/cases"]["get"]["responses"]["200"]["headers"]


def test_the_same_submission_twice_opens_one_case(client, world):
    auth = bearer(world.officer)
    token = str(uuid.uuid4())
    a = post(client, "/api/v1/cases", {**CASE, "client_token": token}, auth).json()
    b = post(client, "/api/v1/cases", {**CASE, "client_token": token}, auth).json()
    assert a["id"] == b["id"]
    assert Case.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({k: v for k, v in CASE.items() if k != "cause"}, "cause", "「案由」为必填项。"),
        ({**CASE, "cause": "长" * 201}, "cause", "「案由」不能超过200个字（现有201个字）。"),
        ({**CASE, "is_major": "maybe"}, "is_major", "「重大行政执法决定」应为是或否（true/false）。"),
        ({**CASE, "client_token": "abc"}, "client_token", "「提交标识」格式不正确（应为UUID）。"),
        ({**CASE, "kind": "parking"}, "kind", "「执法类别」的取值无效"),
        ({**CASE, "cause": ["a"]}, "cause", "「案由」应为文字。"),
    ],
)
def test_bad_input_is_422_with_a_chinese_message(client, world, body, field, message):
    response = post(client, "/api/v1/cases", body, bearer(world.officer))
    assert response.status_code == 422
    data = response.json()
    assert data["code"] == "invalid_input"
    assert data["message"].startswith(message)
    assert data["details"][0]["field"] == field
    assert Case.objects.count() == 0


def test_a_body_that_is_not_json_is_400_in_chinese(client, world):
    response = client.post(
        "/api/v1/cases", data="{not json", content_type="application/json", **bearer(world.officer)
    )
    assert response.status_code == 400
    assert response.json() == {"code": "bad_request", "message": "请求内容无法解析（应为有效的 JSON）。"}
    assert Case.objects.count() == 0


@pytest.mark.parametrize("persona", ["outsider"])
def test_others_cases_are_404_for_every_endpoint(client, world, persona):
    case = world.open_case()
    approval = world.request(case, "initiation")
    auth = bearer(getattr(world, persona))
    for url in (
        f"/api/v1/cases/{case.public_id}",
        f"/api/v1/cases/{case.public_id}/parties",
        f"/api/v1/cases/{case.public_id}/approvals",
        f"/api/v1/cases/{case.public_id}/events",
        f"/api/v1/cases/{case.public_id}/deadlines",
        f"/api/v1/approvals/{approval.public_id}",
    ):
        response = client.get(url, **auth)
        assert response.status_code == 404, url
        assert response.json()["message"] == "未找到该对象，或您无权查看。"
    for url, body in (
        (f"/api/v1/cases/{case.public_id}/advance", {"to_stage": "investigation"}),
        (
            f"/api/v1/cases/{case.public_id}/parties",
            {"kind": "person", "name": "x", "id_type": "other", "id_number": "1"},
        ),
        (f"/api/v1/cases/{case.public_id}/approvals", {"gate": "initiation", "opinion": "x", "reasons": "y"}),
        (f"/api/v1/approvals/{approval.public_id}/grant", {"opinion": "同意"}),
    ):
        assert post(client, url, body, auth).status_code == 404, url


@pytest.mark.parametrize("bad", ["nonsense", "123", str(uuid.uuid4())])
def test_malformed_and_unknown_ids_are_404(client, world, bad):
    assert client.get(f"/api/v1/cases/{bad}", **bearer(world.officer)).status_code == 404


def test_supervisors_read_but_cannot_write(client, world):
    case = world.open_case()
    auth = bearer(world.justice_supervisor)
    got = client.get(f"/api/v1/cases/{case.public_id}", **auth)
    assert got.status_code == 200
    assert got.json()["writable"] is False
    response = post(
        client, f"/api/v1/cases/{case.public_id}/advance", {"to_stage": "archiving", "reason": "x"}, auth
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_the_approval_chain_over_the_api(client, world):
    case = world.open_case()
    handler = bearer(world.officer)
    created = post(
        client,
        f"/api/v1/cases/{case.public_id}/approvals",
        {"gate": "initiation", "opinion": "建议立案", "reasons": "证据充分"},
        handler,
    )
    assert created.status_code == 201
    approval_id = created.json()["id"]
    assert created.json()["chain"] == ["review", "approve"]
    waiting = client.get("/api/v1/approvals/waiting", **bearer(world.reviewer)).json()
    assert [a["id"] for a in waiting] == [approval_id]
    r = post(
        client,
        f"/api/v1/approvals/{approval_id}/grant",
        {"opinion": "同意", "step_index": 0},
        bearer(world.reviewer),
    )
    assert r.status_code == 200
    assert r.json()["next_role"] == "approve"
    again = post(
        client,
        f"/api/v1/approvals/{approval_id}/grant",
        {"opinion": "同意", "step_index": 0},
        bearer(world.approver),
    )
    assert again.status_code == 409
    assert again.json()["code"] == "step_taken"
    done = post(
        client,
        f"/api/v1/approvals/{approval_id}/grant",
        {"opinion": "批准", "step_index": 1},
        bearer(world.approver),
    )
    assert done.json()["status"] == "granted"
    assert done.json()["steps"][1]["signature_method"] == "token"
    world.prepare(case, "investigation")  # the 相关执法文书 (004 第九条), as a scanned form
    adv = post(
        client,
        f"/api/v1/cases/{case.public_id}/advance",
        {"to_stage": "investigation", "from_stage": "initiation"},
        handler,
    )
    assert adv.status_code == 200
    events = client.get(f"/api/v1/cases/{case.public_id}/events", **handler).json()
    assert [e["type"] for e in events if e["type"].startswith("case:")][-4:] == [
        "case:approval:requested",
        "case:approval:granted",
        "case:approval:granted",
        "case:stage:advanced",
    ]
    assert Approval.objects.get().status == "granted"


def test_a_refused_transition_cites_the_article(client, world):
    case = world.open_case()
    response = post(
        client,
        f"/api/v1/cases/{case.public_id}/advance",
        {"to_stage": "investigation"},
        bearer(world.officer),
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "refused"
    assert body["details"][0]["article"] == "004_b4c2f06b7eb1ab1e.txt 第九条"
    assert "本机关负责人批准" in body["details"][0]["quote"]


def test_parties_over_the_api(client, world):
    case = world.open_case()
    auth = bearer(world.officer)
    bad = post(
        client,
        f"/api/v1/cases/{case.public_id}/parties",
        {"kind": "person", "name": "王某", "id_type": "resident_id", "id_number": "110105194912310021"},
        auth,
    )
    assert bad.status_code == 422
    assert "校验位" in bad.json()["message"]
    ok = post(
        client,
        f"/api/v1/cases/{case.public_id}/parties",
        {"kind": "person", "name": "王某", "id_type": "resident_id", "id_number": "11010519491231002X"},
        auth,
    )
    assert ok.status_code == 201
    assert client.get(f"/api/v1/cases/{case.public_id}/parties", **auth).json()[0]["name"] == "王某"


def test_limits_are_validated(client, world):
    response = client.get("/api/v1/cases?limit=100000", **bearer(world.officer))
    assert response.status_code == 422
    assert "不能大于" in response.json()["message"]
