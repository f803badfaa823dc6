from __future__ import annotations

import json

import pytest
from django.test import Client

from quanlu.cases.models import Party
from quanlu.file_review import selectors, services
from quanlu.file_review.models import Campaign, CaseScore
from quanlu.file_review.tests.conftest import ReviewWorld, committed
from quanlu.org.models import Officer
from quanlu.org.services import api_token_create

pytestmark = pytest.mark.tampers  # cases are closed behind the services; committed() checks the rest


def client(officer: Officer) -> Client:
    c = Client()
    c.force_login(officer)
    return c


def opened(rw: ReviewWorld) -> Campaign:
    return services.campaign_open(
        actor=rw.w.superior_supervisor, title="专项评查", method="random", per_agency=1, seed="v"
    )


def test_a_supervisor_opens_a_campaign_from_the_page(rw):
    page = client(rw.w.superior_supervisor)
    assert "发起评查活动" in page.get("/file-reviews/").content.decode()
    r = page.post("/file-reviews/", {"title": "页面发起", "method": "random", "per_agency": "2", "seed": "p"})
    campaign = Campaign.objects.get(title="页面发起")
    assert r.status_code == 302
    assert r["Location"] == f"/file-reviews/{campaign.public_id}/"
    body = page.get(r["Location"]).content.decode()
    assert "待评分" in body
    assert rw.home_cases[0].agency.name in body
    r = page.post("/file-reviews/", {"title": "无件数", "method": "random", "seed": "p"})
    assert "须确定每个机关抽取的件数" in r.content.decode()
    assert "发起评查活动" not in client(rw.w.officer).get("/file-reviews/").content.decode()
    committed()


def test_the_scoring_form_shows_the_prefill_and_saves_a_scoring(rw):
    campaign = opened(rw)
    sample = selectors.samples_of(campaign).first()
    page = client(rw.w.superior_supervisor)
    url = f"/file-reviews/{campaign.public_id}/cases/{sample.public_id}/"
    body = page.get(url).content.decode()
    assert "系统预填" in body
    assert "系统检查不符合" in body
    filled = selectors.prefill(rw.w.superior_supervisor, sample.case, campaign.sheet.content)
    form = {"opinion": "基本规范。"}
    for p in filled:
        code = p.item.code
        form[f"awarded-{code}"] = str(p.awarded)
        form[f"finding-{code}"] = p.finding
        if p.applicable:
            form[f"applicable-{code}"] = "on"
    changed = next(p for p in filled if p.applicable and p.awarded == 0)
    form[f"awarded-{changed.item.code}"] = "1"
    r = page.post(url, form)
    assert "调整理由" in r.content.decode()  # refused, the form shown again with what was typed
    assert not CaseScore.objects.exists()
    form[f"reason-{changed.item.code}"] = "案卷中有纸质记录。"
    r = page.post(url, form)
    assert r.status_code == 302
    score = selectors.current_score(sample)
    assert score.opinion == "基本规范。"
    assert score.items.get(item=changed.item.code).change_reason == "案卷中有纸质记录。"
    assert "已调整预填" in page.get(url).content.decode()
    committed()


def test_reviewers_read_the_cases_but_write_nothing(rw):
    campaign = opened(rw)
    case = selectors.samples_of(campaign).first().case
    page = client(rw.w.superior_supervisor)
    assert page.get(f"/cases/{case.public_id}/").status_code == 200
    assert page.get(f"/archive/cases/{case.public_id}/").status_code == 200
    _, raw = api_token_create(actor=rw.w.superior_supervisor, officer=rw.w.superior_supervisor, label="t")
    api = {"HTTP_AUTHORIZATION": f"Bearer {raw}", "content_type": "application/json"}
    party = {"kind": "person", "name": "张三", "id_type": "resident_id", "id_number": "110101199001011237"}
    r = Client().post(f"/api/v1/cases/{case.public_id}/parties", data=json.dumps(party), **api)
    assert r.status_code == 403
    assert "只有本机关人员" in r.json()["message"]  # refused as a supervisor, not for the closed case
    r = Client().post(
        f"/api/v1/cases/{case.public_id}/advance",
        data=json.dumps({"to_stage": "closed", "reason": "x"}),
        **api,
    )
    assert r.status_code in (403, 409)
    page.post(f"/cases/{case.public_id}/parties/", party)
    assert not Party.objects.filter(case=case).exists()


def test_pages_deny_outsiders_and_show_reviewed_agencies_only_their_results_after_closure(rw):
    campaign = opened(rw)
    samples = list(selectors.samples_of(campaign))
    base = f"/file-reviews/{campaign.public_id}"
    url = f"{base}/cases/{samples[0].public_id}/"
    assert client(rw.w.justice_supervisor).get(url).status_code == 200  # a supervisor above reads
    assert client(rw.w.justice_supervisor).post(url, {"opinion": "x"}).status_code == 403
    for who in (rw.w.outsider, rw.w.officer):
        for path in (f"{base}/", f"{base}/results/", f"{base}/cases/{samples[0].public_id}/"):
            assert client(who).get(path).status_code == 404
    for s in samples:
        services.case_score(actor=rw.w.superior_supervisor, sample=s, entries=[])
    r = client(rw.w.superior_supervisor).post(f"{base}/", {"conclusion": "评查结束。"})
    assert r.status_code == 302
    body = client(rw.w.officer).get(f"{base}/results/").content.decode()
    assert f"仅显示{rw.w.agency.name}的结果" in body
    assert rw.sibling.name not in body
    other = next(s for s in samples if s.agency == rw.sibling)
    assert client(rw.w.officer).get(f"{base}/cases/{other.public_id}/").status_code == 404
    assert client(rw.w.outsider).get(f"{base}/results/").status_code == 404
    page = client(rw.w.superior_supervisor)
    results = page.get(f"{base}/results/").content.decode()
    assert "按条款扣分" in results
    assert "已下达整改" not in results
    lost = selectors.results(campaign, rw.w.agency).lost_items
    r = page.post(
        f"{base}/results/",
        {
            "agency": str(rw.w.agency.public_id),
            "items": [str(lost[0].public_id)],
            "requirements": "补齐记录。",
            "due_at": "2099-01-01T10:00",
        },
    )
    assert r.status_code == 302
    assert "已下达整改" in page.get(f"{base}/results/").content.decode()
    assert campaign.rectifications.get().items == [str(lost[0].public_id)]
    committed()


def test_the_sheet_page_publishes_a_new_version(rw):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from quanlu.file_review.sheets import DEFAULT_SHEET

    page = client(rw.w.superior_supervisor)
    body = page.get("/file-reviews/sheet/").content.decode()
    assert "《元氏县自然资源和规划局行政执法全过程记录办法》第三十二条" in body
    text = DEFAULT_SHEET.read_text(encoding="utf-8").replace(
        "title: 行政执法全过程记录案卷评查标准", "title: 本局标准"
    )
    r = page.post("/file-reviews/sheet/", {"content": SimpleUploadedFile("s.yaml", text.encode())})
    assert r.status_code == 302
    assert selectors.current_sheet(rw.w.superior).title == "本局标准"
    r = page.post("/file-reviews/sheet/", {"content": SimpleUploadedFile("s.yaml", b"title: [")})
    assert "无法解析" in r.content.decode()
    committed()
