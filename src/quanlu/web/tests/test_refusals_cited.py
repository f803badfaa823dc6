"""A refusal an obligation of the regulation makes shows its finding — rule, regulation
file, article, quote and what satisfies it — in the API body and on the page, and a
refusal no article makes cites nothing (issue 18, item 1)."""

from __future__ import annotations

import pytest
from django.test import Client

from quanlu.cases.models import Stage
from quanlu.org.services import api_token_create
from quanlu.records.catalogue import catalogue
from quanlu.records.models import Document
from quanlu.records.sample import sample_fields
from quanlu.records.tests.conftest import Staff
from quanlu.rulebooks.tests.walk import add_party
from quanlu.testing import factories as f
from quanlu.testing.factories import PASSWORD


def bearer(officer):
    _, raw = api_token_create(actor=officer, officer=officer, label="测试")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _post_approval_form(w, case, *, without=()):
    """The internal approval form made over the API, its sample fields but ``without``."""
    add_party(w, case)
    staff = Staff(w.officer, w.officer2, w.reviewer, w.legal, w.approver)
    fields = sample_fields(catalogue().get("internal_approval_form"), case, staff)
    return Client().post(
        f"/api/v1/cases/{case.public_id}/documents",
        {"type": "internal_approval_form", "fields": {k: v for k, v in fields.items() if k not in without}},
        content_type="application/json",
        **bearer(w.officer),
    )


def _undated_approval_form(w, case):
    return _post_approval_form(w, case, without=("reviewer_date",))


@pytest.mark.parametrize("rulebook", [f.R001, f.R002])
def test_an_undated_opinion_is_refused_citing_001_article_15_over_the_api(db, rulebook):
    w = f.world(rulebook)
    response = _undated_approval_form(w, w.open_case())
    assert response.status_code == 422
    body = response.json()
    assert not Document.objects.exists()
    if rulebook == f.R002:  # 002 asks no date per opinion: the form's own error
        assert (body["code"], body["details"]) == (
            "invalid_input",
            [{"field": "reviewer_date", "message": "「审核人签字日期」为必填项。"}],
        )
        return
    (detail,) = body["details"]
    assert detail == {
        "field": "reviewer_date",
        "rule": "dec.internal_approval_dates",
        "message": "「审核人签字日期」为必填项：《案件处理内部审批表》应当载明。",
        "rulebook": f.R001,
        "article": f"{f.R001}.txt 第十五条",
        "quote": "内部审批文书应当记录行政执法人员的承办意见和理由、审核人的审核意见、批准人的批准意见，并分别载明签字日期。",
        "source": f"{f.R001}.txt",
        "satisfy": "填写「审核人签字日期」。",
    }


def test_an_approver_before_the_reviewer_is_told_the_article_on_the_page_and_over_the_api(db):
    w = f.world(f.R004)
    case = w.open_case()
    w.grant_gate(case, "initiation")
    w.advance(case, Stage.INVESTIGATION, Stage.DECISION)
    approval = w.request(case, "decision")
    client = Client()
    assert client.login(username=w.approver.username, password=PASSWORD)
    # The approver asks for the approve step (index 1 of review, approve) before the review.
    page = client.post(
        f"/approvals/{approval.public_id}/decide/",
        {"decision": "grant", "opinion": "同意", "password": PASSWORD, "step_index": 1},
        follow=True,
    ).content.decode()
    assert "已由他人处理" not in page
    assert "尚未经审核人审核，批准人不能先行签署" in page
    assert "第三十一条" in page
    assert "由承办人提出意见和理由，经审核人审核后，由批准人批准。" in page
    assert "应当：待审核人审核后，再由批准人签署。" in page
    assert approval.steps.count() == 0
    api = Client().post(
        f"/api/v1/approvals/{approval.public_id}/grant",
        {"opinion": "同意", "step_index": 1},
        content_type="application/json",
        **bearer(w.approver),
    )
    assert api.status_code == 409
    body = api.json()
    assert body["code"] == "step_out_of_order"
    (detail,) = body["details"]
    assert (detail["rule"], detail["article"], detail["source"]) == (
        "dec.approval_chain",
        f"{f.R004}.txt 第三十一条",
        f"{f.R004}.txt",
    )
    assert detail["satisfy"] == "待审核人审核后，再由批准人签署。"


