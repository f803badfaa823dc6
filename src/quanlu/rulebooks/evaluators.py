"""Evaluators of the rule kinds about cases, approvals and deadlines.

Each is small: given a rule and the case context, say met / unmet / not
applicable, in Chinese, with what would satisfy it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.utils import timezone

from quanlu.cases.models import ApprovalGate, ApprovalStatus, Case, Stage, StepRole
from quanlu.rulebooks.evaluator import Context, DeadlineSpec, Outcome, evaluates, makes_deadlines
from quanlu.rulebooks.loader import Rule, parse_duration

SUPPLEMENTARY_APPROVAL = "supplementary_approval"
ARCHIVE = "archive"


def _fmt(moment: object) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")  # type: ignore[arg-type]


@evaluates("approval_required")
def approval_required(rule: Rule, ctx: Context) -> Outcome:
    gate = rule.params["gate"]
    label = ApprovalGate(gate).label
    case = ctx.case
    if case.approvals.filter(gate=gate, status=ApprovalStatus.GRANTED).exists():
        return Outcome.met(f"{label}已批准。")
    deferred = case.emergency and rule.params["stage"] == Stage.INVESTIGATION
    if deferred and ctx.to_stage == Stage.INVESTIGATION:
        return Outcome.met("情况紧急，先行启动；审批须事后补报。")
    pending = case.approvals.filter(gate=gate, status=ApprovalStatus.PENDING).exists()
    message = f"尚未取得{label}的批准。" + ("（审批中）" if pending else "")
    if deferred:
        message = f"情况紧急先行启动，{label}尚未补报批准。"
    return Outcome.unmet(
        message, satisfy=f"提请{label}，经审核、批准后方可进入「{Stage(rule.params['stage']).label}」。"
    )


@evaluates("legal_review_required")
def legal_review_required(rule: Rule, ctx: Context) -> Outcome:
    gate = rule.params["gate"]
    label = ApprovalGate(gate).label
    approvals = list(ctx.case.approvals.filter(gate=gate).exclude(status=ApprovalStatus.REJECTED))
    if not approvals:
        return Outcome.not_applicable(f"尚未提请{label}。")
    missing = [a for a in approvals if StepRole.LEGAL_REVIEW not in a.chain]
    if missing:
        return Outcome.unmet(f"{label}未经法制审核。", satisfy="重新提请审批，由法制审核人员审核后再批准。")
    return Outcome.met(f"{label}包含法制审核环节。")


def _supplementary_spec(rule: Rule, ctx: Context) -> DeadlineSpec | None:
    case = ctx.case
    if not case.emergency:
        return None
    gate = rule.params.get("gate", ApprovalGate.INITIATION)
    granted = case.approvals.filter(gate=gate, status=ApprovalStatus.GRANTED).order_by("decided_at").first()
    return DeadlineSpec(
        kind=SUPPLEMENTARY_APPROVAL,
        title="补报立案（程序启动）审批",
        starts_at=case.started_at,
        due_at=case.started_at + parse_duration(rule.params["within"]),
        met_at=granted.decided_at if granted else None,
    )


@makes_deadlines("supplementary_approval_deadline")
def supplementary_deadlines(rule: Rule, ctx: Context) -> Iterator[DeadlineSpec]:
    spec = _supplementary_spec(rule, ctx)
    if spec is not None:
        yield spec


@evaluates("supplementary_approval_deadline")
def supplementary_deadline(rule: Rule, ctx: Context) -> Outcome:
    spec = _supplementary_spec(rule, ctx)
    if spec is None:
        return Outcome.not_applicable("本案未先行启动。")
    return _deadline_outcome(spec, ctx, satisfy="立即补报立案（程序启动）审批。")


def _deadline_outcome(spec: DeadlineSpec, ctx: Context, *, satisfy: str) -> Outcome:
    if spec.met_at is not None:
        if spec.met_at <= spec.due_at:
            return Outcome.met(f"{spec.title}已于 {_fmt(spec.met_at)} 完成，在期限内。")
        return Outcome.unmet(f"{spec.title}于 {_fmt(spec.met_at)} 完成，已超过期限 {_fmt(spec.due_at)}。")
    if ctx.now > spec.due_at:
        return Outcome.unmet(f"{spec.title}已逾期（期限 {_fmt(spec.due_at)}）。", satisfy=satisfy)
    return Outcome.not_applicable(f"{spec.title}尚在期限内（截止 {_fmt(spec.due_at)}）。")


def _archive_spec(rule: Rule, ctx: Context) -> DeadlineSpec | None:
    case = ctx.case
    entered = (
        case.transitions.filter(to_stage=Stage.ARCHIVING).order_by("at").values_list("at", flat=True).first()
    )
    if entered is None:
        return None
    return DeadlineSpec(
        kind=ARCHIVE,
        title="立卷归档",
        starts_at=entered,
        due_at=entered + parse_duration(rule.params["within"]),
        met_at=_archived_at(case),
    )


def _archived_at(case: Case) -> dt.datetime | None:
    # Met when the dossier is sealed (归档) by the archivist, not when the case is closed.
    from quanlu.archive.selectors import archived_at

    return archived_at(case)


@makes_deadlines("archive_deadline")
def archive_deadlines(rule: Rule, ctx: Context) -> Iterator[DeadlineSpec]:
    spec = _archive_spec(rule, ctx)
    if spec is not None:
        yield spec


@evaluates("archive_deadline")
def archive_deadline(rule: Rule, ctx: Context) -> Outcome:
    spec = _archive_spec(rule, ctx)
    if spec is None:
        return Outcome.not_applicable("执法行为尚未终结。")
    return _deadline_outcome(spec, ctx, satisfy="将文字和音像记录形成案卷并归档。")


@evaluates("case_fields_required")
def case_fields_required(rule: Rule, ctx: Context) -> Outcome:
    from quanlu.cases.models import Case

    empty = [f for f in rule.params["fields"] if not str(getattr(ctx.case, f, "") or "").strip()]
    if empty:
        labels = "、".join(str(getattr(Case._meta.get_field(f), "verbose_name", f)) for f in empty)
        return Outcome.unmet(f"案件未记录：{labels}。", satisfy=f"补充记录{labels}。")
    return Outcome.met("已记录。")


@evaluates("complaint_decline_notice")
def complaint_decline_notice(rule: Rule, ctx: Context) -> Outcome:
    # Enforced when a named complaint is declined (cases.services.complaint_decline);
    # a case exists only for complaints that were taken up.
    return Outcome.not_applicable("适用于经审查不启动执法程序的实名投诉、举报，在作出该决定时检查。")


@evaluates("rectification_order")
def rectification_order(rule: Rule, ctx: Context) -> Outcome:
    # Orders are addressed to the agency, not a case (quanlu.supervision); the rule
    # only says who may issue them and whether they carry a time limit.
    return Outcome.not_applicable("责令整改由监督机关向机关下达（执法监督 · 整改通知），不逐案判断。")


# The kinds about text and audio-visual records, and access, register themselves on import.
from quanlu.access import evaluators as access_evaluators  # noqa: E402, F401
from quanlu.rulebooks import evaluators_av, evaluators_records  # noqa: E402, F401
