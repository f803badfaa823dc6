"""记录制度备案 (GEN-14): under 004 第三十二条 an agency files its recording rules with
the justice bureau of its own level; other regulations ask no filing, and say so."""

from __future__ import annotations

import base64

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from quanlu.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Refused
from quanlu.ledger.models import Event
from quanlu.org.models import Role
from quanlu.org.services import api_token_create
from quanlu.supervision.filing import filing_states_for, rulebook_filing_decide, rulebook_filing_submit
from quanlu.supervision.models import RulebookFiling
from quanlu.testing import factories as f


def county_justice(w):
    """The county's own justice bureau and its supervisor: the 本级 body of w.agency."""
    bureau = f.agency(reg=w.agency.region, kind="justice")
    return bureau, f.officer(bureau, Role.SUPERVISOR, certificate=False, name="县司法监督")


def state_of(officer, agency):
    return next(s for s in filing_states_for(officer) if s.agency.pk == agency.pk)


def test_under_004_the_head_files_and_the_same_level_justice_bureau_acknowledges(db):
    w = f.world(f.R004)
    bureau, reviewer = county_justice(w)
    assert state_of(reviewer, w.agency).status == "not_filed"
    assert state_of(reviewer, w.agency).overdue
    filing = rulebook_filing_submit(
        actor=w.approver,
        document_number="遵环〔2026〕5号",
        attachment=b"%PDF-1.7 rules",
        attachment_name="制度.pdf",
    )
    assert filing.filed_with == bureau
    assert filing.article.endswith("第三十二条")
    assert (filing.rulebook_id, filing.rulebook_version) == (w.agency.rulebook_id, 1)
    event = Event.objects.get(type="supervision:rules:filed")
    assert event.payload["document_number"] == "遵环〔2026〕5号"
    assert len(event.payload["attachment_sha256"]) == 64
    assert state_of(reviewer, w.agency).status == "pending"
    # Someone else than the filing body's supervisor may not answer it.
    with pytest.raises(PermissionDenied):
        rulebook_filing_decide(actor=w.justice_supervisor, filing=filing, outcome="acknowledged")
    with pytest.raises(NotFound):
        rulebook_filing_decide(actor=w.outsider, filing=filing, outcome="acknowledged")
    with pytest.raises(InvalidInput, match="退回须写明理由"):
        rulebook_filing_decide(actor=reviewer, filing=filing, outcome="returned")
    rulebook_filing_decide(actor=reviewer, filing=filing, outcome="acknowledged")
    assert state_of(reviewer, w.agency).status == "acknowledged"
    assert state_of(w.superior_supervisor, w.agency).status_label == "已备案"
    with pytest.raises(Conflict, match="已经审查过"):
        rulebook_filing_decide(actor=reviewer, filing=filing, outcome="returned", reason="重复")


def test_a_returned_filing_is_filed_again_and_only_heads_file(db):
    w = f.world(f.R004)
    _, reviewer = county_justice(w)
    with pytest.raises(PermissionDenied):
        rulebook_filing_submit(actor=w.officer, document_number="1号")
    with pytest.raises(InvalidInput):
        rulebook_filing_submit(actor=w.approver, document_number="  ")
    first = rulebook_filing_submit(actor=w.approver, document_number="1号")
    rulebook_filing_decide(actor=reviewer, filing=first, outcome="returned", reason="未盖章。")
    assert state_of(reviewer, w.agency).status == "returned"
    assert state_of(reviewer, w.agency).overdue
    rulebook_filing_submit(actor=w.approver, document_number="2号")
    assert state_of(reviewer, w.agency).filing.document_number == "2号"
    assert state_of(reviewer, w.agency).status == "pending"
    assert RulebookFiling.objects.count() == 2  # the returned filing is kept


