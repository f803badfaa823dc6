"""Builders of plain fact values for the pure tests of the rule kinds (no database)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from quanlu.rulebooks.facts import (
    CaseFacts,
    Catalogue,
    DocKind,
    Document,
    Facts,
    FieldKind,
    OfficerEntry,
)
from quanlu.rulebooks.judgement import JUDGES, Outcome
from quanlu.rulebooks.loader import Citation, Rule

NOW = dt.datetime(2025, 3, 10, 4, 0, tzinfo=dt.UTC)  # 12:00 in Beijing


def ago(**kw: float) -> dt.datetime:
    return NOW - dt.timedelta(**kw)


# ---------------------------------------------------------------- builders


def rule(kind: str, **params: Any) -> Rule:
    return Rule(
        id=f"t.{kind}",
        kind=kind,
        params=params,
        severity="block",
        requirements=("GEN-01",),
        citation=Citation(source="000_test.txt", article="第一条", quote="测试条文。"),
        rulebook_id="test",
    )


def judge(r: Rule, facts: Facts, now: dt.datetime = NOW) -> Outcome:
    """The kind's own judge, without the rule's ``when``."""
    return JUDGES[r.kind](r, facts, now)


def case(**kw: Any) -> CaseFacts:
    return CaseFacts(uid="case-1", rulebook_id="test", started_at=ago(days=2), **kw)


def facts(**kw: Any) -> Facts:
    kw.setdefault("case", case())
    kw.setdefault("catalogue", CATALOGUE)
    return Facts(**kw)


def kind(code: str, title: str, *fields: FieldKind, **kw: Any) -> DocKind:
    return DocKind(code=code, title=title, fields=fields, **kw)


F = FieldKind
KINDS = {
    k.code: k
    for k in (
        kind("initiation_approval", "立案审批表", stage="initiation", category="internal"),
        kind(
            "inspection_transcript",
            "现场检查笔录",
            F("officers", "执法人员", "officers"),
            F("started_at", "开始时间", "datetime"),
            F("ended_at", "结束时间", "datetime"),
            F("av_notice", "告知音像记录", "boolean"),
            F("place", "地点", "text"),
            F("turns", "问答", "turns", speakers=(("officer", "执法人员"), ("party", "当事人"))),
            stage="investigation",
            category="investigation",
        ),
        kind(
            "rights_notice",
            "权利告知书",
            F("rights", "告知权利", "rights"),
            stage="decision",
            category="to_party",
        ),
        kind(
            "service_receipt",
            "送达回证",
            F("method", "送达方式", "choice"),
            F("served_at", "送达时间", "datetime"),
            F("document_number", "文书文号", "text"),
            F("document_name", "文书名称", "text"),
            F("witness", "见证人", "text"),
            stage="service",
            category="service",
        ),
        kind("postal_register", "邮寄登记", stage="service", category="service"),
        kind(
            "demand_notice", "催告书", F("due_on", "履行期限", "date"), stage="execution", category="to_party"
        ),
        kind("enforcement_decision", "强制执行决定书", stage="execution", category="to_party"),
        kind(
            "rectification_order",
            "责令改正通知书",
            F("due_on", "改正期限", "date"),
            F("issued_on_site", "当场下达", "boolean"),
            stage="decision",
            category="to_party",
        ),
        kind(
            "rectification_verification",
            "改正情况核查记录",
            F("order_number", "责令改正文号", "text"),
            stage="execution",
            category="investigation",
        ),
        kind("av_exemption_reason", "不适宜音像记录原因说明", stage="investigation", category="internal"),
        kind("lab_report", "检测报告", F("conclusion", "结论", "text"), uploaded=True, category="external"),
    )
}
CATALOGUE = Catalogue(types=KINDS, categories=frozenset({"internal", "investigation", "to_party", "service"}))


def doc(uid: str, code: str, *, created: dt.datetime | None = None, **kw: Any) -> Document:
    kw.setdefault("title", KINDS[code].title)
    return Document(uid=uid, type=KINDS[code], created_at=created or ago(days=1), **kw)


def officer(name: str, *, valid: bool = True, shown: bool = True) -> OfficerEntry:
    return OfficerEntry(officer=f"o-{name}", name=name, certificate_shown=shown, certificate_valid=valid)
