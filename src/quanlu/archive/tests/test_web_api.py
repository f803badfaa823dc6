"""The archivist's pages and the API: the archivist assembles, seals, exports and disposes;
supervisors read and change nothing (403); anyone who may not see the case gets 404."""

from __future__ import annotations

import pytest
from django.test import Client

from quanlu.archive.models import Dossier, DossierStatus, PackageExport
from quanlu.archive.tests import helpers as h
from quanlu.org.services import api_token_create
from quanlu.testing.factories import PASSWORD


def login(officer) -> Client:
    client = Client()
    assert client.login(username=officer.username, password=PASSWORD)
    return client


def bearer(officer) -> dict[str, str]:
    _, raw = api_token_create(actor=officer, officer=officer, label="测试")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def export_dir(settings, tmp_path):
    settings.QUANLU_ARCHIVE_EXPORT_DIR = tmp_path / "exports"
    return settings.QUANLU_ARCHIVE_EXPORT_DIR


@pytest.fixture
def archiving(world):
    return h.to_archiving(world, h.case_with_records(world, documents=1))


def test_the_archivist_assembles_seals_and_exports_in_the_browser(world, archiving, export_dir):
    case = archiving
    web = login(world.archivist)
    listing = web.get("/archive/").content.decode()
    assert case.number in listing
    assert "待归档" in listing
    page = web.get(f"/archive/cases/{case.public_id}/").content.decode()
    assert "缺少的记录" in page
    assert "齐全" in page
    assert "组卷" in page
    assert "归档期限" in page
    assert "依据：" in page
    done = web.post(f"/archive/cases/{case.public_id}/assemble/", follow=True)
    assert "已组卷" in done.content.decode()
    dossier = Dossier.objects.get(case=case)
    done = web.post(f"/archive/dossiers/{dossier.public_id}/seal/", follow=True)
    text = done.content.decode()
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.SEALED
    assert dossier.archive_number in text
    assert "四性检测" in text
    assert "GD-1-1" in text
    cover = dossier.items.get(kind="cover")
    pdf = web.get(f"/archive/dossiers/{dossier.public_id}/files/{cover.position}/")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    # Not closed yet: the export explains itself.
    done = web.post(f"/archive/dossiers/{dossier.public_id}/export/", follow=True)
    assert "尚未结案" in done.content.decode()
    h.close(world, case)
    done = web.post(f"/archive/dossiers/{dossier.public_id}/export/", follow=True)
    assert "已导出档案包" in done.content.decode()
    export = PackageExport.objects.get()
    assert export.path.startswith(str(export_dir))
    # The case page shows the archive card.
    assert "案卷归档" in web.get(f"/cases/{case.public_id}/").content.decode()


def test_a_missing_record_is_shown_by_citation_and_the_seal_refused(world, archiving):
    from quanlu.records.sample import make_document

    make_document(archiving, "inquiry_transcript", h.staff(world))
    web = login(world.archivist)
    page = web.get(f"/archive/cases/{archiving.public_id}/").content.decode()
    assert "询问笔录" in page
    assert "依据：" in page
    web.post(f"/archive/cases/{archiving.public_id}/assemble/")
    dossier = Dossier.objects.get(case=archiving)
    done = web.post(f"/archive/dossiers/{dossier.public_id}/seal/", follow=True).content.decode()
    assert "不能封卷" in done
    # Cited as people read it: the regulation's title, not its file name.
    from quanlu.rulebooks.loader import get_rulebook

    book = get_rulebook(archiving.rulebook_id)
    assert f"依据：《{book.title}》第" in done
    assert f"依据：{book.source}" not in done
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.ASSEMBLED


