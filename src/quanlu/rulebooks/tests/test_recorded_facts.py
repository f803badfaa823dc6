"""Facts the texts ask recorded, both ways (pure: no database): audio and video used
as evidence archived on a labelled disc (001 第二十八条), the mobile enforcement system
in an inspection (000 第四条第二款), the legal office's written review whenever it
reviews (003 第十五条), the simplified procedure's own path (简易程序) — and the
regulations that do not ask them."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from quanlu.rulebooks.evaluator import Status, judge
from quanlu.rulebooks.facts import Approval, CaseFacts, Clip, Document, Facts
from quanlu.rulebooks.loader import RulebookError, get_rulebook, load_file
from quanlu.rulebooks.providers import catalogue

R000, R001, R002, R003, R004 = (
    "000_9c8bbcda03c04eb4",
    "001_985a08834cda7543",
    "002_4fd6fddfbbebbad6",
    "003_b6123a0950a37ec2",
    "004_b4c2f06b7eb1ab1e",
)
NOW = dt.datetime(2025, 6, 1, 4, 0, tzinfo=dt.UTC)
LABEL = {
    "subject": "现场检查",
    "recorded_on": "2025-05-20",
    "place": "某矿区",
    "method": "录像",
    "officers": "张三、李四",
}


def doc(code: str, uid: str = "d1", **fields) -> Document:
    kind = catalogue().types[code]
    return Document(uid=uid, type=kind, title=kind.title, created_at=NOW, fields=fields)


def facts(book: str, *, kind: str = "penalty", **kw) -> Facts:
    case = CaseFacts(
        uid="c",
        rulebook_id=book,
        started_at=NOW - dt.timedelta(days=30),
        kind=kind,
        stage="archiving",
        entered=frozenset({"initiation", "investigation", "decision", "service", "archiving"}),
    )
    return Facts(case=case, catalogue=catalogue(), **kw)


def video(name: str = "现场录像1", media_kind: str = "video", document_uid: str = "d1") -> Clip:
    return Clip(uid=f"m-{name}", name=name, received_at=NOW, media_kind=media_kind, document_uid=document_uid)


def only_rule(book: str, kind: str):
    [rule] = get_rulebook(book).rules_of(kind)
    return rule


# ---------------------------------------------------------------- 001 第二十八条: the disc and its label


def test_av_disc_archived_001_asks_evidence_recordings_on_a_labelled_disc():
    rule = only_rule(R001, "av_disc_archived")
    transcript = doc("inspection_transcript")
    bare = facts(R001, documents=(transcript,), media=(video(),))
    outcome = judge(rule, bare, NOW)
    assert outcome.status == Status.UNMET
    assert "未制作光盘归档" in outcome.message
    assert "type:av_disc_label" in outcome.subjects
    finding = rule.finding(outcome.message)
    assert finding.article == f"{R001}.txt 第二十八条"
    assert (
        finding.quote
        == "作为证据使用的录音、录像，应当制作光盘归档保存，并注明记录的事项、时间、地点、方式和行政执法人员等信息。"
    )
    assert rule.params["stage"] == "closed"


def test_av_disc_archived_each_label_row_names_what_when_where_how_and_who():
    rule = only_rule(R001, "av_disc_archived")
    transcript = doc("inspection_transcript")
    no_place = doc("av_disc_label", uid="l1", items=[{"name": "现场录像1", **LABEL, "place": ""}])
    outcome = judge(rule, facts(R001, documents=(transcript, no_place), media=(video(),)), NOW)
    assert outcome.status == Status.UNMET
    assert "第1条未注明「地点」" in outcome.message
    other = doc("av_disc_label", uid="l1", items=[{"name": "别的录像", **LABEL}])
    outcome = judge(rule, facts(R001, documents=(transcript, other), media=(video(),)), NOW)
    assert outcome.status == Status.UNMET
    assert "光盘标签未列明）：现场录像1" in outcome.message
    full = doc("av_disc_label", uid="l1", items=[{"name": "现场录像1", **LABEL}])
    assert judge(rule, facts(R001, documents=(transcript, full), media=(video(),)), NOW).status == Status.MET


def test_av_disc_archived_photos_and_recordings_not_used_as_evidence_need_no_disc():
    rule = only_rule(R001, "av_disc_archived")
    transcript = doc("inspection_transcript")
    photo = facts(R001, documents=(transcript,), media=(video(media_kind="photo"),))
    assert judge(rule, photo, NOW).status == Status.NOT_APPLICABLE
    untied = facts(R001, documents=(transcript,), media=(video(document_uid=""),))
    assert judge(rule, untied, NOW).status == Status.NOT_APPLICABLE


def test_the_other_regulations_ask_no_disc():
    for book in (R000, R002, R003, R004):
        assert get_rulebook(book).rules_of("av_disc_archived") == []
        assert not any("光盘" in r.citation.quote for r in get_rulebook(book).rules)


# ---------------------------------------------------------------- 000 第四条第二款: the mobile system


def test_document_fact_recorded_000_asks_an_inspection_to_record_the_mobile_enforcement_system():
    rule = only_rule(R000, "document_fact_recorded")
    silent = facts(R000, kind="inspection", documents=(doc("inspection_transcript"),))
    outcome = judge(rule, silent, NOW)
    assert outcome.status == Status.UNMET
    assert "未记录「运用移动执法系统」" in outcome.message
    finding = rule.finding(outcome.message)
    assert finding.article == f"{R000}.txt 第四条第二款"
    assert "应运用移动执法系统" in finding.quote
    used = facts(R000, kind="inspection", documents=(doc("inspection_transcript", mobile_system_used=True),))
    assert judge(rule, used, NOW).status == Status.MET
    # 第四条第二款 is about inspections (行政检查): a penalty case is not judged by it.
    penalty = facts(R000, kind="penalty", documents=(doc("inspection_transcript"),))
    assert judge(rule, penalty, NOW).status == Status.NOT_APPLICABLE


def test_the_other_regulations_do_not_ask_the_mobile_system():
    for book in (R001, R002, R003, R004):
        assert get_rulebook(book).rules_of("document_fact_recorded") == []
        assert not any("移动执法系统" in r.citation.quote for r in get_rulebook(book).rules)


# ---------------------------------------------------------------- 003 第十五条: the legal office's record


LEGAL_CHAIN = Approval(gate="decision", status="granted", chain=("review", "legal_review", "approve"))


def test_legal_review_recorded_003_asks_the_review_record_whenever_the_legal_office_reviews_major_or_not():
    rule = only_rule(R003, "legal_review_recorded")
    reviewed = facts(R003, approvals=(LEGAL_CHAIN,))
    assert not reviewed.case.is_major
    outcome = judge(rule, reviewed, NOW)
    assert outcome.status == Status.UNMET
    assert "法制机构已审查" in outcome.message
    finding = rule.finding(outcome.message)
    assert finding.article == f"{R003}.txt 第十五条"
    assert finding.quote == "法制机构审查文字记录应载明审查人员、审查意见和建议。"
    thin = doc("legal_review", reviewers=[{"officer": "o1"}], opinion="agree", suggestions="")
    outcome = judge(rule, facts(R003, approvals=(LEGAL_CHAIN,), documents=(thin,)), NOW)
    assert outcome.status == Status.UNMET
    assert "未载明「审查意见和建议」" in outcome.message
    full = doc("legal_review", reviewers=[{"officer": "o1"}], opinion="agree", suggestions="同意。")
    assert judge(rule, facts(R003, approvals=(LEGAL_CHAIN,), documents=(full,)), NOW).status == Status.MET
    no_legal = Approval(gate="decision", status="granted", chain=("review", "approve"))
    assert judge(rule, facts(R003, approvals=(no_legal,)), NOW).status == Status.NOT_APPLICABLE


def test_001_asks_the_legal_review_record_only_as_its_own_articles_say():
    assert get_rulebook(R001).rules_of("legal_review_recorded") == []
    reviewed = facts(R001, approvals=(LEGAL_CHAIN,))
    for rule in get_rulebook(R001).rules:
        if "legal_review" in (rule.params.get("documents") or []):
            assert judge(rule, reviewed, NOW).status != Status.UNMET, rule.id


# ---------------------------------------------------------------- 简易程序: the simplified path


def simplified(book: str, procedure: str = "simplified") -> Facts:
    case = CaseFacts(
        uid="c",
        rulebook_id=book,
        started_at=NOW - dt.timedelta(days=1),
        procedure=procedure,
        stage="service",
        entered=frozenset({"initiation", "service"}),
    )
    return Facts(case=case, catalogue=catalogue(), moving_to="archiving")


def test_simplified_path_spares_a_simplified_case_the_general_procedures_records():
    for book, article in ((R000, "第十七条"), (R002, "第二十条"), (R003, "第十八条"), (R004, "第十九条")):
        [path] = get_rulebook(book).rules_of("simplified_path")
        assert path.citation.article == article
        assert "适用简易程序的" in path.citation.quote
        assert path.params["moves"] == ["initiation->service", "service->archiving"]
        assert judge(path, simplified(book), NOW).status == Status.MET
        assert judge(path, simplified(book, "general"), NOW).status == Status.NOT_APPLICABLE
        for rule_id in path.params["general_only"]:
            rule = get_rulebook(book).rule(rule_id)
            spared = judge(rule, simplified(book), NOW)
            assert spared.status == Status.NOT_APPLICABLE, (book, rule_id)
            assert "简易程序" in spared.message
            assert judge(rule, simplified(book, "general"), NOW).status == Status.UNMET, (book, rule_id)


def test_simplified_path_asks_the_decision_handed_over_on_the_spot_recorded():
    for book in (R000, R002, R003, R004):
        rule = get_rulebook(book).rule("simp.served_on_spot")
        assert "实施简易程序的" in rule.citation.quote
        record = doc("simplified_procedure_record", served_at="")
        facts_ = dataclasses.replace(simplified(book), documents=(record,))
        outcome = judge(rule, facts_, NOW)
        assert outcome.status == Status.UNMET, book
        assert "当场交付决定书时间" in outcome.message
        served = doc("simplified_procedure_record", served_at="2025-05-31T10:00:00+08:00")
        assert judge(rule, dataclasses.replace(facts_, documents=(served,)), NOW).status == Status.MET
        general = dataclasses.replace(simplified(book, "general"), documents=(record,))
        assert judge(rule, general, NOW).status == Status.NOT_APPLICABLE


def test_simplified_path_is_absent_where_the_regulation_does_not_set_it_apart():
    book = get_rulebook(R001)
    assert book.rules_of("simplified_path") == []
    receipt = [r for r in book.rules if "service_receipt" in (r.params.get("documents") or [])]
    for rule in receipt:
        if rule.kind == "documents_required":
            assert judge(rule, simplified(R001), NOW).status == Status.UNMET, rule.id


def test_simplified_path_naming_no_rule_is_refused_at_load(tmp_path):
    source = get_rulebook(R003).path
    text = source.read_text(encoding="utf-8").replace(
        "general_only: [srv.service_recorded, enf.performance_record]",
        "general_only: [srv.service_recorded, enf.no_such_rule]",
    )
    bad = tmp_path / source.name
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(RulebookError, match=r"general_only names no rule enf\.no_such_rule"):
        load_file(bad)
