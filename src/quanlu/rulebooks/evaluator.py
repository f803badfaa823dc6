"""The evaluator: judge a case's facts against the rulebook in force for it.

A rule kind is a mechanism in code (a judge registered with ``@evaluates(kind)``); a
rule is that mechanism with parameters and a citation, in a rulebook file. Every
result explains itself: rule id, rulebook and version, article and its words,
status, message, and what would satisfy it.

The evaluator imports no app. The case workflow gathers the facts
(``providers.gather(case)``) and asks: ``gate`` before a move, ``next_steps`` for the
moves its transitions table allows, ``deadlines`` for what is due, ``evaluate`` for
the whole picture.

Gates: a rule with ``params.stage`` (one stage, or a list of them) must hold before
the case *enters* that stage. A transition checks every gated rule of the stages the
case has actually entered plus the target, so a deferred obligation (the 补报 after an
emergency start) is still enforced later, while a terminated case is not asked for a
decision it never reached. Rules without a stage never block; deadline kinds yield
deadlines.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from typing import Any, Protocol

from django.utils import timezone

from quanlu.rulebooks import (  # noqa: F401  (each registers its kinds' judges)
    evaluators,
    evaluators_access,
    evaluators_av,
    evaluators_recorded,
    evaluators_records,
)
from quanlu.rulebooks.facts import CaseFacts, Facts
from quanlu.rulebooks.judgement import (
    DEADLINE_MAKERS,
    JUDGES,
    STATUS_LABELS,
    DeadlineSpec,
    Outcome,
    RuleResult,
    Status,
)
from quanlu.rulebooks.loader import Rule, Rulebook, get_rulebook
from quanlu.rulebooks.terms import STAGES

__all__ = [
    "STATUS_LABELS",
    "DeadlineSpec",
    "Outcome",
    "RuleResult",
    "Status",
    "applies",
    "deadlines",
    "evaluate",
    "gate",
    "judge",
    "next_steps",
    "rule_stages",
    "rulebook_for",
    "simplified_moves",
]


class Governed(Protocol):
    """Anything that says which rulebook governs it and since when (a case, its facts)."""

    @property
    def rulebook_id(self) -> str: ...

    @property
    def started_at(self) -> dt.datetime: ...


class Labelled(Protocol):
    @property
    def label(self) -> str: ...


def rule_stages(rule: Rule) -> tuple[str, ...]:
    """The stages whose entry the rule gates (none for rules that never block a move)."""
    stage = rule.params.get("stage")
    if not stage:
        return ()
    return (stage,) if isinstance(stage, str) else tuple(stage)


def rulebook_for(case: Governed) -> Rulebook:
    # The version in force when the procedure started governs the case.
    return get_rulebook(case.rulebook_id, on=timezone.localtime(case.started_at).date())


def simplified_path(case: Governed) -> list[Rule]:
    """The rulebook's simplified-procedure path (its ``simplified_path`` rules); none
    where the regulation does not set the simplified procedure apart."""
    try:
        return rulebook_for(case).rules_of("simplified_path")
    except KeyError:  # a rulebook no longer shipped governs nothing new
        return []


def simplified_moves(case: Governed) -> list[tuple[str, str]]:
    """The moves past the general stages a simplified case of this rulebook may take."""
    moves = [m for r in simplified_path(case) for m in r.params["moves"]]
    return [(frm, to) for frm, _, to in (m.partition("->") for m in moves)]


def general_only(rule: Rule, case: CaseFacts) -> bool:
    """A rule of the general procedure that the simplified path does not pass."""
    return case.procedure == "simplified" and any(
        rule.id in p.params.get("general_only", ()) for p in simplified_path(case)
    )


def applies(rule: Rule, case: CaseFacts, *, entered: frozenset[str] | None = None) -> bool:
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
        reached = entered if entered is not None else case.entered
        if not set(when["entered"]) <= reached:
            return False
    if "major" in when and bool(when["major"]) != case.is_major:
        return False
    return not general_only(rule, case)


def judge(rule: Rule, facts: Facts, now: dt.datetime) -> Outcome:
    """One rule, judged on the facts (as a move into ``facts.moving_to`` would judge it)."""
    if not applies(rule, facts.case, entered=facts.entered):
        if general_only(rule, facts.case):
            return Outcome.not_applicable("简易程序当场作出决定、当场交付，不适用一般程序的该项要求。")
        return Outcome.not_applicable("本案不具备该规则的适用条件。")
    judge_of = JUDGES.get(rule.kind)
    if judge_of is None:
        # Kinds that only parameterise something else (an approval chain, a rectification order).
        return Outcome.not_applicable("该规则由其他机制执行（如期限、审批环节）。")
    return judge_of(rule, facts, now)


def evaluate(facts: Facts, *, now: dt.datetime | None = None) -> list[RuleResult]:
    """Every rule of the case's rulebook, judged now.

    A gated rule of a stage the case has not entered yet is not a breach: unless
    already met, it is reported as not applicable yet, saying what entering that
    stage will require.
    """
    now = now or timezone.now()
    book = rulebook_for(facts.case)
    entered = facts.case.entered
    results = []
    for rule in book.rules:
        outcome = judge(rule, facts, now)
        stages = rule_stages(rule)
        if stages and not entered.intersection(stages) and outcome.status == Status.UNMET:
            labels = "」或「".join(STAGES[s] for s in stages)
            outcome = Outcome(
                Status.NOT_APPLICABLE,
                f"尚未进入「{labels}」阶段；进入前须满足：{outcome.message}",
                outcome.satisfy,
                outcome.subjects,
            )
        results.append(RuleResult(rule=rule, rulebook=book, outcome=outcome))
    return results


def gate(facts: Facts, to_stage: str, *, now: dt.datetime | None = None) -> list[RuleResult]:
    """The gated rules a move into ``to_stage`` must satisfy, judged for that move."""
    now = now or timezone.now()
    moving = dataclasses.replace(facts, moving_to=to_stage)
    book = rulebook_for(facts.case)
    return [
        RuleResult(rule=r, rulebook=book, outcome=judge(r, moving, now))
        for r in book.rules
        if moving.entered.intersection(rule_stages(r))
    ]


def deadlines(facts: Facts, *, now: dt.datetime | None = None) -> list[tuple[Rule, DeadlineSpec]]:
    """The deadlines the case's rulebook sets for it, as of now."""
    now = now or timezone.now()
    book = rulebook_for(facts.case)
    found: list[tuple[Rule, DeadlineSpec]] = []
    for rule in book.rules:
        maker = DEADLINE_MAKERS.get(rule.kind)
        if maker is not None and applies(rule, facts.case):
            found.extend((rule, spec) for spec in maker(rule, facts, now))
    return found


def next_steps(
    facts: Facts, transitions: Iterable[tuple[str, Labelled]], *, now: dt.datetime | None = None
) -> list[tuple[str, str, list[RuleResult]]]:
    """For each move the caller's transitions table allows from here: (stage, label,
    what blocks it)."""
    now = now or timezone.now()
    return [(to, t.label, [r for r in gate(facts, to, now=now) if r.blocking]) for to, t in transitions]
