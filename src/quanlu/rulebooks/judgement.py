"""What a judgement says: each rule's outcome (met / unmet / not applicable, in
Chinese, with what would satisfy it and what it is about), the deadlines rules set,
and the registries of the rule kinds' judges and deadline makers.

A judge is a pure function ``(rule, facts, now) -> Outcome``; a deadline maker is
``(rule, facts, now) -> [DeadlineSpec]``. Neither reads the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from quanlu.core.errors import Finding
from quanlu.rulebooks.facts import Facts, fmt
from quanlu.rulebooks.loader import Rule, Rulebook


class Status(StrEnum):
    MET = "met"
    UNMET = "unmet"
    NOT_APPLICABLE = "not_applicable"


STATUS_LABELS = {Status.MET: "符合", Status.UNMET: "不符合", Status.NOT_APPLICABLE: "不适用"}
SEVERITY_LABELS = {"block": "阻断", "warn": "提示"}


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
    anchor: str = ""  # the event it runs from, as the regulation names it (执法行为终结之日)


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
        return self.rule.finding(self.outcome.message, satisfy=self.outcome.satisfy)

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


Judge = Callable[[Rule, Facts, dt.datetime], Outcome]
DeadlineMaker = Callable[[Rule, Facts, dt.datetime], Iterable[DeadlineSpec]]

JUDGES: dict[str, Judge] = {}
DEADLINE_MAKERS: dict[str, DeadlineMaker] = {}
# The event each deadline kind runs from, in the regulations' words (the coverage report).
DEADLINE_ANCHORS: dict[str, str] = {}


def evaluates(kind: str) -> Callable[[Judge], Judge]:
    def register(func: Judge) -> Judge:
        JUDGES[kind] = func
        return func

    return register


def makes_deadlines(kind: str, *, anchor: str) -> Callable[[DeadlineMaker], DeadlineMaker]:
    """Register the deadline maker of ``kind``, which counts from ``anchor`` (the event)."""

    def register(func: DeadlineMaker) -> DeadlineMaker:
        DEADLINE_MAKERS[kind] = func
        DEADLINE_ANCHORS[kind] = anchor
        return func

    return register


def deadline_outcome(spec: DeadlineSpec, now: dt.datetime, *, satisfy: str) -> Outcome:
    """How a case stands against one deadline: met in time, met late, overdue, or running."""
    if spec.met_at is not None:
        if spec.met_at <= spec.due_at:
            return Outcome.met(f"{spec.title}已于 {fmt(spec.met_at)} 完成，在期限内。")
        return Outcome.unmet(f"{spec.title}于 {fmt(spec.met_at)} 完成，已超过期限 {fmt(spec.due_at)}。")
    if now > spec.due_at:
        return Outcome.unmet(f"{spec.title}已逾期（期限 {fmt(spec.due_at)}）。", satisfy=satisfy)
    return Outcome.not_applicable(f"{spec.title}尚在期限内（截止 {fmt(spec.due_at)}）。")
