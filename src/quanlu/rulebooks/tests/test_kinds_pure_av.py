"""The audio-visual and access rule kinds, judged on plain fact values: no database, no domain app
(see test_kinds_pure.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from quanlu.rulebooks.facts import Clip, CopyRelease, Exemption, Gap, Interruption, Mark, Released
from quanlu.rulebooks.judgement import DEADLINE_MAKERS, Status
from quanlu.rulebooks.loader import RulebookError, all_rulebooks, load_file
from quanlu.rulebooks.tests.purefacts import NOW, ago, case, doc, facts, judge, rule


def test_av_upload_deadline_met_unmet_and_not_applicable():
    r = rule("av_upload_deadline", within="24h")
    assert judge(r, facts()).status == Status.NOT_APPLICABLE
    clip = Clip(
        uid="0000-1",
        name="VID_1.mp4",
        received_at=ago(hours=1),
        captured_end=ago(hours=30),
        upload_due_at=ago(hours=6),
        upload_overdue=True,
    )
    outcome = judge(r, facts(media=(clip,)))
    assert (outcome.status, outcome.message) == (Status.UNMET, "1 条音像记录逾期储存：VID_1.mp4。")
    assert judge(r, facts(media=(replace(clip, upload_overdue=False),))).status == Status.MET
    [spec] = DEADLINE_MAKERS[r.kind](r, facts(media=(clip,)), NOW)
    assert (spec.kind, spec.due_at, spec.met_at) == ("av_upload:00001", ago(hours=6), ago(hours=1))


def test_av_required_met_unmet_and_not_applicable():
    r = rule(
        "av_required",
        activity="onsite_inspection",
        documents=["inspection_transcript"],
        exemption="written_reason",
        stage="decision",
    )
    assert judge(r, facts()).message == "本案没有需同步音像记录的现场检查（勘验）（《现场检查笔录》）。"
    step = doc(
        "d1",
        "inspection_transcript",
        fields={"started_at": "2025-03-09T09:00", "ended_at": "2025-03-09T10:00"},
    )
    outcome = judge(r, facts(documents=(step,)))
    assert outcome.message == "现场检查（勘验）没有同步音像记录：《现场检查笔录》。"
    assert outcome.subjects == ("d1",)
    assert "《不适宜音像记录原因说明》" in outcome.satisfy
    during = Clip(uid="m1", name="IMG.jpg", received_at=ago(hours=2), captured_start=step.window()[0])
    assert judge(r, facts(documents=(step,), media=(during,))).message == "《现场检查笔录》有1条音像记录。"
    exemption = Exemption(document_uid="d1", activity="onsite_inspection", kind="unsuitable", reason="涉密")
    unwritten = judge(r, facts(documents=(step,), exemptions=(exemption,)))
    assert unwritten.message.endswith("《现场检查笔录》（不适宜音像记录的原因没有书面记录）。")
    written = doc("w1", "av_exemption_reason")
    excused = facts(documents=(step, written), exemptions=(replace(exemption, written_reason_uid="w1"),))
    assert judge(r, excused).status == Status.MET


def test_av_prior_notice_met_unmet_and_not_applicable():
    r = rule("av_prior_notice", documents=["inspection_transcript"], stage="decision")
    step = doc("d1", "inspection_transcript")
    assert judge(r, facts(documents=(step,))).status == Status.NOT_APPLICABLE  # nothing recorded
    clip = Clip(uid="m1", name="IMG.jpg", received_at=ago(hours=2), linked=True, document_uid="d1")
    outcome = judge(r, facts(documents=(step,), media=(clip,)))
    assert outcome.message == "《现场检查笔录》有音像记录，但未记录事先告知对方使用音像记录设备。"
    assert outcome.subjects == ("d1",)
    told = replace(step, fields={"av_notice": True})
    assert judge(r, facts(documents=(told,), media=(clip,))).status == Status.MET


def test_av_gaps_explained_met_unmet_and_not_applicable():
    r = rule("av_gaps_explained", min_signers=2, stage="decision")
    assert judge(r, facts()).status == Status.NOT_APPLICABLE
    gap = Gap(uid="g1", activity_label="现场检查", seconds=300, explained=False)
    short = Interruption(reason_label="设备故障", written=True, signers=1)
    outcome = judge(r, facts(gaps=(gap,), interruptions=(short,)))
    assert outcome.message == "「现场检查」300秒的中断没有说明原因；设备故障的书面说明只有1名执法人员签字。"
    assert outcome.subjects == ("g1",)
    fine = facts(gaps=(replace(gap, explained=True),), interruptions=(replace(short, signers=2),))
    assert judge(r, fine).message == "2处音像记录中断均已说明。"


def test_av_linked_met_unmet_and_not_applicable():
    r = rule("av_linked", stage="archiving")
    assert judge(r, facts()).status == Status.NOT_APPLICABLE
    clip = Clip(uid="m1", name="IMG.jpg", received_at=ago(hours=2), captured_start=ago(hours=3))
    outcome = judge(r, facts(media=(clip,)))
    assert (outcome.message, outcome.subjects) == ("1条音像记录未与文字记录衔接：IMG.jpg。", ("m1",))
    step = doc(
        "d1",
        "inspection_transcript",
        fields={"started_at": ago(hours=4).isoformat(), "ended_at": ago(hours=2).isoformat()},
    )
    assert judge(r, facts(media=(clip,), documents=(step,))).status == Status.MET  # made during the step


def test_av_classified_met_unmet_and_not_applicable():
    r = rule("av_classified", stage="archiving")
    assert judge(r, facts()).status == Status.NOT_APPLICABLE
    clip = Clip(
        uid="m1", name="IMG.jpg", received_at=ago(hours=2), has_officer=True, captured_start=ago(hours=3)
    )
    outcome = judge(r, facts(media=(clip,)))
    assert outcome.message == "音像记录不能按分类项目存储：IMG.jpg缺少记录设备编号；案件尚未登记当事人。"
    assert outcome.subjects == ("m1",)
    ok = facts(media=(replace(clip, device_kind="camera"),), case=case(has_party=True))
    assert judge(r, ok).status == Status.MET


# ---------------------------------------------------------------- access


def test_copy_request_approval_met_unmet_and_not_applicable():
    r = rule("copy_request_approval", approver="none", handled_under="政府信息公开条例")
    assert judge(r, facts()).status == Status.NOT_APPLICABLE
    outcome = judge(r, facts(copies=(CopyRelease(request_uid="q1", approved=False),)))
    assert (outcome.message, outcome.subjects) == ("1 份复制件未经同意即提供。", ("q1",))
    assert judge(r, facts(copies=(CopyRelease(request_uid="q1", approved=True),))).status == Status.MET


def test_confidential_exclusion_met_and_unmet():
    # Not applicable is no outcome of this kind: nothing released is nothing leaked.
    r = rule("confidential_exclusion", categories=["trade_secret"])
    assert judge(r, facts()).status == Status.MET
    line = Released(item="document:7", at=ago(days=1))
    mark = Mark(item="document:7", category="trade_secret", at=ago(days=2))
    leaked = judge(r, facts(released=(line,), marks=(mark,)))
    assert (leaked.status, leaked.message) == (Status.UNMET, "1 项依法应保密的记录被复制提供。")
    lifted = replace(mark, lifted_at=ago(days=1, hours=1))
    assert judge(r, facts(released=(line,), marks=(lifted,))).status == Status.MET
    other = replace(mark, category="personal_privacy")
    assert judge(r, facts(released=(line,), marks=(other,))).status == Status.MET
    later = replace(mark, at=ago(hours=1))
    assert judge(r, facts(released=(line,), marks=(later,))).status == Status.MET


def test_confidentiality_managed_met_and_not_applicable():
    # Unmet is no outcome of this kind: the access services refuse what it forbids as they act.
    r = rule("confidentiality_managed")
    assert judge(r, facts()).status == Status.NOT_APPLICABLE
    mark = Mark(item="media:3", category="personal_privacy", at=ago(days=1))
    assert judge(r, facts(marks=(mark,))).message.startswith("本案 1 项涉密标注")
    assert judge(r, facts(marks=(replace(mark, lifted_at=ago(hours=1)),))).status == Status.NOT_APPLICABLE


# ---------------------------------------------------------------- every kind


# ---------------------------------------------------------------- no time limit (issue 18, item 3)


def test_no_time_limit_is_not_applicable_and_makes_no_deadline():
    r = rule("no_time_limit", subject="av_upload")
    late = Clip(uid="0000-1", name="VID_1.mp4", received_at=ago(hours=1), captured_end=ago(hours=90))
    outcome = judge(r, facts(media=(late,)))
    assert outcome.status == Status.NOT_APPLICABLE
    assert outcome.message == "本规定未对音像记录储存设定时限：不计期限，也不要求说明逾期原因。"
    assert r.kind not in DEADLINE_MAKERS


def test_each_regulation_sets_the_av_storage_time_or_says_it_sets_none():
    # The difference between the regulations is data: 002 says (第三十条) it sets none,
    # the four others set 24 hours, each citing its own article.
    found = {}
    for book_id, versions in all_rulebooks().items():
        book = versions[-1]
        limits = book.rules_of("av_upload_deadline") + [
            r for r in book.rules_of("no_time_limit") if r.params["subject"] == "av_upload"
        ]
        assert len(limits) == 1, book_id
        found[book_id[:3]] = (limits[0].kind, limits[0].citation.article)
    assert found == {
        "000": ("av_upload_deadline", "第二十六条第三款"),
        "001": ("av_upload_deadline", "第二十三条"),
        "002": ("no_time_limit", "第三十条"),
        "003": ("av_upload_deadline", "第二十八条第三款"),
        "004": ("av_upload_deadline", "第二十五条第三款"),
    }
    quote = all_rulebooks()["002_4fd6fddfbbebbad6"][-1].rule("av.upload_no_limit").citation.quote
    assert "文字和音像记录资料，形成相应案卷" in quote


def test_a_rulebook_cannot_both_set_and_deny_a_time_limit(tmp_path):
    path = tmp_path / "book.yaml"
    path.write_text(
        """id: t
title: 测试
issuer: 测试机关
source: 002_4fd6fddfbbebbad6.txt
rules:
  - id: a
    kind: no_time_limit
    params: {subject: av_upload}
    requirements: [AV-09]
    citation: {article: 第三十条, quote: 形成相应案卷}
  - id: b
    kind: av_upload_deadline
    params: {within: 24h}
    requirements: [AV-09]
    citation: {article: 第三十条, quote: 形成相应案卷}
""",
        encoding="utf-8",
    )
    with pytest.raises(RulebookError, match="no time limit for av_upload, but a av_upload_deadline rule"):
        load_file(path)
