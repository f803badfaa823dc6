"""责任追究 (SUP-05..09): a supervising body records a violation of the recording rules
— not recorded, recorded then deleted or altered, not stored or archived as required,
leaked — on a ground its agency's regulation lists (001 第三十三条, 002 第三十四条,
003 第三十八条, 004 第三十条), with the persons concerned and the evidence (ledger
events, verification reports, cases); then its decisions and its closure. Opened by
the bodies the regulation names (the same as for rectification orders), seen by them
and by the agency's own head."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from quanlu.cases.models import Case
from quanlu.core.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied, Refused
from quanlu.core.validation import parse_uuid
from quanlu.ledger.models import Event, Verification
from quanlu.ledger.services import record_event
from quanlu.org.models import Agency, Officer, Role
from quanlu.org.selectors import visible_agencies
from quanlu.rulebooks.kinds import LIABILITY_GROUNDS
from quanlu.rulebooks.loader import Rule, get_rulebook
from quanlu.rulebooks.obligations import refusal
from quanlu.supervision import events
from quanlu.supervision.models import LiabilityCase, LiabilityEntry, LiabilityEntryKind
from quanlu.supervision.selectors import issuer_basis, rectification_rule

PERSON_ROLES = {"leader": "负有责任的领导人员", "direct": "直接责任人员"}


def liability_rule(agency: Agency) -> Rule | None:
    if not agency.rulebook_id:
        return None
    rules = get_rulebook(agency.rulebook_id).rules_of("liability")
    return rules[0] if rules else None


def liability_cases_for(officer: Officer) -> QuerySet[LiabilityCase]:
    """The supervisors of the agency's tree, the opening body, and the agency's head."""
    if officer.agency is None or not officer.is_active:
        return LiabilityCase.objects.none()
    q = Q(opening_agency=officer.agency)
    if officer.has_role(Role.SUPERVISOR):
        q |= Q(agency__in=visible_agencies(officer))
    if officer.has_role(Role.APPROVER):
        q |= Q(agency=officer.agency)
    return LiabilityCase.objects.filter(q).select_related("agency", "opening_agency", "opened_by").distinct()


def liability_case_get_for(officer: Officer, public_id: object) -> LiabilityCase:
    try:
        uid = parse_uuid(public_id)
    except Exception as exc:
        raise NotFound() from exc
    found = liability_cases_for(officer).filter(public_id=uid).first()
    if found is None:
        raise NotFound()
    return found


def _basis(actor: Officer, agency: Agency) -> Rule:
    if actor.agency is None or not visible_agencies(actor).filter(pk=agency.pk).exists():
        raise NotFound()
    if not actor.has_role(Role.SUPERVISOR):
        raise PermissionDenied("只有监督机关的执法监督人员可以对责任追究立案。")
    book = get_rulebook(agency.rulebook_id)
    rule = liability_rule(agency)
    if rule is None:
        raise DomainError(
            message=f"《{book.title}》没有追究责任的条款，不能依该规定对{agency.name}立案追究责任。",
            code="no_liability_article",
            status=409,
        )
    order_rule = rectification_rule(agency)
    issuers = list(order_rule.params["issuers"]) if order_rule else []
    if issuer_basis(actor.agency, agency, issuers) is None:
        raise Refused(
            f"依《{book.title}》{rule.citation.article}，{actor.agency.name}不是可以对{agency.name}追究责任的机关。",
            [rule.finding(f"{actor.agency.name}无权对{agency.name}追究责任。")],
            code="not_a_liability_body",
        )
    return rule


def _persons(agency: Agency, persons: list[dict[str, str]]) -> list[dict[str, str]]:
    out = []
    for p in persons:
        role = p.get("role", "")
        if role not in PERSON_ROLES:
            raise InvalidInput("责任人员的类别应为负有责任的领导人员或直接责任人员。", field_name="persons")
        officer = Officer.objects.filter(
            public_id=parse_uuid(p.get("officer", ""), label="责任人员", field="persons"), agency=agency
        ).first()
        if officer is None:
            raise InvalidInput(f"责任人员应为{agency.name}的工作人员。", field_name="persons")
        out.append({"officer": str(officer.public_id), "name": officer.full_name, "role": role})
    return out


def _evidence(agency: Agency, evidence: list[dict[str, str]]) -> list[dict[str, str]]:
    """Each item must name something that exists and concerns the agency."""
    out = []
    for item in evidence:
        kind, ref = item.get("kind", ""), str(item.get("ref", "")).strip()
        label = ""
        if kind == "event":
            event = Event.objects.filter(
                uid=parse_uuid(ref, label="日志事件", field="evidence"), agency=agency
            ).first()
            label = f"日志事件 #{event.seq} {event.label}" if event else ""
        elif kind == "verification":
            v = Verification.objects.filter(
                public_id=parse_uuid(ref, label="校验报告", field="evidence")
            ).first()
            label = (
                f"校验报告 {v.finished_at:%Y-%m-%d %H:%M}（{'通过' if v.ok else '发现问题'}）" if v else ""
            )
        elif kind == "case":
            case = Case.objects.filter(agency=agency, number=ref).first()
            label = f"案件 {case.number}" if case else ""
        if not label:
            raise InvalidInput(f"证据「{ref}」不存在或不属于{agency.name}。", field_name="evidence")
        out.append({"kind": kind, "ref": ref, "label": label})
    return out


@transaction.atomic
def liability_case_open(
    *,
    actor: Officer,
    agency: Agency,
    ground: str,
    facts: str,
    persons: list[dict[str, str]] | None = None,
    evidence: list[dict[str, str]] | None = None,
) -> LiabilityCase:
    rule = _basis(actor, agency)
    assert actor.agency is not None  # checked by _basis
    grounds = {g["code"]: g for g in rule.params["grounds"]}
    if ground not in grounds:
        listed = "；".join(f"{g['item']}{g['text']}" for g in rule.params["grounds"])
        raise refusal(
            [rule],
            f"所选情形不在该规定列举的追究责任情形中。所列情形为：{listed}",
            satisfy="从所列情形中选择一项。",
            code="ground_not_listed",
            field="ground",
            status=422,
        )
    facts = facts.strip()
    if not facts:
        raise InvalidInput("请写明违法事实。", field_name="facts")
    named = _persons(agency, persons or [])
    proofs = _evidence(agency, evidence or [])
    g = grounds[ground]
    now = timezone.now()
    case = LiabilityCase.objects.create(
        agency=agency,
        opened_by=actor,
        opening_agency=actor.agency,
        opened_at=now,
        ground=ground,
        rulebook_id=rule.rulebook_id,
        rule_id=rule.id,
        article=f"{rule.citation.label()}{g['item']}",
        item_text=g["text"],
        facts=facts,
        persons=named,
        evidence=proofs,
    )
    record_event(
        type=events.LIABILITY_OPENED,
        actor=actor,
        agency=agency,
        at=now,
        payload={
            "liability_case": case.public_id,
            "ground": ground,
            "article": case.article,
            "facts": facts,
            "persons": [p["officer"] for p in named],
            "evidence": [f"{e['kind']}:{e['ref']}" for e in proofs],
        },
        rows=[case],
    )
    return case


@transaction.atomic
def liability_case_record(*, actor: Officer, case: LiabilityCase, kind: str, text: str) -> LiabilityEntry:
    """A decision, or the closure, by the supervisors of the body that opened the case."""
    if actor.agency_id != case.opening_agency_id or not actor.has_role(Role.SUPERVISOR):
        raise PermissionDenied(f"由立案机关（{case.opening_agency.name}）的执法监督人员处理。")
    if kind not in LiabilityEntryKind.values:
        raise InvalidInput("类别应为处理决定或结案。", field_name="kind")
    text = text.strip()
    if not text:
        raise InvalidInput("请写明处理决定或结案意见。", field_name="text")
    if case.entries.filter(kind=LiabilityEntryKind.CLOSURE).exists():
        raise Conflict("该责任追究已结案。", code="liability_closed")
    now = timezone.now()
    try:
        with transaction.atomic():
            entry = LiabilityEntry.objects.create(case=case, kind=kind, text=text, by=actor, at=now)
    except IntegrityError as exc:
        raise Conflict("该责任追究已结案。", code="liability_closed") from exc
    record_event(
        type=events.LIABILITY_CLOSED if kind == LiabilityEntryKind.CLOSURE else events.LIABILITY_DECIDED,
        actor=actor,
        agency=case.agency,
        at=now,
        payload={"liability_case": case.public_id, "entry": entry.public_id, "kind": kind, "text": text},
        rows=[entry],
    )
    return entry


def ground_label(code: str) -> str:
    return LIABILITY_GROUNDS.get(code, code)


def case_dict(case: LiabilityCase) -> dict[str, Any]:
    entries = list(case.entries.select_related("by"))
    return {
        "id": case.public_id,
        "agency": {"id": case.agency.public_id, "name": case.agency.name},
        "opening_agency": {"id": case.opening_agency.public_id, "name": case.opening_agency.name},
        "opened_at": case.opened_at,
        "ground": case.ground,
        "ground_label": ground_label(case.ground),
        "article": case.article,
        "item_text": case.item_text,
        "facts": case.facts,
        "persons": case.persons,
        "evidence": case.evidence,
        "entries": [
            {
                "kind": e.kind,
                "kind_label": e.get_kind_display(),
                "text": e.text,
                "by": e.by.full_name,
                "at": e.at,
            }
            for e in entries
        ],
        "closed": any(e.kind == LiabilityEntryKind.CLOSURE for e in entries),
    }
