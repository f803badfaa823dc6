"""The audio-visual and access rule kinds, judged on plain fact values: no database, no domain app
(see test_kinds_pure.py)."""

from __future__ import annotations

from dataclasses import replace

from quanlu.rulebooks.facts import Clip, CopyRelease, Exemption, Gap, Interruption, Mark, Released
from quanlu.rulebooks.judgement import DEADLINE_MAKERS, Status
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
