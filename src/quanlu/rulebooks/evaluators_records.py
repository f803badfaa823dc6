"""Evaluators of the rule kinds about text records (文字记录): required documents,
their fields, signature sets and refusals, officers present, rights notices,
service by method, enforcement after a demand notice, correction re-checks, and
the completeness of the file.

Each says met / unmet / not applicable in Chinese, names the documents at fault
(``subjects``) and what would satisfy the rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

from django.utils import timezone

from quanlu.rulebooks.facts import (
    Document,
    Facts,
    fmt,
    list_labels,
    present,
    to_date,
    to_datetime,
    where_holds,
)
from quanlu.rulebooks.judgement import DeadlineSpec, Outcome, evaluates, makes_deadlines
from quanlu.rulebooks.loader import Rule
from quanlu.rulebooks.terms import NOTICE_METHODS, RIGHTS, SERVICE_METHODS

CORRECTION_RECHECK = "correction_recheck"


def _scope_title(rule: Rule, facts: Facts) -> str:
    if "documents" in rule.params:
        return facts.catalogue.titles(rule.params["documents"])
    return "相关文书"


# ---------------------------------------------------------------- documents present


@evaluates("documents_required")
def documents_required(rule: Rule, facts: Facts, now: dt.datetime) -> Outcome:
    p = rule.params
    titles, type_title = facts.catalogue.titles, facts.catalogue.title
    triggers: list[Document] = []
    trigger = p.get("if")
    if trigger is not None:
        triggers = [
            d
            for d in facts.docs_of_types(trigger["documents"])
            if (d.scan and not trigger.get("where"))
            or (not d.scan and where_holds(trigger.get("where"), d.fields))
        ]
        if not triggers:
            return Outcome.not_applicable(
                f"本案没有需要{titles(p['documents'])}的事项（{titles(trigger['documents'])}）。"
            )
    first_trigger = min((d.created_at for d in triggers), default=None)
    problems: list[str] = []
    subjects: list[str] = []
    satisfied: list[str] = []
    for code in p["documents"]:
        found = facts.docs_of_types([code])
        complete = [d for d in found if d.complete]
        if p.get("before") and first_trigger is not None:
            early = [d for d in complete if d.created_at <= first_trigger]
            if complete and not early:
                problems.append(f"{type_title(code)}应在{list_labels(triggers, 2)}之前制作")
                subjects.extend(d.uid for d in complete)
                continue
            complete = early
        if complete:
            satisfied.append(code)
        elif found:
            problems.append(f"{found[0].label}尚未签署完毕（{'；'.join(found[0].missing[:3])}）")
            subjects.append(found[0].uid)
        else:
            problems.append(f"缺少{type_title(code)}")
            subjects.append(f"type:{code}")
    if p.get("mode", "all") == "any":
        if satisfied:
            return Outcome.met(f"已有{titles(satisfied)}。")
        return Outcome.unmet(
            f"应有{'或'.join(type_title(c) for c in p['documents'])}之一：" + "；".join(problems) + "。",
            satisfy=f"制作并签署{'或'.join(type_title(c) for c in p['documents'])}。",
            subjects=tuple(subjects),
        )
    if problems:
        return Outcome.unmet(
            "；".join(problems) + "。",
            satisfy=f"制作{titles(p['documents'])}并完成签名（盖章）。",
            subjects=tuple(subjects),
        )
    return Outcome.met(f"{titles(p['documents'])}齐全并已签署。")


@evaluates("document_fields_required")
def document_fields_required(rule: Rule, facts: Facts, now: dt.datetime) -> Outcome:
    p = rule.params
    docs = facts.select_docs(p)
    if not docs:
        return Outcome.not_applicable(f"本案尚无{_scope_title(rule, facts)}。")
    problems: list[str] = []
    subjects: list[str] = []
    scans = [d for d in docs if d.scan]

    def has_fields(d: Document) -> bool:
        keys = d.type.keys
        return all(present(d.fields.get(f)) for f in p["fields"] if f in keys)

    # An outside document cannot be corrected, only uploaded again: one that says
    # what the rule asks is enough for its type.
    sufficient = {d.type.code for d in docs if d.type.uploaded and has_fields(d)}
    for d in docs:
        if d.scan or (d.type.uploaded and d.type.code in sufficient):
            continue  # a scanned paper form: its boxes are read by people, not by the system
        empty = [d.field_label(f) for f in p["fields"] if f in d.type.keys and not present(d.fields.get(f))]
        wrong: list[str] = []
        if empty:
            wrong.append(f"未载明「{'」「'.join(empty)}」")
        speakers = p.get("speakers")
        if speakers:
            said = {t.get("speaker") for t in d.fields.get("turns") or []}
            absent = [s for s in speakers if s not in said]
            if absent:
                turns = d.type.first_of_type("turns")
                names = dict(turns.speakers if turns is not None else ())
                wrong.append(f"未记录{'、'.join(names.get(s, s) for s in absent)}的发言")
        if p.get("complete") and not d.complete:
            wrong.append(f"尚未签署完毕（{'；'.join(d.missing[:3])}）")
        if wrong:
            problems.append(f"{d.label}" + "，".join(wrong))
            subjects.append(d.uid)
    if problems:
        return Outcome.unmet(
            "；".join(problems) + "。",
            satisfy="更正文书，补充载明所缺内容" + ("并完成签署" if p.get("complete") else "") + "。",
            subjects=tuple(subjects),
        )
    note = f"（其中{len(scans)}份为纸质扫描件，栏目内容须人工核对）" if scans else ""
    return Outcome.met(f"{list_labels(docs)}载明了规定的内容{note}。")


@evaluates("documents_signed")
def documents_signed(rule: Rule, facts: Facts, now: dt.datetime) -> Outcome:
    docs = facts.select_docs(rule.params)
    if not docs:
        return Outcome.not_applicable(f"本案尚无{_scope_title(rule, facts)}。")
    open_ = [d for d in docs if not d.complete]
    if open_:
        detail = "；".join(f"{d.label}：{'；'.join(d.missing[:3])}" for d in open_[:5])
        return Outcome.unmet(
            f"{len(open_)}份文书尚未签署完毕。{detail}。",
            satisfy="由执法人员、当事人及有关人员在文书上签名或盖章；拒绝签字的，在文书中注明并由执法人员签字。",
            subjects=tuple(d.uid for d in open_),
        )
    return Outcome.met(f"{len(docs)}份文书均已签署完毕。")


# ---------------------------------------------------------------- people


@evaluates("officers_present")
def officers_present(rule: Rule, facts: Facts, now: dt.datetime) -> Outcome:
    p = rule.params
    minimum = int(p.get("min", 1))
    docs = [
        d for d in facts.select_docs({"documents": p["documents"], "where": p.get("where")}) if not d.scan
    ]
    if not docs:
        return Outcome.not_applicable(f"本案尚无{facts.catalogue.titles(p['documents'])}。")
    problems: list[str] = []
    subjects: list[str] = []
    for d in docs:
        day = timezone.localtime(d.moment()).date()
        wrong: list[str] = []
        if len(d.officers) < minimum:
            wrong.append(f"只记录了{len(d.officers)}名执法人员，应当{minimum}人以上")
        for entry in d.officers:
            if not entry.certificate_valid:
                wrong.append(f"{entry.name}的执法证件在{day.isoformat()}无效")
            if p.get("certificate_shown") and not entry.certificate_shown:
                wrong.append(f"未记录{entry.name}出示执法证件")
        if wrong:
            problems.append(f"{d.label}" + "，".join(wrong))
            subjects.append(d.uid)
    if problems:
        return Outcome.unmet(
            "；".join(problems) + "。",
            satisfy=(f"现场调查取证应由{minimum}名以上持有效执法证件的执法人员进行，" if minimum > 1 else "")
            + "在笔录中记录执法人员姓名、执法证件编号及出示情况。",
            subjects=tuple(subjects),
        )
    return Outcome.met(f"{list_labels(docs)}记录了执法人员及执法证件出示情况。")


@evaluates("refusals_attested")
def refusals_attested(rule: Rule, facts: Facts, now: dt.datetime) -> Outcome:
    minimum = int(rule.params["min_officers"])
    docs = {d.uid: d for d in facts.select_docs(rule.params)}
    refusals = [r for r in facts.refusals if r.document in docs]
    if not refusals:
        return Outcome.not_applicable("本案没有拒绝签字的记录。")
    short = [r for r in refusals if r.attestations < minimum]
    if short:
        detail = "；".join(
            f"{docs[r.document].label}中{r.person_name}拒绝签字，仅{r.attestations}名执法人员签字"
            for r in short[:5]
        )
        return Outcome.unmet(
            f"{detail}。",
            satisfy=f"由{minimum}名以上执法人员在拒签注明上签字确认。",
            subjects=tuple(docs[r.document].uid for r in short),
        )
    return Outcome.met(f"{len(refusals)}处拒绝签字均已注明，并由{minimum}名以上执法人员签字。")


# ---------------------------------------------------------------- rights


@evaluates("rights_notified")
def rights_notified(rule: Rule, facts: Facts, now: dt.datetime) -> Outcome:
    p = rule.params
    notified: dict[str, str] = {}
    exercised: dict[str, str] = {}
    sources: list[Document] = []
    for d in facts.docs_of_types(p["documents"]):
        if d.scan or not d.complete:
            continue
        spec = d.type.first_of_type("rights")
        entries = d.fields.get(spec.key) if spec is not None else None
        if not entries:
            continue
        sources.append(d)
        for e in entries:
            if e.get("notified") and e.get("method") in NOTICE_METHODS:
                notified.setdefault(e["right"], NOTICE_METHODS[e["method"]])
            if present(e.get("exercised")):
                exercised[e["right"]] = e["exercised"]
    missing = [r for r in p["rights"] if r not in notified]
    names = "、".join(RIGHTS[r] for r in p["rights"])
    scans = [d for d in facts.docs_of_types(p["documents"]) if d.scan and d.complete]
    silent = [r for r in p["rights"] if r not in exercised] if p.get("exercise_recorded") else []
    if (missing or silent) and scans:
        # A rights notice on paper, scanned: what it says is read by people.
        return Outcome.met(f"以纸质扫描件记录权利告知（{list_labels(scans)}），告知的权利和方式须人工核对。")
    if missing:
        where = f"（已查{list_labels(sources)}）" if sources else ""
        return Outcome.unmet(
            f"未记录告知当事人{'、'.join(RIGHTS[r] for r in missing)}的权利及告知方式{where}。",
            satisfy=f"在已签署的{facts.catalogue.titles(p['documents'][:3])}等文书中记录告知{names}等权利的方式。",
            subjects=(f"type:{p['documents'][0]}",),
        )
    if silent:
        return Outcome.unmet(
            f"未记录当事人行使{'、'.join(RIGHTS[r] for r in silent)}权利的情况。",
            satisfy="在告知权利的记录中写明当事人是否及如何行使各项权利（如「未申请」）。",
            subjects=tuple(d.uid for d in sources),
        )
    return Outcome.met(f"已记录告知{names}的权利及方式（{list_labels(sources)}）。")


# ---------------------------------------------------------------- service


@evaluates("service_method")
def service_method(rule: Rule, facts: Facts, now: dt.datetime) -> Outcome:
    p = rule.params
    methods = p["methods"]
    label = "、".join(SERVICE_METHODS[m] for m in methods)
    receipts = [
        d
        for d in facts.docs_of_types(["service_receipt"])
        if not d.scan and d.fields.get("method") in methods
    ]
    if not receipts:
        return Outcome.not_applicable(f"本案没有{label}的送达记录。")
    problems: list[str] = []
    subjects: list[str] = []
    for d in receipts:
        wrong = []
        if not d.complete:
            wrong.append(f"尚未签署完毕（{'；'.join(d.missing[:3])}）")
        empty = [d.field_label(f) for f in p.get("fields", []) if not present(d.fields.get(f))]
        if empty:
            wrong.append(f"未载明「{'」「'.join(empty)}」")
        if wrong:
            problems.append(d.label + "，".join(wrong))
            subjects.append(d.uid)
    for code in p.get("documents", []):
        kept = [d for d in facts.docs_of_types([code]) if d.complete]
        if not kept:
            problems.append(f"未留存{facts.catalogue.title(code)}")
            subjects.append(f"type:{code}")
    if problems:
        return Outcome.unmet(
            f"{label}：" + "；".join(problems) + "。",
            satisfy=f"按{label}的规定完成送达回证的签名（盖章）和载明事项"
            + (f"，并留存{facts.catalogue.titles(p['documents'])}" if p.get("documents") else "")
            + "。",
            subjects=tuple(subjects),
        )
    return Outcome.met(f"{len(receipts)}份{label}的送达记录符合规定。")


# ---------------------------------------------------------------- execution


def _names_demand(receipt: Document, demand: Document) -> bool:
    number = str(receipt.fields.get("document_number") or "").strip()
    if demand.number and number:
        return number == demand.number
    return "催告" in str(receipt.fields.get("document_name") or "")


@evaluates("demand_before_enforcement")
def demand_before_enforcement(rule: Rule, facts: Facts, now: dt.datetime) -> Outcome:
    p = rule.params
    enforcement = facts.docs_of_types(p["enforcement"])
    if not enforcement:
        return Outcome.not_applicable("本案没有作出强制执行决定或申请法院强制执行。")
    demands = [d for d in facts.docs_of_types([p.get("demand", "demand_notice")]) if d.complete]
    receipts = [d for d in facts.docs_of_types(["service_receipt"]) if not d.scan and d.complete]
    problems: list[str] = []
    subjects: list[str] = []
    for e in enforcement:
        earlier = [d for d in demands if d.created_at <= e.created_at]
        if not earlier:
            problems.append(f"{e.label}之前没有制作催告书")
            subjects.append(e.uid)
            continue
        if p.get("served"):
            served = [
                r
                for r in receipts
                for dmd in earlier
                if _names_demand(r, dmd)
                and (to_datetime(r.fields.get("served_at")) or r.created_at) <= e.created_at
            ]
            if not served:
                problems.append(f"{e.label}之前，催告书没有送达当事人的记录（送达回证）")
                subjects.append(e.uid)
                continue
        if p.get("overdue"):
            made_on = timezone.localtime(e.created_at).date()
            due = [to_date(dmd.fields.get("due_on")) for dmd in earlier]
            if all(day is not None and made_on <= day for day in due):
                problems.append(f"{e.label}作出时，催告书规定的履行期限尚未届满")
                subjects.append(e.uid)
    if problems:
        return Outcome.unmet(
            "；".join(problems) + "。",
            satisfy="先按法定形式制作催告书并送达当事人（以送达回证记录），当事人逾期仍不履行的，再作出强制执行决定或申请法院强制执行。",
            subjects=tuple(subjects),
        )
    return Outcome.met(f"{list_labels(enforcement)}均在催告书送达且履行期限届满后作出。")


def _orders(facts: Facts, p: Mapping[str, Any]) -> list[Document]:
    return [
        d
        for d in facts.docs_of_types([str(p.get("order", "rectification_order"))])
        if not d.scan and d.complete and where_holds(p.get("where"), d.fields)
    ]


def _rechecks(facts: Facts, p: Mapping[str, Any], order: Document) -> list[Document]:
    return [
        d
        for d in facts.docs_of_types([str(p.get("verification", "rectification_verification"))])
        if not d.scan and order.number and str(d.fields.get("order_number") or "").strip() == order.number
    ]


def _recheck_specs(rule: Rule, facts: Facts) -> list[DeadlineSpec]:
    specs = []
    for order in _orders(facts, rule.params):
        due_on = to_date(order.fields.get("due_on"))
        if due_on is None:
            continue
        # 按期: the re-check is due by the end of the day the correction is due.
        due_at = timezone.make_aware(dt.datetime.combine(due_on + dt.timedelta(days=1), dt.time()))
        checks = _rechecks(facts, rule.params, order)
        # When the re-check record entered the system: a backdated time on it cannot make it on time.
        met = min((c.created_at for c in checks), default=None)
        specs.append(
            DeadlineSpec(
                kind=CORRECTION_RECHECK,
                title=f"改正情况核查：{order.number or order.title}"[:200],
                starts_at=order.created_at,
                due_at=max(due_at, order.created_at),
                met_at=met,
                subject=order.hex,
                anchor="责令改正的期限届满（按期）",
            )
        )
    return specs


@makes_deadlines("correction_recheck_deadline", anchor="责令改正的期限届满（按期）")
def correction_recheck_deadlines(rule: Rule, facts: Facts, now: dt.datetime) -> Iterator[DeadlineSpec]:
    yield from _recheck_specs(rule, facts)


@evaluates("correction_recheck_deadline")
def correction_recheck_deadline(rule: Rule, facts: Facts, now: dt.datetime) -> Outcome:
    specs = _recheck_specs(rule, facts)
    if not specs:
        return Outcome.not_applicable("本案没有需按期核查的责令改正。")
    late = [s for s in specs if s.met_at is not None and s.met_at > s.due_at]
    overdue = [s for s in specs if s.met_at is None and now > s.due_at]
    if late or overdue:
        parts = [f"{s.title}逾期完成（期限 {fmt(s.due_at)}）" for s in late]
        parts += [f"{s.title}已逾期（期限 {fmt(s.due_at)}）" for s in overdue]
        return Outcome.unmet(
            "；".join(parts) + "。",
            satisfy="到期即对改正情况进行核查，制作《改正情况核查（复查）记录》，载明责令改正决定书文号。",
        )
    pending = [s for s in specs if s.met_at is None]
    if pending:
        return Outcome.not_applicable(
            "；".join(f"{s.title}尚在期限内（截止 {fmt(s.due_at)}）" for s in pending) + "。"
        )
    return Outcome.met(f"{len(specs)}项责令改正均已按期核查。")


@evaluates("correction_rechecked")
def correction_rechecked(rule: Rule, facts: Facts, now: dt.datetime) -> Outcome:
    orders = _orders(facts, rule.params)
    if not orders:
        return Outcome.not_applicable("本案没有需核查的责令改正。")
    problems: list[str] = []
    subjects: list[str] = []
    for order in orders:
        checks = _rechecks(facts, rule.params, order)
        if not any(c.complete for c in checks):
            problems.append(
                f"{order.label}的改正情况" + ("核查记录尚未签署完毕" if checks else "没有核查记录")
            )
            subjects.append(order.uid)
    if problems:
        return Outcome.unmet(
            "；".join(problems) + "。",
            satisfy="对改正情况进行核查（复查），制作《改正情况核查（复查）记录》并载明责令改正决定书文号。",
            subjects=tuple(subjects),
        )
    return Outcome.met(f"{len(orders)}项责令改正均有核查记录。")


# ---------------------------------------------------------------- the file


@evaluates("file_complete")
def file_complete(rule: Rule, facts: Facts, now: dt.datetime) -> Outcome:
    docs = facts.documents
    open_ = [d for d in docs if not d.complete]
    loose = [c for c in facts.media if not c.linked]
    pending = sum(1 for a in facts.approvals if a.status == "pending")
    problems = []
    if open_:
        problems.append(f"{list_labels(open_)}尚未签署完毕")
    if loose:
        problems.append(f"{len(loose)}条音像记录未关联执法环节")
    if pending:
        problems.append(f"{pending}项审批尚未办结")
    if problems:
        return Outcome.unmet(
            "案卷尚未收集齐全、规范整理：" + "；".join(problems) + "。",
            satisfy="完成全部文书的签署，将每条音像记录关联到执法环节，办结审批后再归档。",
            subjects=tuple(d.uid for d in open_),
        )
    return Outcome.met(f"{len(docs)}份文书、{len(facts.media)}条音像记录收集齐全。")
