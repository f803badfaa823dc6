import uuid

import pytest
from django.test import Client

from quanlu.cases.models import Approval, Case, Complaint, Party
from quanlu.testing.factories import PASSWORD


def login(officer):
    client = Client()
    assert client.login(username=officer.username, password=PASSWORD)
    return client


def test_the_login_page_is_chinese(db):
    response = Client().get("/login/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "登录" in text
    assert "用户名" in text
    assert 'lang="zh-CN"' in text


def test_a_wrong_password_is_explained(world):
    response = Client().post("/login/", {"username": world.officer.username, "password": "wrong"})
    assert "用户名或密码不正确" in response.content.decode()


@pytest.mark.parametrize("url", ["/", "/cases/", "/cases/new/", "/complaints/"])
def test_pages_need_login(db, url):
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_dashboard_shows_my_cases_approvals_and_deadlines(world):
    case = world.open_case(cause="某厂排污案")
    world.request(case, "initiation")
    text = login(world.officer).get("/").content.decode()
    assert "某厂排污案" in text
    waiting = login(world.reviewer).get("/").content.decode()
    assert "待我审批（1）" in waiting
    assert case.number in waiting


def test_open_a_case_through_the_form_once_even_if_sent_twice(world):
    client = login(world.officer)
    form = client.get("/cases/new/").content.decode()
    assert "登记新案件" in form
    assert 'name="client_token"' in form
    token = str(uuid.uuid4())
    data = {
        "cause": "某公司噪声扰民案",
        "kind": "penalty",
        "procedure": "general",
        "initiation_mode": "ex_officio",
        "source": "complaint",
        "reason": "群众投诉。",
        "client_token": token,
    }
    first = client.post("/cases/new/", data)
    second = client.post("/cases/new/", data)
    assert first.status_code == 302
    assert first["Location"] == second["Location"]
    assert Case.objects.count() == 1


def test_form_errors_come_back_in_chinese(world):
    client = login(world.officer)
    data = {
        "cause": "x",
        "kind": "fee",
        "procedure": "general",
        "initiation_mode": "ex_officio",
        "source": "inspection",
        "reason": "理由",
    }
    text = client.post("/cases/new/", data).content.decode()
    assert "未规定「行政收费」" in text
    assert Case.objects.count() == 0


def test_the_case_page_shows_stages_parties_approvals_and_timeline(world):
    case = world.open_case()
    client = login(world.officer)
    client.post(
        f"/cases/{case.public_id}/parties/",
        {"kind": "person", "name": "王某", "id_type": "resident_id", "id_number": "11010519491231002X"},
    )
    assert Party.objects.filter(case=case).count() == 1
    client.post(
        f"/cases/{case.public_id}/approvals/",
        {"gate": "initiation", "opinion": "建议立案", "reasons": "证据充分"},
    )
    text = client.get(f"/cases/{case.public_id}/").content.decode()
    for expected in (
        "程序启动",
        "调查取证",
        "王某",
        "立案（程序启动）审批",
        "审批中",
        "登记当事人",
        "提请审批",
    ):
        assert expected in text, expected


def test_signing_needs_the_password_and_shows_on_the_timeline(world):
    case = world.open_case()
    approval = world.request(case, "initiation")
    client = login(world.reviewer)
    wrong = client.post(
        f"/approvals/{approval.public_id}/decide/",
        {"decision": "grant", "opinion": "同意", "password": "nope", "step_index": 0},
        follow=True,
    )
    assert "密码不正确" in wrong.content.decode()
    assert approval.steps.count() == 0
    ok = client.post(
        f"/approvals/{approval.public_id}/decide/",
        {"decision": "grant", "opinion": "同意立案", "password": PASSWORD, "step_index": 0},
        follow=True,
    )
    text = ok.content.decode()
    assert "已签署：审核同意" in text
    assert "审批同意" in text
    assert "意见：同意立案" in text


def test_a_refused_advance_shows_the_article(world):
    case = world.open_case()
    response = login(world.officer).post(
        f"/cases/{case.public_id}/advance/",
        {"to_stage": "investigation", "from_stage": "initiation"},
        follow=True,
    )
    text = response.content.decode()
    assert "尚未取得立案（程序启动）审批的批准" in text
    assert "第九条" in text
    assert "报本机关负责人批准" in text


def test_outsiders_get_404_on_every_case_page(world):
    case = world.open_case()
    approval = world.request(case, "initiation")
    client = login(world.outsider)
    assert client.get(f"/cases/{case.public_id}/").status_code == 404
    assert client.get("/cases/not-a-uuid/").status_code == 404
    for url, data in (
        (f"/cases/{case.public_id}/parties/", {}),
        (f"/cases/{case.public_id}/approvals/", {}),
        (f"/cases/{case.public_id}/advance/", {"to_stage": "archiving", "from_stage": "initiation"}),
        (
            f"/approvals/{approval.public_id}/decide/",
            {"decision": "grant", "opinion": "x", "password": PASSWORD, "step_index": 0},
        ),
    ):
        assert client.post(url, data).status_code == 404, url
    assert Approval.objects.get().steps.count() == 0
    assert case.number not in client.get("/cases/").content.decode()


@pytest.mark.parametrize("persona", ["superior_supervisor", "justice_supervisor"])
def test_supervisors_read_only(world, persona):
    case = world.open_case()
    client = login(getattr(world, persona))
    text = client.get(f"/cases/{case.public_id}/").content.decode()
    assert "仅可查阅" in text
    assert "提请审批" not in text
    assert "推进阶段" not in text
    response = client.post(
        f"/cases/{case.public_id}/advance/",
        {"to_stage": "archiving", "from_stage": "initiation", "reason": "x"},
        follow=True,
    )
    assert "只有本机关人员" in response.content.decode()
    case.refresh_from_db()
    assert case.stage == "initiation"


def test_complaints_pages(world):
    client = login(world.officer)
    response = client.post(
        "/complaints/",
        {
            "named": "on",
            "complainant_name": "马某",
            "channel": "电话",
            "content": "反映某厂冒黑烟。",
            "client_token": str(uuid.uuid4()),
        },
    )
    complaint = Complaint.objects.get()
    assert response["Location"] == f"/complaints/{complaint.public_id}/"
    refused = client.post(
        f"/complaints/{complaint.public_id}/", {"action": "decline", "reason": "未发现问题"}
    )
    assert "应记录告知投诉人、举报人的方式和内容" in refused.content.decode()
    client.post(
        f"/complaints/{complaint.public_id}/",
        {"action": "decline", "reason": "未发现问题", "notify_method": "电话", "notify_content": "已告知"},
    )
    complaint.refresh_from_db()
    assert complaint.status == "declined"
    assert login(world.outsider).get(f"/complaints/{complaint.public_id}/").status_code == 404


def test_static_files_and_htmx_are_served(db):
    response = Client().get("/static/web/htmx.min.js")
    assert response.status_code == 200