@pytest.mark.parametrize("who", ["superior_supervisor", "justice_supervisor"])
def test_supervisors_read_the_dossier_and_change_nothing(world, who):
    case, dossier = h.archived(world, documents=0, media=False)
    web = login(getattr(world, who))
    page = web.get(f"/archive/cases/{case.public_id}/").content.decode()
    assert dossier.archive_number in page
    assert "仅可查阅" in page
    assert "导出档案包</button>" not in page
    assert "设置保全</button>" not in page
    assert case.number in web.get("/archive/").content.decode()
    for url in (
        f"/archive/cases/{case.public_id}/assemble/",
        f"/archive/dossiers/{dossier.public_id}/seal/",
        f"/archive/dossiers/{dossier.public_id}/export/",
        f"/archive/cases/{case.public_id}/holds/",
        f"/archive/dossiers/{dossier.public_id}/dispositions/",
    ):
        assert web.post(url, {"reason": "x"}).status_code == 403, url
    item = dossier.items.first()
    assert web.get(f"/archive/dossiers/{dossier.public_id}/files/{item.position}/").status_code == 200


def test_outsiders_get_404_everywhere(world):
    case, dossier = h.archived(world, documents=0, media=False)
    web = login(world.outsider)
    item = dossier.items.first()
    for url in (
        f"/archive/cases/{case.public_id}/",
        f"/archive/dossiers/{dossier.public_id}/files/{item.position}/",
    ):
        assert web.get(url).status_code == 404, url
    for url in (
        f"/archive/cases/{case.public_id}/assemble/",
        f"/archive/dossiers/{dossier.public_id}/seal/",
        f"/archive/dossiers/{dossier.public_id}/export/",
        f"/archive/cases/{case.public_id}/holds/",
        f"/archive/dossiers/{dossier.public_id}/dispositions/",
        "/archive/dispositions/00000000-0000-0000-0000-000000000000/decide/",
        "/archive/dispositions/not-a-uuid/execute/",
        "/archive/holds/00000000-0000-0000-0000-000000000000/release/",
    ):
        assert web.post(url, {"reason": "x"}).status_code == 404, url
    assert case.number not in web.get("/archive/").content.decode()
    api = Client()
    auth = bearer(world.outsider)
    for url in (
        f"/api/v1/cases/{case.public_id}/dossier",
        f"/api/v1/dossiers/{dossier.public_id}",
        f"/api/v1/dossiers/{dossier.public_id}/items/0/content",
    ):
        assert api.get(url, **auth).status_code == 404, url
    for url in (
        f"/api/v1/cases/{case.public_id}/dossier",
        f"/api/v1/dossiers/{dossier.public_id}/seal",
        f"/api/v1/dossiers/{dossier.public_id}/export",
        f"/api/v1/cases/{case.public_id}/holds",
        f"/api/v1/dossiers/{dossier.public_id}/dispositions",
    ):
        response = api.post(url, {"reason": "x"}, content_type="application/json", **auth)
        assert response.status_code == 404, url
        assert response.json()["code"] == "not_found"
    assert api.get("/api/v1/dispositions", **auth).json() == []


def test_anonymous_visitors_are_sent_to_log_in(world):
    case, _ = h.archived(world, documents=0, media=False)
    response = Client().get(f"/archive/cases/{case.public_id}/")
    assert response.status_code == 302
    assert Client().get(f"/api/v1/cases/{case.public_id}/dossier").status_code == 401


