"""Exemptions: records with reasons, ledgered, checked against the case's rulebook,
through the service, the API and the case page."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from quanlu.cases.models import Stage
from quanlu.core.errors import Conflict, InvalidInput, PermissionDenied, Refused
from quanlu.ledger.models import Event
from quanlu.media.models import Exemption
from quanlu.media.services import exemption_record
from quanlu.org.services import api_token_create
from quanlu.rulebooks.tests.walk import Walk
from quanlu.testing import factories as f


@pytest.fixture
def setup(db):
    w = f.world(f.R002)
    walk = Walk(w)
    walk.b.scans = True
    inspection = walk.b.scan("inspection_transcript")  # a paper transcript, scanned: quick
    return w, walk, inspection


def record(w, case, document, **kw):
    fields = {"kind": "unsuitable", "activity": "onsite_inspection", "reason": "涉及商业秘密。", **kw}
    return exemption_record(actor=w.officer, case=case, document=document, **fields)


def test_an_exemption_is_recorded_and_ledgered(setup):
    w, walk, inspection = setup
    e = record(w, walk.case, inspection)
    assert e.document_uid == inspection.public_id
    event = Event.objects.filter(case_uid=walk.case.public_id, type="rulebook:exemption:recorded").get()
    assert event.payload["reason"] == "涉及商业秘密。"
    assert event.payload["rules"] == ["av.onsite_inspection"]


def test_no_reason_is_demanded_where_the_text_asks_none(setup):
    # 002 第十一条 "不适宜音像记录的除外" asks no reason (004 第十四条 asks it in writing:
    # test_differences); only the means used instead must be said.
    w, walk, inspection = setup
    e = record(w, walk.case, inspection, reason="")
    assert e.reason == ""
    event = Event.objects.get(case_uid=walk.case.public_id, type="rulebook:exemption:recorded")
    assert event.payload["reason"] == ""


def test_the_same_submission_twice_records_one_exemption(setup):
    w, walk, inspection = setup
    token = uuid.uuid4()
    first = record(w, walk.case, inspection, client_token=token)
    assert record(w, walk.case, inspection, client_token=token).pk == first.pk
    assert Exemption.objects.count() == 1
    with pytest.raises(Conflict, match="提交标识"):
        exemption_record(
            actor=w.officer2,
            case=walk.case,
            document=inspection,
            kind="unsuitable",
            activity="onsite_inspection",
            reason="x",
            client_token=token,
        )


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"reason": "x" * 2001}, InvalidInput, "不能超过2000个字"),
        ({"kind": "whim"}, InvalidInput, "除外情形"),
        ({"activity": "dancing"}, InvalidInput, "执法环节"),
        ({"activity": "hearing"}, Conflict, "无需记录除外情形"),
        ({"document": "not-a-uuid"}, InvalidInput, "格式不正确"),
        ({"document": str(uuid.uuid4())}, InvalidInput, "应为本案的文书"),
        ({"written_reason": str(uuid.uuid4())}, InvalidInput, "不适宜音像记录原因说明"),
    ],
)
def test_bad_input_is_refused_in_chinese_and_nothing_is_written(setup, change, error, message):
    w, walk, inspection = setup
    before = Event.objects.count()
    with pytest.raises(error, match=message):
        record(w, walk.case, change.pop("document", inspection), **change)
    assert not Exemption.objects.exists()
    assert Event.objects.count() == before


def test_a_document_of_another_case_is_refused(setup):
    w, _, inspection = setup
    other = Walk(w)
    with pytest.raises(InvalidInput, match="应为本案的文书"):
        record(w, other.case, inspection)


def test_a_step_whose_recording_has_no_exemption_clause_is_refused_citing_it(setup):
    w, walk, _ = setup
    restore = walk.make("enforcement_mode_decision", mode="remove_obstruction_restore_original_state")
    with pytest.raises(Refused) as exc:
        record(w, walk.case, restore, activity="restore_original_state")
    assert exc.value.findings[0].article == "002_4fd6fddfbbebbad6.txt 第二十八条"


@pytest.mark.parametrize(
    "persona", ["outsider", "superior_supervisor", "justice_supervisor", "archivist", "keeper"]
)
def test_others_may_not_record_exemptions(setup, persona):
    w, walk, inspection = setup
    with pytest.raises(PermissionDenied):
        exemption_record(
            actor=getattr(w, persona),
            case=walk.case,
            document=inspection,
            kind="unsuitable",
            activity="onsite_inspection",
            reason="x",
        )


# Closing through the services means walking the case to a sealed dossier: too slow for this check.
@pytest.mark.tampers
def test_a_closed_case_takes_no_exemption(setup):
    w, walk, inspection = setup
    from quanlu.cases.models import Case

    Case.objects.filter(pk=walk.case.pk).update(stage=Stage.CLOSED)
    with pytest.raises(Conflict, match="已结案"):
        record(w, walk.case, inspection)


# ---------------------------------------------------------------- API


def bearer(officer):
    _, raw = api_token_create(actor=officer, officer=officer, label="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_exemptions_over_the_api(setup):
    w, walk, inspection = setup
    client = Client()
    url = f"/api/v1/cases/{walk.case.public_id}/exemptions"
    body = {
        "kind": "unsuitable",
        "activity": "onsite_inspection",
        "document": str(inspection.public_id),
        "reason": "涉及商业秘密。",
    }
    created = client.post(url, body, content_type="application/json", **bearer(w.officer))
    assert created.status_code == 201
    assert created.json()["activity_label"] == "现场检查（勘验）"
    listed = client.get(url, **bearer(w.superior_supervisor)).json()
    assert [e["id"] for e in listed] == [created.json()["id"]]
    refused = client.post(
        url, {**body, "activity": "hearing"}, content_type="application/json", **bearer(w.officer)
    )
    assert refused.status_code == 409
    assert "无需记录除外情形" in refused.json()["message"]
    bad = client.post(
        url, {**body, "reason": "x" * 2001}, content_type="application/json", **bearer(w.officer)
    )
    assert bad.status_code == 422
    denied = client.post(url, body, content_type="application/json", **bearer(w.superior_supervisor))
    assert denied.status_code == 403
    assert client.get(url, **bearer(w.outsider)).status_code == 404
    assert client.post(url, body, content_type="application/json", **bearer(w.outsider)).status_code == 404
    assert client.get(url).status_code == 401


def test_a_rulebook_with_its_rules_and_citations_over_the_api(setup):
    w, _, _ = setup
    body = Client().get(f"/api/v1/rulebooks/{f.R004}", **bearer(w.officer)).json()
    rule = next(r for r in body["rules"] if r["id"] == "av.onsite_inspection")
    assert rule["article"] == "第十四条"
    assert rule["params"]["exemption"] == "written_reason"
    assert Client().get("/api/v1/rulebooks/nope", **bearer(w.officer)).status_code == 404


# ---------------------------------------------------------------- case page


def test_the_case_page_records_an_exemption_and_shows_it(setup):
    w, walk, inspection = setup
    client = Client()
    client.force_login(w.officer)
    page = client.get(f"/cases/{walk.case.public_id}/").content.decode()
    assert "音像记录除外情形" in page
    assert "<summary>记录除外情形" in page
    response = client.post(
        f"/cases/{walk.case.public_id}/exemptions/",
        {
            "kind": "unsuitable",
            "activity": "onsite_inspection",
            "document": str(inspection.public_id),
            "reason": "涉及商业秘密的生产区域。",
        },
        follow=True,
    )
    text = response.content.decode()
    assert "已记录音像记录除外情形" in text
    assert "涉及商业秘密的生产区域。" in text
    assert Exemption.objects.filter(case=walk.case).count() == 1


def test_the_case_page_shows_a_refused_exemption_with_its_article(setup):
    w, walk, _ = setup
    restore = walk.make("enforcement_mode_decision", mode="remove_obstruction_restore_original_state")
    client = Client()
    client.force_login(w.officer)
    text = client.post(
        f"/cases/{walk.case.public_id}/exemptions/",
        {
            "kind": "unsuitable",
            "activity": "restore_original_state",
            "document": str(restore.public_id),
            "reason": "x",
        },
        follow=True,
    ).content.decode()
    assert "规定没有「不适宜音像记录的除外」" in text
    assert "第二十八条" in text
    assert not Exemption.objects.exists()


def test_the_exemption_form_is_for_the_agency_only(setup):
    w, walk, inspection = setup
    url = f"/cases/{walk.case.public_id}/exemptions/"
    data = {
        "kind": "unsuitable",
        "activity": "onsite_inspection",
        "document": str(inspection.public_id),
        "reason": "x",
    }
    client = Client()
    client.force_login(w.outsider)
    assert client.post(url, data).status_code == 404
    client.force_login(w.superior_supervisor)
    assert client.post(url, data).status_code == 403
    page = client.get(f"/cases/{walk.case.public_id}/").content.decode()
    assert "音像记录除外情形" in page
    assert "<summary>记录除外情形" not in page
    anonymous = Client()
    assert anonymous.post(url, data).status_code == 302
    assert not Exemption.objects.exists()
