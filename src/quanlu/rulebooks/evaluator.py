"""The evaluator: judge a case against the rulebook in force for it.

A rule kind is a mechanism in code (registered with ``@evaluates(kind)``); a rule is
that mechanism with parameters and a citation, in a rulebook file. Every result
explains itself: rule id, rulebook and version, article and its words, status,
message, and what would satisfy it.

Gates: a rule with ``params.stage`` (one stage, or a list of them) must hold before
the case *enters* that stage. A transition checks every gated rule of the stages the
case has actually entered plus the target, so a deferred obligation (the 补报 after an
emergency start) is still enforced later, while a terminated case is not asked for a
decision it never reached. Rules without a stage never block; deadline kinds yield
deadlines.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from quanlu.core.errors import Finding
from quanlu.rulebooks.loader import Rule, Rulebook, get_rulebook

if TYPE_CHECKING:
    from quanlu.cases.models import Case


class Status(StrEnum):
    MET = "met"
    UNMET = "unmet"
    NOT_APPLICABLE = "not_applicable"


STATUS_LABELS = {Status.MET: "符合", Status.UNMET: "不符合", Status.NOT_APPLICABLE: "不适用"}
SEVERITY_LABELS = {"block": "阻断", "warn": "提示"}


def rule_stages(rule: Rule) -> tuple[str, ...]:
    """The stages whose entry the rule gates (none for rules that never block a move)."""
    stage = rule.params.get("stage")
    if not stage:
        return ()
    return (stage,) if isinstance(stage, str) else tuple(stage)


@dataclass(frozen=True)
class Outcome:
    status: Status
    message: str = ""
    satisfy: str = ""  # what would satisfy the rule, for the user
    # What the finding is about, for machines: document public ids, or catalogue
    # type codes of documents that are missing ("type:<code>").
    subjects: tuple[str, ...] = ()

    @classmethod
    def met(cls, message: str = "") -> Outcome:
        return cls(Status.MET, message)

    @classmethod
    def unmet(cls, message: str, satisfy: str = "", subjects: tuple[str, ...] = ()) -> Outcome:
        return cls(Status.UNMET, message, satisfy, subjects)

    @classmethod
    def not_applicable(cls, message: str = "") -> Outcome:
        return cls(Status.NOT_APPLICABLE, message)


@dataclass(frozen=True)
class DeadlineSpec:
    """A deadline a rule sets for a case: when it started, when it is due, and
    when (if yet) it was met."""

    kind: str
    title: str
    starts_at: dt.datetime
    due_at: dt.datetime
    met_at: dt.datetime | None = None
    subject: str = ""  # which one, when a case has several of a kind (a correction order)


@dataclass
class Context:
    case: Case
    rulebook: Rulebook
    now: dt.datetime
    to_stage: str | None = None  # set when judging a transition
    cache: dict[str, Any] = field(default_factory=dict)

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]


@dataclass(frozen=True)
class RuleResult:
    rule: Rule
    rulebook: Rulebook
    outcome: Outcome

    @property
    def status(self) -> Status:
        return self.outcome.status

    @property
    def blocking(self) -> bool:
        return self.outcome.status == Status.UNMET and self.rule.severity == "block"

    def finding(self) -> Finding:
        return self.rule.finding(self.outcome.message)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule.id,
            "kind": self.rule.kind,
            "rulebook": self.rulebook.id,
            "rulebook_version": self.rulebook.version,
            "rulebook_title": self.rulebook.title,
            "source": self.rule.citation.source,
            "article": self.rule.citation.article,
            "quote": self.rule.citation.quote,
            "requirements": list(self.rule.requirements),
            "severity": self.rule.severity,
            "severity_label": SEVERITY_LABELS[self.rule.severity],
            "stage": self.rule.params.get("stage"),
            "status": str(self.outcome.status),
            "status_label": STATUS_LABELS[self.outcome.status],
            "message": self.outcome.message,
            "satisfy": self.outcome.satisfy,
            "subjects": list(self.outcome.subjects),
        }


Evaluator = Callable[[Rule, Context], Outcome]
DeadlineMaker = Callable[[Rule, Context], Iterable[DeadlineSpec]]

_EVALUATORS: dict[str, Evaluator] = {}
_DEADLINES: dict[str, DeadlineMaker] = {}


def evaluates(kind: str) -> Callable[[Evaluator], Evaluator]:
    def register(func: Evaluator) -> Evaluator:
        _EVALUATORS[kind] = func
        return func

    return register


def makes_deadlines(kind: str) -> Callable[[DeadlineMaker], DeadlineMaker]:
    def register(func: DeadlineMaker) -> DeadlineMaker:
        _DEADLINES[kind] = func
        return func

    return register


def _ensure_kinds_loaded() -> None:
    from quanlu.rulebooks import evaluators  # noqa: F401  (registers the evaluators)


def rulebook_for(case: Case) -> Rulebook:
    # The version in force when the procedure started governs the case.
    return get_rulebook(case.rulebook_id, on=timezone.localtime(case.started_at).date())


def entered_stages(case: Case) -> set[str]:
    return set(case.transitions.values_list("to_stage", flat=True))


def applies(rule: Rule, case: Case, *, entered: set[str] | None = None) -> bool:
    """The rule's ``when`` conditions: procedure, initiation mode, kind of action,
    major, emergency start, and stages the case has entered (``entered`` includes
    the target of a move being judged)."""
    when: dict[str, Any] = rule.params.get("when") or {}
    if "procedure" in when and case.procedure not in when["procedure"]:
        return False
    if "initiation_mode" in when and case.initiation_mode not in when["initiation_mode"]:
        return False
    if "kind" in when and case.kind not in when["kind"]:
        return False
    if "emergency" in when and bool(when["emergency"]) != case.emergency:
        return False
    if "entered" in when:
        reached = entered if entered is not None else entered_stages(case)
        if not set(when["entered"]) <= reached:
            return False
    return not ("major" in when and bool(when["major"]) != case.is_major)


def judge(rule: Rule, ctx: Context) -> Outcome:
    """One rule, judged in a context (as a move into ``ctx.to_stage`` would judge it)."""
    _ensure_kinds_loaded()
    return _judge(rule, ctx)


def _judge(rule: Rule, ctx: Context) -> Outcome:
    reached: set[str] = ctx.memo("entered", lambda: entered_stages(ctx.case))
    entered = reached | ({ctx.to_stage} if ctx.to_stage else set())
    if not applies(rule, ctx.case, entered=entered):
        return Outcome.not_applicable("本案不具备该规则的适用条件。")
    evaluator = _EVALUATORS.get(rule.kind)
    if evaluator is None:
        # Kinds that only parameterise something else (a deadline, an approval chain).
        return Outcome.not_applicable("该规则由其他机制执行（如期限、审批环节）。")
    return evaluator(rule, ctx)


def evaluate(case: Case, *, now: dt.datetime | None = None) -> list[RuleResult]:
    """Every rule of the case's rulebook, judged now.

    A gated rule of a stage the case has not entered yet is not a breach: unless
    already met, it is reported as not applicable yet, saying what entering that
    stage will require.
    """
    from quanlu.cases.models import Stage

    _ensure_kinds_loaded()
    book = rulebook_for(case)
    ctx = Context(case=case, rulebook=book, now=now or timezone.now())
    entered = entered_stages(case)
    results = []
    for rule in book.rules:
        outcome = _judge(rule, ctx)
        stages = rule_stages(rule)
        if stages and not entered.intersection(stages) and outcome.status == Status.UNMET:
            labels = "」或「".join(Stage(s).label for s in stages)
            outcome = Outcome(
                Status.NOT_APPLICABLE,
                f"尚未进入「{labels}」阶段；进入前须满足：{outcome.message}",
                outcome.satisfy,
                outcome.subjects,
            )
        results.append(RuleResult(rule=rule, rulebook=book, outcome=outcome))
    return results


def gate(case: Case, to_stage: str) -> list[RuleResult]:
    """The gated rules a move into ``to_stage`` must satisfy, judged for that move."""
    _ensure_kinds_loaded()
    entered = entered_stages(case) | {to_stage}
    book = rulebook_for(case)
    ctx = Context(case=case, rulebook=book, now=timezone.now(), to_stage=to_stage)
    return [
        RuleResult(rule=r, rulebook=book, outcome=_judge(r, ctx))
        for r in book.rules
        if entered.intersection(rule_stages(r))
    ]


def deadlines(case: Case, *, now: dt.datetime | None = None) -> list[tuple[Rule, DeadlineSpec]]:
    """The deadlines the case's rulebook sets for it, as of now."""
    _ensure_kinds_loaded()
    book = rulebook_for(case)
    ctx = Context(case=case, rulebook=book, now=now or timezone.now())
    found: list[tuple[Rule, DeadlineSpec]] = []
    for rule in book.rules:
        maker = _DEADLINES.get(rule.kind)
        if maker is not None and applies(rule, case):
            found.extend((rule, spec) for spec in maker(rule, ctx))
    return found


def next_steps(case: Case) -> list[tuple[str, str, list[RuleResult]]]:
    """For each move the transitions table allows from here: (stage, label, what blocks it)."""
    from quanlu.cases.services import allowed_transitions

    return [
        (to, t.label, [r for r in gate(case, to) if r.blocking]) for to, t in allowed_transitions(case.stage)
    ]