def test_the_api_assembles_seals_and_reports_what_is_missing(world, archiving):
    api = Client()
    auth = bearer(world.archivist)
    status = api.get(f"/api/v1/cases/{archiving.public_id}/dossier", **auth).json()
    assert status["dossier"] is None
    assert status["may_act"] is True
    assert status["deadline"]["level"] in ("none", "yellow", "red")
    assert status["deadline"]["article"]
    assert all(not m["blocking"] for m in status["missing"])
    response = api.post(
        f"/api/v1/cases/{archiving.public_id}/dossier",
        {"retention": "permanent"},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 422
    assert "保管期限说明" in response.json()["message"]
    created = api.post(
        f"/api/v1/cases/{archiving.public_id}/dossier", {}, content_type="application/json", **auth
    )
    assert created.status_code == 201
    dossier_id = created.json()["id"]
    assert created.json()["items"][0]["index_no"] == 1
    sealed = api.post(f"/api/v1/dossiers/{dossier_id}/seal", **auth)
    assert sealed.status_code == 200
    body = sealed.json()
    assert body["status"] == "sealed"
    assert body["archive_number"]
    assert {c["result"] for c in body["checks"]} <= {"pass", "na"}
    assert body["checkpoint"]["size"] > 0
    again = api.post(f"/api/v1/dossiers/{dossier_id}/seal", **auth)
    assert again.status_code == 409
    assert again.json()["code"] == "not_assembled"
    officer = api.post(f"/api/v1/dossiers/{dossier_id}/export", **bearer(world.officer))
    assert officer.status_code == 403


def test_the_api_runs_a_disposition_with_two_approvers(world, export_dir, monkeypatch):
    _case, dossier = h.archived(world, documents=0, media=False)
    h.age(monkeypatch, 12)
    api = Client()
    made = api.post(
        f"/api/v1/dossiers/{dossier.public_id}/dispositions",
        {"reason": "保管期满，经鉴定无保存价值"},
        content_type="application/json",
        **bearer(world.archivist),
    )
    assert made.status_code == 201
    rid = made.json()["id"]
    first = bearer(world.approver)
    ok = api.post(
        f"/api/v1/dispositions/{rid}/approve", {"opinion": "同意"}, content_type="application/json", **first
    )
    assert ok.status_code == 200
    assert ok.json()["status"] == "pending"
    twice = api.post(
        f"/api/v1/dispositions/{rid}/approve", {"opinion": "同意"}, content_type="application/json", **first
    )
    assert twice.status_code == 409
    assert twice.json()["code"] == "same_approver"
    assert "同一人不能两次审批" in twice.json()["message"]
    second = api.post(
        f"/api/v1/dispositions/{rid}/approve",
        {"opinion": "同意"},
        content_type="application/json",
        **bearer(world.approver2),
    )
    assert second.json()["status"] == "approved"
    done = api.post(f"/api/v1/dispositions/{rid}/execute", **bearer(world.archivist))
    assert done.status_code == 200
    assert done.json()["status"] == "executed"
    assert (
        api.get(f"/api/v1/dossiers/{dossier.public_id}", **bearer(world.justice_supervisor)).json()["status"]
        == "disposed"
    )


def test_the_web_disposition_needs_the_password_as_signature(world, monkeypatch):
    case, dossier = h.archived(world, documents=0, media=False)
    h.age(monkeypatch, 12)
    login(world.archivist).post(f"/archive/dossiers/{dossier.public_id}/dispositions/", {"reason": "期满"})
    request = dossier.dispositions.get()
    web = login(world.approver)
    page = web.get(f"/archive/cases/{case.public_id}/").content.decode()
    assert "同意销毁并签署" in page
    bad = web.post(
        f"/archive/dispositions/{request.public_id}/decide/",
        {"decision": "approve", "opinion": "同意", "password": "wrong"},
        follow=True,
    )
    assert "密码不正确" in bad.content.decode()
    assert request.approvals.count() == 0
    web.post(
        f"/archive/dispositions/{request.public_id}/decide/",
        {"decision": "approve", "opinion": "同意", "password": PASSWORD},
    )
    again = web.post(
        f"/archive/dispositions/{request.public_id}/decide/",
        {"decision": "approve", "opinion": "同意", "password": PASSWORD},
        follow=True,
    )
    assert "同一人不能两次审批" in again.content.decode()
    assert request.approvals.count() == 1


def test_the_settings_page(world):
    web = login(world.archivist)
    assert "全宗号" in web.get("/archive/settings/").content.decode()
    done = web.post(
        "/archive/settings/",
        {
            "fonds_code": "Q0301",
            "fonds_name": "测试全宗",
            "category_code": "ZF",
            "unit_code": "FZ",
            "retention_general": "permanent",
            "retention_simplified": "y30",
            "retention_major": "permanent",
            "retention_terminated": "y10",
        },
        follow=True,
    )
    assert "档案设置已保存" in done.content.decode()
    bad = web.post("/archive/settings/", {"fonds_code": "Q-1", "fonds_name": "x"}, follow=True)
    assert "只能由字母和数字组成" in bad.content.decode()
    assert login(world.officer).post("/archive/settings/", {"fonds_code": "Q1"}).status_code == 403
    api = Client()
    assert api.get("/api/v1/archive/settings", **bearer(world.officer)).json()["fonds_code"] == "Q0301"
