"""责任追究: a named supervising body opens a liability case on a ground the agency's own
regulation lists, with persons and evidence; decides; closes; others see what the
regulation lets them, outsiders nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from quanlu import rulebooks as rulebooks_pkg
from quanlu.core.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied, Refused
from quanlu.ledger.models import Event
from quanlu.org.services import api_token_create
from quanlu.rulebooks.loader import all_rulebooks
from quanlu.supervision.liability import liability_case_get_for, liability_case_open, liability_case_record
from quanlu.supervision.models import LiabilityCase
from quanlu.testing import factories as f

REGULATIONS = Path(rulebooks_pkg.__file__).parent / "regulations"


def open_case(w, **kw):
    kw.setdefault("ground", "destroyed_altered")
    kw.setdefault("facts", "执法人员擅自删除现场检查视频。")
    return liability_case_open(actor=kw.pop("actor", w.superior_supervisor), agency=w.agency, **kw)


def test_each_liability_ground_is_the_articles_own_words():
    def plain(text):
        return re.sub(r"[\s，,；;。]", "", text)

    for versions in all_rulebooks().values():
        book = versions[-1]
        rules = book.rules_of("liability")
        if book.source.startswith("000"):
            assert rules == []  # 000 holds nobody liable
            continue
        (rule,) = rules
        source = REGULATIONS / book.source
        text = plain(source.read_text())
        assert plain(rule.citation.quote) in text
        for g in rule.params["grounds"]:
            assert plain(g["text"]) in text, (book.id, g)


def test_a_superior_supervisor_opens_decides_and_closes_with_persons_and_evidence(db):
    w = f.world(f.R001)
    case = w.open_case()
    event = Event.objects.filter(agency=w.agency).first()
    found = open_case(
        w,
        persons=[{"officer": str(w.officer.public_id), "role": "direct"}],
        evidence=[{"kind": "event", "ref": str(event.uid)}, {"kind": "case", "ref": case.number}],
    )
    assert found.article.endswith("第三十三条（四）")
    assert found.item_text == "擅自毁损、删除、修改文字记录和音像记录资料的"
    assert found.persons[0]["name"] == w.officer.full_name
    assert [e["label"].split(" ")[0] for e in found.evidence] == ["日志事件", "案件"]
    assert Event.objects.get(type="supervision:liability:opened").payload["liability_case"] == str(
        found.public_id
    )
    # The agency's head sees it; its handler and outsiders do not.
    assert liability_case_get_for(w.approver, found.public_id) == found
    for who in (w.officer, w.outsider):
        with pytest.raises(NotFound):
            liability_case_get_for(who, found.public_id)
    with pytest.raises(PermissionDenied):
        liability_case_record(actor=w.approver, case=found, kind="decision", text="自行结案")
    liability_case_record(
        actor=w.superior_supervisor, case=found, kind="decision", text="责令改正，建议给予处分。"
    )
    liability_case_record(actor=w.superior_supervisor, case=found, kind="closure", text="已整改，结案。")
    with pytest.raises(Conflict, match="已结案"):
        liability_case_record(actor=w.superior_supervisor, case=found, kind="decision", text="再处理")
    assert found.entries.count() == 2


def test_grounds_persons_and_evidence_are_checked_and_nothing_is_half_written(db):
    w = f.world(f.R002)
    with pytest.raises(Refused, match="所列情形为") as exc:
        open_case(w, ground="no_system")  # 002 第三十四条 lists no 未建立制度
    (finding,) = exc.value.findings
    assert (finding.article, finding.field, exc.value.status) == (f"{f.R002}.txt 第三十四条", "ground", 422)
    with pytest.raises(InvalidInput, match="工作人员"):
        open_case(w, persons=[{"officer": str(w.outsider.public_id), "role": "direct"}])
    with pytest.raises(InvalidInput, match="格式不正确"):
        open_case(w, evidence=[{"kind": "event", "ref": "不是标识"}])
    with pytest.raises(InvalidInput, match="不存在或不属于"):
        open_case(w, evidence=[{"kind": "case", "ref": "无此案号"}])
    with pytest.raises(InvalidInput, match="违法事实"):
        open_case(w, facts="  ")
    assert not LiabilityCase.objects.exists()
    assert not Event.objects.filter(type="supervision:liability:opened").exists()


def test_only_the_bodies_the_regulation_names_may_open(db):
    w = f.world(f.R000)
    with pytest.raises(DomainError) as exc:
        open_case(w, ground="not_recorded")
    assert exc.value.code == "no_liability_article"
    w = f.world(f.R001)
    with pytest.raises(Refused) as refused:  # 001 names the 上一级行政机关, not the justice bureau
        liability_case_open(
            actor=w.justice_supervisor, agency=w.superior, ground="leaked", facts="泄露视频。"
        )
    assert refused.value.findings[0].article.endswith("第三十三条")
    with pytest.raises(NotFound):
        open_case(w, actor=w.outsider)
    with pytest.raises(PermissionDenied):
        open_case(w, actor=w.approver)


def test_web_and_api_open_and_record_and_outsiders_get_404(db):
    w = f.world(f.R004)
    client = Client()
    client.force_login(w.superior_supervisor)
    page = client.get("/supervision/liability/").content.decode()
    assert "责任追究立案" in page
    assert "（三）故意毁损，随意删除、修改执法全过程中文字或音像记录信息的" in page
    resp = client.post(
        "/supervision/liability/",
        {
            "agency": str(w.agency.public_id),
            "ground": "destroyed_altered",
            "facts": "删除视频。",
            "cases": "",
        },
    )
    assert resp.status_code == 302, resp.content.decode()
    url = resp["Location"]
    assert client.post(url, {"kind": "closure", "text": "结案。"}).status_code == 302
    assert "已结案" in client.get(url).content.decode()
    client.force_login(w.outsider)
    assert client.get(url).status_code == 404
    assert "删除视频" not in client.get("/supervision/liability/").content.decode()

    def auth(officer):
        _, raw = api_token_create(actor=officer, officer=officer, label="t")
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}", "content_type": "application/json"}

    body = {"agency": str(w.agency.public_id), "ground": "leaked", "facts": "泄露。"}
    created = client.post("/api/v1/liability-cases", body, **auth(w.superior_supervisor))
    assert created.status_code == 201, created.content
    cid = created.json()["id"]
    assert client.get(f"/api/v1/liability-cases/{cid}", **auth(w.outsider)).status_code == 404
    assert client.post("/api/v1/liability-cases", body, **auth(w.outsider)).status_code == 404
    entry = client.post(
        f"/api/v1/liability-cases/{cid}/entries",
        {"kind": "decision", "text": "建议处分。"},
        **auth(w.superior_supervisor),
    )
    assert entry.status_code == 201
    assert entry.json()["entries"][0]["kind_label"] == "处理决定"
    assert len(client.get("/api/v1/liability-cases", **auth(w.approver)).json()) == 2
