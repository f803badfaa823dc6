"""Judges of the rule kinds about audio-visual records (音像记录): recording a step
unless an exemption the regulation allows is recorded, advance notice of recording,
explained interruptions, the tie to the text record, the storage classification keys,
and storing each record in time (with the deadline that sets).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from quanlu.rulebooks.facts import Clip, Document, Facts, list_labels
from quanlu.rulebooks.judgement import DeadlineSpec, Outcome, evaluates, makes_deadlines
from quanlu.rulebooks.loader import Rule
from quanlu.rulebooks.terms import AV_ACTIVITIES, DEVICE_KINDS, WRITTEN_REASON_TYPE

AV_UPLOAD = "av_upload"


def _exempted(rule: Rule, facts: Facts, d: Document) -> tuple[bool, str]:
    """Whether a recorded exemption excuses this step under this rule, and why not."""
    policy = rule.params.get("exemption", "none")
    equivalent = bool(rule.params.get("equivalent_means"))
    why_not = ""
    for e in facts.exemptions_for(d, rule.params["activity"]):
        if e.kind == "equivalent_means":
            if equivalent:
                return True, f"已记录以其他方式记录该环节：{e.reason}"
            why_not = "该环节应当进行音像记录，不能以其他方式代替"
            continue
        if policy == "none":
            why_not = "该环节的音像记录不设「不适宜音像记录」的除外情形"
            continue
        if policy == "written_reason":
            written = facts.doc(e.written_reason_uid) if e.written_reason_uid else None
            if written is None or written.type.code != WRITTEN_REASON_TYPE:
                why_not = "不适宜音像记录的原因没有书面记录"
                continue
            if not written.complete:
                why_not = f"{written.label}尚未签署完毕"
                continue
            return True, f"不适宜音像记录，原因已书面记录（{written.label}）" + (
                f"：{e.reason}" if e.reason else ""
            )
        return True, "已记录不适宜音像记录" + (
            f"，原因：{e.reason}" if e.reason else "（规定未要求说明原因）"
        )
    return False, why_not


def _device_note(kinds: list[str] | None) -> str:
    if not kinds:
        return ""
    names = "、".join(DEVICE_KINDS[k] for k in kinds if k in DEVICE_KINDS)
    return f"（应由{names}记录）"


@dataclass(frozen=True)
class AvStep:
    """A step an ``av_required`` rule asks to be recorded, and how it stands: its
    recordings, or the recorded exemption that excuses it (``why``: which, or why not)."""

    document: Document
    clips: tuple[Clip, ...]
    exempted: bool
    why: str


def av_steps(rule: Rule, facts: Facts) -> list[AvStep]:
    """The steps (documents) the rule asks to be recorded in audio and video, each with
    its recordings or exemption — what its judge and the coverage statistics count."""
    p = rule.params
    kinds = p.get("device_kinds")
    out = []
    for d in facts.select_docs({"documents": p["documents"], "where": p.get("where")}):
        clips = tuple(facts.av_for(d, kinds))
        ok, why = (False, "") if clips else _exempted(rule, facts, d)
        out.append(AvStep(document=d, clips=clips, exempted=ok, why=why))
    return out


@evaluates("av_required")
def av_required(rule: Rule, facts: Facts, now: dt.datetime) -> Outcome:
    p = rule.params
    activity = AV_ACTIVITIES[p["activity"]]
    steps = av_steps(rule, facts)
    if not steps:
        return Outcome.not_applicable(
            f"本案没有需同步音像记录的{activity}（{facts.catalogue.titles(p['documents'])}）。"
        )
    kinds = p.get("device_kinds")
    lacking: list[str] = []
    subjects: list[str] = []
    covered: list[str] = []
    for step in steps:
        d = step.document
        if step.clips:
            covered.append(f"{d.label}有{len(step.clips)}条音像记录")
            continue
        if step.exempted:
            covered.append(f"{d.label}{step.why}")
            continue
        lacking.append(d.label + (f"（{step.why}）" if step.why else ""))
        subjects.append(d.uid)
    if lacking:
        policy = p.get("exemption", "none")
        satisfy = f"上传该{activity}环节的音像记录{_device_note(kinds)}，并关联到对应文书"
        if policy == "allowed":
            satisfy += "；确不适宜音像记录的，记录除外情形及原因"
        elif policy == "written_reason":
            satisfy += "；确不适宜音像记录的，制作并签署《不适宜音像记录原因说明》，再记录除外情形"
        if p.get("equivalent_means"):
            satisfy += "；或记录以其他方式记录该环节的情况"
        return Outcome.unmet(
            f"{activity}没有同步音像记录{_device_note(kinds)}：{'；'.join(lacking)}。",
            satisfy=satisfy + "。",
            subjects=tuple(subjects),
        )
    return Outcome.met("；".join(covered) + "。")


@evaluates("av_prior_notice")
def av_prior_notice(rule: Rule, facts: Facts, now: dt.datetime) -> Outcome:
    field = rule.params.get("field", "av_notice")
    recorded = [
        d
        for d in facts.select_docs({"documents": rule.params["documents"]})
        if not d.scan and facts.av_for(d)
    ]
    if not recorded:
        return Outcome.not_applicable("本案没有使用音像记录设备的询问、强制措施或处罚。")
    silent = [d for d in recorded if d.fields.get(field) is not True]
    if silent:
        return Outcome.unmet(
            f"{list_labels(silent)}有音像记录，但未记录事先告知对方使用音像记录设备。",
            satisfy="询问、采取强制措施或实施处罚前告知对方正在音像记录，并在文书中载明。",
            subjects=tuple(d.uid for d in silent),
        )
    return Outcome.met(f"{list_labels(recorded)}均已记录事先告知。")


@evaluates("av_gaps_explained")
def av_gaps_explained(rule: Rule, facts: Facts, now: dt.datetime) -> Outcome:
    minimum = int(rule.params.get("min_signers", 2))
    gaps = list(facts.gaps)
    written = [i for i in facts.interruptions if i.written]
    if not gaps and not written:
        return Outcome.not_applicable("本案音像记录没有中断。")
    unexplained = [g for g in gaps if not g.explained]
    short = [i for i in written if i.signers < minimum]
    problems = [f"「{g.activity_label}」{g.seconds}秒的中断没有说明原因" for g in unexplained[:5]]
    problems += [f"{i.reason_label}的书面说明只有{i.signers}名执法人员签字" for i in short]
    if problems:
        return Outcome.unmet(
            "；".join(problems) + "。",
            satisfy=f"重新开始记录时以语音说明中断原因；确实无法继续记录的，现场执法结束后书面说明，由{minimum}名以上执法人员签字。",
            subjects=tuple(g.uid for g in unexplained),
        )
    return Outcome.met(f"{len(gaps) + len(written)}处音像记录中断均已说明。")


@evaluates("av_linked")
def av_linked(rule: Rule, facts: Facts, now: dt.datetime) -> Outcome:
    clips = facts.media
    if not clips:
        return Outcome.not_applicable("本案尚无音像记录。")
    loose = [c for c in clips if facts.tied_to_text(c) is None]
    if loose:
        names = "、".join(c.name for c in loose[:5])
        return Outcome.unmet(
            f"{len(loose)}条音像记录未与文字记录衔接：{names}。",
            satisfy="在音像记录的「关联执法环节」中选择对应的文书（笔录等）。",
            subjects=tuple(c.uid for c in loose),
        )
    return Outcome.met(f"{len(clips)}条音像记录均与文字记录衔接。")


@evaluates("av_classified")
def av_classified(rule: Rule, facts: Facts, now: dt.datetime) -> Outcome:
    clips = facts.media
    if not clips:
        return Outcome.not_applicable("本案尚无音像记录。")
    problems: list[str] = []
    subjects: list[str] = []
    for c in clips:
        missing = [
            label
            for label, ok in (
                ("记录设备编号", bool(c.device_kind)),
                ("执法人员信息", c.has_officer),
                ("使用时间", c.captured_start is not None),
            )
            if not ok
        ]
        if missing:
            problems.append(f"{c.name}缺少{'、'.join(missing)}")
            subjects.append(c.uid)
    if not facts.case.has_party:
        problems.append("案件尚未登记当事人")
    if problems:
        return Outcome.unmet(
            "音像记录不能按分类项目存储：" + "；".join(problems[:6]) + "。",
            satisfy="上传时填写记录设备编号和执法人员，登记案件当事人。",
            subjects=tuple(subjects),
        )
    return Outcome.met(
        f"{len(clips)}条音像记录均可按名称、设备编号、执法人员、使用时间、当事人和案由分类存储。"
    )


@evaluates("av_upload_deadline")
def av_upload_deadline(rule: Rule, facts: Facts, now: dt.datetime) -> Outcome:
    clips = facts.media
    if not clips:
        return Outcome.not_applicable("本案尚无音像记录。")
    late = [c.name for c in clips if c.upload_overdue][:5]
    if late:
        return Outcome.unmet(
            f"{len(late)} 条音像记录逾期储存：{'、'.join(late)}。",
            "逾期无法补救；请在记录中说明原因，今后在记录完成后按期上传。",
        )
    return Outcome.met(f"{len(clips)} 条音像记录均按期储存。")


@makes_deadlines("av_upload_deadline", anchor="音像记录制作完成")
def av_upload_deadlines(rule: Rule, facts: Facts, now: dt.datetime) -> Iterator[DeadlineSpec]:
    """Each record's upload, due when its ingest computed (AV-09, or AV-10's after-return
    time) and met at its receipt: it shows in the case's deadlines, red when late."""
    for c in facts.media:
        if c.upload_due_at is None or c.captured_end is None:
            continue
        yield DeadlineSpec(
            kind=f"{AV_UPLOAD}:{c.hex}",
            title=f"音像记录上传：{c.name}"[:200],
            starts_at=c.captured_end,
            due_at=c.upload_due_at,
            met_at=c.received_at,
            anchor="音像记录制作完成",
        )