def test_a_written_interruption_statement_with_one_signer_shows_001_article_22(db, settings):
    from quanlu.media.models import Gap
    from quanlu.media.tests.test_ingest import ago, clips, device_for

    settings.QUANLU_AV_GAP_SECONDS = 10
    w = f.world(f.R001)
    case = w.open_case()
    clips(w, case, device_for(w), [ago(hours=3), ago(hours=2)])
    gap = Gap.objects.get(case=case)
    client = Client()
    assert client.login(username=w.officer.username, password=PASSWORD)
    response = client.post(
        f"/media/gaps/{gap.public_id}/",
        {
            "reason": "human_obstruction",
            "detail": "当事人阻挠",
            "form": "written",
            "statement": "无法继续录像。",
            "signer1": str(w.officer.public_id),
            "password1": PASSWORD,
        },
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "无法继续记录的书面说明应由2名以上执法人员签字，现有1名。" in page
    assert "第二十二条" in page
    assert "应当：由2名以上本机关持有效执法证件的执法人员在书面说明上签字。" in page


def _approval_form(w, case):
    made = _post_approval_form(w, case)
    assert made.status_code == 201, made.json()
    return Document.objects.get(public_id=made.json()["id"])


@pytest.mark.parametrize("rulebook", [f.R004, f.R001, f.R002])
def test_one_person_signing_two_steps_of_the_approval_form_is_told_the_chains_article(db, rulebook):
    # The reviewer (also an officer) signs the form as 承办人, then again as 审核人: the
    # form records the decision gate's chain, whose signers 004 第三十一条 and 001 第十五条
    # name apart; 002 names no chain, and the form's own rule refuses citing nothing.
    w = f.world(rulebook)
    doc = _approval_form(w, w.open_case())
    sign = f"/api/v1/documents/{doc.public_id}/sign"
    as_handler = Client().post(
        sign, {"slot": "handler"}, content_type="application/json", **bearer(w.reviewer)
    )
    assert as_handler.status_code == 201, as_handler.json()
    api = Client().post(sign, {"slot": "reviewer"}, content_type="application/json", **bearer(w.reviewer))
    assert api.status_code == 403
    body = api.json()
    assert body["message"] == "同一文书中，承办、审核、法制审核、批准应由不同人员签署。"
    client = Client()
    assert client.login(username=w.reviewer.username, password=PASSWORD)
    page = client.post(
        f"/documents/{doc.public_id}/sign/", {"slot": "reviewer", "password": PASSWORD}, follow=True
    ).content.decode()
    assert "应由不同人员签署" in page
    assert doc.signatures.filter(slot="reviewer").count() == 0
    if rulebook == f.R002:
        assert (body["code"], body.get("details")) == ("permission_denied", None)
        assert "依据：" not in page
        assert "应当：" not in page
        return
    assert body["code"] == "same_person"
    (detail,) = body["details"]
    article, quote = {
        f.R004: ("第三十一条", "由承办人提出意见和理由，经审核人审核后，由批准人批准。"),
        f.R001: (
            "第十五条",
            "内部审批文书应当记录行政执法人员的承办意见和理由、审核人的审核意见、批准人的批准意见，并分别载明签字日期。",
        ),
    }[rulebook]
    assert (detail["rule"], detail["article"], detail["source"], detail["quote"]) == (
        "dec.approval_chain",
        f"{rulebook}.txt {article}",
        f"{rulebook}.txt",
        quote,
    )
    assert detail["satisfy"] == "由未在本文书中签署过其他审批环节的人员签署该栏。"
    assert article in page
    assert quote in page
    assert "应当：由未在本文书中签署过其他审批环节的人员签署该栏。" in page
