"""Judges of the rule kinds about cases, approvals and deadlines.

Each is small and pure: given a rule, the case's facts and the time, say met / unmet
/ not applicable, in Chinese, with what would satisfy it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator

from django.utils import timezone

from quanlu.rulebooks.facts import Facts
from quanlu.rulebooks.judgement import DeadlineSpec, Outcome, deadline_outcome, evaluates, makes_deadlines
from quanlu.rulebooks.loader import Rule, parse_duration
from quanlu.rulebooks.terms import (
    APPLICATION_EVENTS,
    CASE_FIELDS,
    GATES,
    NO_LIMIT_SUBJECTS,
    SIMPLIFIED_MOVES,
    STAGES,
)

SUPPLEMENTARY_APPROVAL = "supplementary_approval"
ARCHIVE = "archive"


@evaluates("approval_required")
def approval_required(rule: Rule, facts: Facts, now: dt.datetime) -> Outcome:
    gate = rule.params["gate"]
    label = GATES[gate]
    approvals = [a for a in facts.approvals if a.gate == gate]
    if any(a.status == "granted" for a in approvals):
        return Outcome.met(f"{label}已批准。")
    deferred = facts.case.emergency and rule.params["stage"] == "investigation"
    if deferred and facts.moving_to == "investigation":
        return Outcome.met("情况紧急，先行启动；审批须事后补报。")
    pending = any(a.status == "pending" for a in approvals)
    message = f"尚未取得{label}的批准。" + ("（审批中）" if pending else "")
    if deferred:
        message = f"情况紧急先行启动，{label}尚未补报批准。"
    return Outcome.unmet(
        message, satisfy=f"提请{label}，经审核、批准后方可进入「{STAGES[rule.params['stage']]}」。"
    )


@evaluates("approval_chain")
def approval_chain(rule: Rule, facts: Facts, now: dt.datetime) -> Outcome:
    # The order and the three signers are enforced as each step is signed
    # (cases.services.approvals refuses a step out of turn citing this rule): a granted
    # approval went through them.
    label = GATES[rule.params["gate"]]
    if any(a.gate == rule.params["gate"] and a.status == "granted" for a in facts.approvals):
        return Outcome.met(f"{label}已依次经承办人、审核人、批准人签署。")
    return Outcome.not_applicable(f"尚无已批准的{label}；各环节签署时依次检查。")


@evaluates("legal_review_required")
def legal_review_required(rule: Rule, facts: Facts, now: dt.datetime) -> Outcome:
    gate = rule.params["gate"]
    label = GATES[gate]
    approvals = [a for a in facts.approvals if a.gate == gate and a.status != "rejected"]
    if not approvals:
        return Outcome.not_applicable(f"尚未提请{label}。")
    if any("legal_review" not in a.chain for a in approvals):
        return Outcome.unmet(f"{label}未经法制审核。", satisfy="重新提请审批，由法制审核人员审核后再批准。")
    return Outcome.met(f"{label}包含法制审核环节。")


def _supplementary_spec(rule: Rule, facts: Facts) -> DeadlineSpec | None:
    case = facts.case
    if not case.emergency:
        return None
    gate = rule.params.get("gate", "initiation")
    granted = sorted(
        (a.decided_at for a in facts.approvals if a.gate == gate and a.status == "granted" and a.decided_at),
    )
    return DeadlineSpec(
        kind=SUPPLEMENTARY_APPROVAL,
        title="补报立案（程序启动）审批",
        starts_at=case.started_at,
        due_at=case.started_at + parse_duration(rule.params["within"]),
        met_at=granted[0] if granted else None,
        anchor="行政执法程序启动（情况紧急先行启动）",
    )


@makes_deadlines("supplementary_approval_deadline", anchor="行政执法程序启动（情况紧急先行启动）")
def supplementary_deadlines(rule: Rule, facts: Facts, now: dt.datetime) -> Iterator[DeadlineSpec]:
    spec = _supplementary_spec(rule, facts)
    if spec is not None:
        yield spec


@evaluates("supplementary_approval_deadline")
def supplementary_deadline(rule: Rule, facts: Facts, now: dt.datetime) -> Outcome:
    spec = _supplementary_spec(rule, facts)
    if spec is None:
        return Outcome.not_applicable("本案未先行启动。")
    return deadline_outcome(spec, now, satisfy="立即补报立案（程序启动）审批。")


def _archive_spec(rule: Rule, facts: Facts) -> DeadlineSpec | None:
    """30 days (as the rulebook says) from the day the enforcement act ended, as
    recorded. Until that day is recorded, the move into 归档管理 stands for it: the act
    had ended by then at the latest, so the deadline is never later than the text's."""
    case = facts.case
    if case.act_ended_on is not None:
        # 之日起: the period begins the next day and ends with the last day of it.
        starts_at = timezone.make_aware(dt.datetime.combine(case.act_ended_on, dt.time()))
        due_at = starts_at + dt.timedelta(days=1) + parse_duration(rule.params["within"])
        anchor = f"执法行为终结之日（{case.act_ended_on:%Y-%m-%d}）"
    elif case.archiving_entered_at is not None:
        starts_at = case.archiving_entered_at
        due_at = starts_at + parse_duration(rule.params["within"])
        anchor = "转入归档管理（未记录执法行为终结日期）"
    else:
        return None
    # Met when the dossier is sealed (归档) by the archivist, not when the case is closed.
    return DeadlineSpec(
        kind=ARCHIVE,
        title="立卷归档",
        starts_at=starts_at,
        due_at=due_at,
        met_at=facts.archived_at,
        anchor=anchor,
    )


