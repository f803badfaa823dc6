"""Judges of facts a regulation asks recorded beyond the forms themselves: audio and
video used as evidence archived on a labelled disc (001 第二十八条), the use of the
mobile enforcement system in an inspection (000 第四条第二款), and the legal office's
written review whenever it reviewed (003 第十五条). Pure, like every judge."""

from __future__ import annotations

import datetime as dt

from quanlu.rulebooks.facts import Document, Facts, list_labels, present
from quanlu.rulebooks.judgement import Outcome, evaluates
from quanlu.rulebooks.loader import Rule
from quanlu.rulebooks.terms import MEDIA_KINDS


def _column_labels(d: Document) -> dict[str, str]:
    return {key: label for f in d.type.fields for key, label in f.columns}


@evaluates("av_disc_archived")
def av_disc_archived(rule: Rule, facts: Facts, now: dt.datetime) -> Outcome:
    p = rule.params
    kinds = p.get("media_kinds", ["audio", "video"])
    # Used as evidence: tied to the text record of a step (linked, or made during it).
    evidence = [c for c in facts.media if c.media_kind in kinds and facts.tied_to_text(c) is not None]
    if not evidence:
        words = "、".join(MEDIA_KINDS[k] for k in kinds)
        return Outcome.not_applicable(f"本案没有作为证据使用的{words}。")
    labels = facts.docs_of_types(p["documents"])
    title = facts.catalogue.titles(p["documents"])
    satisfy = f"将作为证据使用的录音、录像刻录光盘归档，制作{title}，逐条注明记录的事项、时间、地点、方式和行政执法人员。"
    if not labels:
        return Outcome.unmet(
            f"{len(evidence)}条作为证据使用的录音、录像未制作光盘归档（无{title}）。",
            satisfy=satisfy,
            subjects=tuple(f"type:{t}" for t in p["documents"]),
        )
    problems: list[str] = []
    subjects: list[str] = []
    listed: set[str] = set()
    for d in labels:
        if d.scan:
            listed.update(c.name for c in evidence)  # a paper label is read by people
            continue
        names = _column_labels(d)
        wrong: list[str] = []
        for n, row in enumerate(d.fields.get("items") or [], start=1):
            listed.add(str(row.get("name") or "").strip())
            empty = [names.get(k, k) for k in p["labels"] if not present(row.get(k))]
            if empty:
                wrong.append(f"第{n}条未注明「{'」「'.join(empty)}」")
        if not d.complete:
            wrong.append(f"尚未签署完毕（{'；'.join(d.missing[:3])}）")
        if wrong:
            problems.append(d.label + "，".join(wrong))
            subjects.append(d.uid)
    unlisted = [c for c in evidence if c.name not in listed]
    if unlisted:
        more = f"等{len(unlisted)}条" if len(unlisted) > 5 else ""
        problems.append(f"未刻录归档（光盘标签未列明）：{'、'.join(c.name for c in unlisted[:5])}{more}")
        subjects.extend(c.uid for c in unlisted)
    if problems:
        return Outcome.unmet("；".join(problems) + "。", satisfy=satisfy, subjects=tuple(subjects))
    return Outcome.met(
        f"{len(evidence)}条作为证据使用的录音、录像已刻录光盘归档，{list_labels(labels)}注明了规定的信息。"
    )


@evaluates("document_fact_recorded")
def document_fact_recorded(rule: Rule, facts: Facts, now: dt.datetime) -> Outcome:
    p = rule.params
    docs = facts.docs_of_types(p["documents"])
    if not docs:
        return Outcome.not_applicable(f"本案尚无{facts.catalogue.titles(p['documents'])}。")
    wanted = p.get("equals", True)
    filled = [d for d in docs if not d.scan]
    off = [d for d in filled if d.fields.get(p["field"]) != wanted]
    if off:
        label = off[0].field_label(p["field"])
        return Outcome.unmet(
            f"{list_labels(off)}未记录「{label}」。",
            satisfy=f"在笔录中如实记录「{label}」，并按规定运用。",
            subjects=tuple(d.uid for d in off),
        )
    note = f"（其中{len(docs) - len(filled)}份为纸质扫描件，须人工核对）" if len(filled) < len(docs) else ""
    return Outcome.met(f"{list_labels(docs)}均已记录{docs[0].field_label(p['field'])}{note}。")


@evaluates("legal_review_recorded")
def legal_review_recorded(rule: Rule, facts: Facts, now: dt.datetime) -> Outcome:
    p = rule.params
    reviewed = [a for a in facts.approvals if a.status == "granted" and "legal_review" in a.chain]
    if not reviewed:
        return Outcome.not_applicable("法制机构未审查本案（无经法制审核的审批）。")
    title = facts.catalogue.titles(p["documents"])
    records = facts.docs_of_types(p["documents"])
    satisfy = f"制作{title}，载明审查人员、审查意见和建议，并由审查人员签署。"
    if not records:
        return Outcome.unmet(
            f"法制机构已审查（{len(reviewed)}次审批经法制审核），但无{title}。",
            satisfy=satisfy,
            subjects=tuple(f"type:{t}" for t in p["documents"]),
        )
    problems: list[str] = []
    for d in records:
        if d.scan:
            continue
        empty = [d.field_label(f) for f in p["fields"] if not present(d.fields.get(f))]
        wrong = [f"未载明「{'」「'.join(empty)}」"] if empty else []
        if not d.complete:
            wrong.append(f"尚未签署完毕（{'；'.join(d.missing[:3])}）")
        if wrong:
            problems.append(d.label + "，".join(wrong))
    if problems:
        return Outcome.unmet(
            "；".join(problems) + "。", satisfy=satisfy, subjects=tuple(d.uid for d in records)
        )
    return Outcome.met(f"{list_labels(records)}载明了审查人员、审查意见和建议。")