def test_without_a_same_level_justice_bureau_the_filing_is_refused_naming_the_article(db):
    w = f.world(f.R004)  # the county has no justice bureau in this world
    with pytest.raises(Refused) as exc:
        rulebook_filing_submit(actor=w.approver, document_number="1号")
    assert exc.value.code == "no_filing_body"
    (finding,) = exc.value.findings  # the article as the rule's finding, not in the text
    assert finding.article == f"{f.R004}.txt 第三十二条"
    assert "本级政府司法行政部门备案" in finding.quote
    assert finding.satisfy == "由系统管理员登记测试县的司法行政部门后再报送。"
    assert "第三十二条" not in exc.value.message
    assert not RulebookFiling.objects.exists()


@pytest.mark.parametrize("rulebook", [f.R000, f.R001, f.R002, f.R003])
def test_regulations_that_ask_no_filing_say_so(db, rulebook):
    w = f.world(rulebook)
    assert state_of(w.superior_supervisor, w.agency).status_label == "所适用的规定未要求备案"
    assert not state_of(w.superior_supervisor, w.agency).overdue
    with pytest.raises(Conflict) as exc:
        rulebook_filing_submit(actor=w.approver, document_number="1号")
    assert exc.value.code == "filing_not_required"


def test_the_web_page_files_and_answers_and_outsiders_see_nothing(db):
    w = f.world(f.R004)
    _, reviewer = county_justice(w)
    client = Client()
    client.force_login(w.approver)
    page = client.get("/supervision/filings/").content.decode()
    assert "报送本机关记录制度备案" in page
    assert "现行适用《辽宁省行政执法全过程记录实施办法" in page
    assert "第三十二条" in page
    upload = SimpleUploadedFile("制度.pdf", b"%PDF-1.7 x", content_type="application/pdf")
    resp = client.post("/supervision/filings/", {"document_number": "遵环〔2026〕9号", "attachment": upload})
    assert resp.status_code == 302
    filing = RulebookFiling.objects.get()
    assert filing.attachment_name == "制度.pdf"
    client.force_login(reviewer)
    page = client.get("/supervision/filings/").content.decode()
    assert "已报送，待审查" in page
    assert "提交审查结论" in page
    url = f"/supervision/filings/{filing.public_id}/decision/"
    client.post(url, {"outcome": "returned", "reason": ""})
    assert filing.decisions.count() == 0  # a return without reasons is refused
    client.post(url, {"outcome": "acknowledged"})
    assert filing.decisions.get().outcome == "acknowledged"
    client.force_login(w.outsider)
    assert w.agency.name not in client.get("/supervision/filings/").content.decode()
    assert client.post(url, {"outcome": "returned", "reason": "x"}).status_code == 404


def test_the_api_lists_files_and_answers(db):
    w = f.world(f.R004)
    _, reviewer = county_justice(w)
    client = Client()

    def auth(officer):
        _, raw = api_token_create(actor=officer, officer=officer, label="t")
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}", "content_type": "application/json"}

    bad = client.post(
        "/api/v1/rulebook-filings",
        {"document_number": "1号", "attachment_base64": "不是"},
        **auth(w.approver),
    )
    assert bad.status_code == 422
    body = {"document_number": "1号", "attachment_base64": base64.b64encode(b"%PDF").decode()}
    created = client.post("/api/v1/rulebook-filings", body, **auth(w.approver))
    assert created.status_code == 201, created.content
    assert created.json()["status"] == "pending"
    listed = client.get("/api/v1/rulebook-filings", **auth(reviewer)).json()
    assert [s["status"] for s in listed if s["agency"]["id"] == str(w.agency.public_id)] == ["pending"]
    fid = created.json()["filing"]
    assert (
        client.post(
            f"/api/v1/rulebook-filings/{fid}/decision", {"outcome": "acknowledged"}, **auth(w.outsider)
        ).status_code
        == 404
    )
    done = client.post(
        f"/api/v1/rulebook-filings/{fid}/decision", {"outcome": "acknowledged"}, **auth(reviewer)
    )
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "acknowledged"