@makes_deadlines("archive_deadline", anchor="行政执法行为终结之日")
def archive_deadlines(rule: Rule, facts: Facts, now: dt.datetime) -> Iterator[DeadlineSpec]:
    spec = _archive_spec(rule, facts)
    if spec is not None:
        yield spec


@evaluates("archive_deadline")
def archive_deadline(rule: Rule, facts: Facts, now: dt.datetime) -> Outcome:
    spec = _archive_spec(rule, facts)
    if spec is None:
        return Outcome.not_applicable("执法行为尚未终结（未记录终结日期）。")
    outcome = deadline_outcome(spec, now, satisfy="将文字和音像记录形成案卷并归档。")
    return dataclasses.replace(outcome, message=f"自{spec.anchor}起算：{outcome.message}")


@evaluates("no_time_limit")
def no_time_limit(rule: Rule, facts: Facts, now: dt.datetime) -> Outcome:
    label = NO_LIMIT_SUBJECTS[rule.params["subject"]][1]
    return Outcome.not_applicable(f"本规定未对{label}设定时限：不计期限，也不要求说明逾期原因。")


@evaluates("case_fields_required")
def case_fields_required(rule: Rule, facts: Facts, now: dt.datetime) -> Outcome:
    empty = [f for f in rule.params["fields"] if not str(facts.case.fields.get(f, "") or "").strip()]
    if empty:
        labels = "、".join(CASE_FIELDS[f] for f in empty)
        return Outcome.unmet(f"案件未记录：{labels}。", satisfy=f"补充记录{labels}。")
    return Outcome.met("已记录。")


@evaluates("complaint_decline_notice")
def complaint_decline_notice(rule: Rule, facts: Facts, now: dt.datetime) -> Outcome:
    # Enforced when a named complaint is declined (cases.services.complaint_decline);
    # a case exists only for complaints that were taken up.
    return Outcome.not_applicable("适用于经审查不启动执法程序的实名投诉、举报，在作出该决定时检查。")


@evaluates("rules_filing")
def rules_filing(rule: Rule, facts: Facts, now: dt.datetime) -> Outcome:
    # Filing is the agency's, once per version of its rules (quanlu.supervision.filing).
    return Outcome.not_applicable("记录制度由机关报本级司法行政部门备案（执法监督 · 制度备案），不逐案判断。")


@evaluates("liability")
def liability(rule: Rule, facts: Facts, now: dt.datetime) -> Outcome:
    # Liability is decided by the supervising body about people (quanlu.supervision.liability).
    return Outcome.not_applicable("责任追究由监督机关立案处理（执法监督 · 责任追究），不逐案判断。")


@evaluates("rectification_order")
def rectification_order(rule: Rule, facts: Facts, now: dt.datetime) -> Outcome:
    # Orders are addressed to the agency, not a case (quanlu.supervision); the rule
    # only says who may issue them and whether they carry a time limit.
    return Outcome.not_applicable("责令整改由监督机关向机关下达（执法监督 · 整改通知），不逐案判断。")


@evaluates("complaint_recorded")
def complaint_recorded(rule: Rule, facts: Facts, now: dt.datetime) -> Outcome:
    complaint = facts.complaint
    if complaint is None:
        return Outcome.unmet(
            "本案由投诉、举报启动，但没有关联的投诉举报记录。",
            satisfy="通过「投诉举报」登记后启动执法程序，使案件与投诉举报记录关联。",
        )
    missing = []
    if complaint.named and not complaint.complainant_name:
        missing.append("投诉人、举报人基本情况")
    if not complaint.content:
        missing.append("投诉、举报的内容")
    if missing:
        return Outcome.unmet(f"投诉举报记录缺少：{'、'.join(missing)}。", satisfy="补充投诉举报记录。")
    return Outcome.met(
        f"已记录投诉举报（{complaint.channel}，{timezone.localtime(complaint.received_at):%Y-%m-%d}），"
        f"记录人{complaint.recorder_name}，处理情况：{complaint.status_label}。"
    )


@evaluates("application_recorded")
def application_recorded(rule: Rule, facts: Facts, now: dt.datetime) -> Outcome:
    p = rule.params
    kinds = list(facts.application_events)
    missing = [g for g in p.get("events", []) if not set(g) & set(kinds)]
    if missing:
        names = "；".join("或".join(APPLICATION_EVENTS[k] for k in g) for g in missing)
        return Outcome.unmet(
            f"申请办理情况未记录：{names}。",
            satisfy="在案件页「申请办理记录」中记录申请登记（或口头申请）及受理（或不予受理）情况。",
        )
    notices = kinds.count("supplement_notice")
    if p.get("single_supplement_notice") and notices > 1:
        return Outcome.unmet(
            f"需补正的内容分{notices}次告知，未一次性告知。",
            satisfy="需补正的全部内容应在一次告知中列明。",
        )
    return Outcome.met(f"已记录申请办理情况（{len(kinds)}项）。")


@evaluates("simplified_path")
def simplified_path(rule: Rule, facts: Facts, now: dt.datetime) -> Outcome:
    # The path itself is the workflow's (cases.services.transitions_for); this says so.
    if facts.case.procedure != "simplified":
        return Outcome.not_applicable("本案适用一般程序。")
    moves = "；".join(SIMPLIFIED_MOVES[m] for m in rule.params["moves"])
    return Outcome.met(f"简易程序：{moves}。")
