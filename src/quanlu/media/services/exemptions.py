"""Exemptions: a step recorded as going without audio-visual recording, and why.

An exemption is checked against the case's own rulebook before it is recorded: a
step whose regulation allows no exemption cannot be exempted, and where the
regulation asks the reason in writing (004 第十四条) the signed written reason
must be named. The rules check the same again when they judge the case.

The step's text record is read through the rules' facts (records provides them), so
this app needs nothing of quanlu.records.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from quanlu.cases.models import Case, Stage
from quanlu.core.errors import Conflict, InvalidInput, PermissionDenied, Refused
from quanlu.core.validation import clean_choice, clean_text, parse_uuid
from quanlu.ledger.services import record_event
from quanlu.media import events
from quanlu.media.models import Exemption, ExemptionKind
from quanlu.org.models import Officer, Role
from quanlu.rulebooks.evaluator import rulebook_for
from quanlu.rulebooks.facts import Facts, where_holds
from quanlu.rulebooks.loader import Rule
from quanlu.rulebooks.providers import gather
from quanlu.rulebooks.terms import AV_ACTIVITIES, WRITTEN_REASON_TYPE

EXEMPTION_WRITERS = (Role.OFFICER, Role.HANDLER)


def av_rules_for(case: Case, activity: str, type_code: str, fields: Mapping[str, Any]) -> list[Rule]:
    """The case's rules that ask audio-visual recording of this step."""
    book = rulebook_for(case)
    return [
        r
        for r in book.rules_of("av_required")
        if r.params["activity"] == activity
        and type_code in r.params["documents"]
        and where_holds(r.params.get("where"), fields)
    ]


def exemption_record(
    *,
    actor: Officer,
    case: Case,
    kind: str,
    activity: str,
    document: Any,
    reason: str,
    written_reason: Any = None,
    client_token: uuid.UUID | None = None,
) -> Exemption:
    """Record that a step goes without audio-visual recording, and why. A repeated
    submission with the same ``client_token`` returns the first record."""
    if client_token is not None:
        existing = Exemption.objects.filter(client_token=client_token).first()
        if existing is not None:
            if existing.recorded_by_id != actor.pk:
                raise Conflict("提交标识已被他人使用，请刷新页面后重试。", code="token_reused")
            return existing
    try:
        return _exemption_record(
            actor=actor,
            case=case,
            kind=kind,
            activity=activity,
            document=document,
            reason=reason,
            written_reason=written_reason,
            client_token=client_token,
        )
    except IntegrityError:
        existing = Exemption.objects.filter(client_token=client_token).first() if client_token else None
        if existing is None:
            raise
        return existing


def _usable_rules(rules: list[Rule], kind: str) -> list[Rule]:
    """The rules that let this step go the way ``kind`` says; refused when none does."""
    if kind == ExemptionKind.EQUIVALENT_MEANS:
        usable = [r for r in rules if r.params.get("equivalent_means")]
        why = "该环节应当进行音像记录，规定未允许以其他方式代替。"
    else:
        usable = [r for r in rules if r.params.get("exemption", "none") != "none"]
        why = "该环节应当同步音像记录，规定没有「不适宜音像记录的除外」的情形。"
    if not usable:
        raise Refused(why, [r.finding(why) for r in rules], code="exemption_not_allowed")
    return usable


def _written_reason(facts: Facts, written_reason: Any, *, kind: str, usable: list[Rule]) -> uuid.UUID | None:
    """The signed written reason named, checked; required where every rule that lets the
    step go asks the reason in writing (004 第十四条)."""
    written_uid = None
    written = None
    if written_reason not in (None, ""):
        written_uid = parse_uuid(
            getattr(written_reason, "public_id", written_reason), label="书面原因说明", field="written_reason"
        )
        written = facts.doc(written_uid)
        if written is None or written.type.code != WRITTEN_REASON_TYPE:
            raise InvalidInput(
                "「书面原因说明」应为本案的《不适宜音像记录原因说明》。", field_name="written_reason"
            )
    needs_written = kind == ExemptionKind.UNSUITABLE and all(
        r.params.get("exemption") == "written_reason" for r in usable
    )
    if needs_written and written is None:
        message = (
            "不适宜音像记录的，应当书面记录原因：请先制作并签署《不适宜音像记录原因说明》，再记录除外情形。"
        )
        raise Refused(message, [r.finding(message) for r in usable], code="written_reason_required")
    if needs_written and written is not None and not written.complete:
        raise Conflict("《不适宜音像记录原因说明》尚未签署完毕。", code="written_reason_incomplete")
    return written_uid


@transaction.atomic
def _exemption_record(
    *,
    actor: Officer,
    case: Case,
    kind: str,
    activity: str,
    document: Any,
    reason: str,
    written_reason: Any,
    client_token: uuid.UUID | None,
) -> Exemption:
    case = Case.objects.select_for_update().select_related("agency").get(pk=case.pk)
    if actor.agency_id != case.agency_id:
        raise PermissionDenied("只有本案办案机关的人员可以记录除外情形。")
    if not actor.is_active or not actor.has_role(*EXEMPTION_WRITERS):
        raise PermissionDenied("记录除外情形需要「执法人员」或「承办人」角色。")
    if case.stage == Stage.CLOSED:
        raise Conflict("案件已结案，不能再记录除外情形。", code="case_closed")
    kind = clean_choice(kind, label="除外情形", field="kind", choices=ExemptionKind)
    if activity not in AV_ACTIVITIES:
        raise InvalidInput(
            f"「执法环节」的取值无效，应为：{'、'.join(AV_ACTIVITIES.values())}。", field_name="activity"
        )
    doc_uid = parse_uuid(getattr(document, "public_id", document), label="对应文字记录", field="document")
    facts = gather(case, only=("documents",))
    doc = facts.doc(doc_uid)
    if doc is None:
        raise InvalidInput("「对应文字记录」应为本案的文书。", field_name="document")
    rules = av_rules_for(case, activity, doc.type.code, doc.fields)
    if not rules:
        raise Conflict(
            f"本机关适用的规定未要求《{doc.title}》所记录的「{AV_ACTIVITIES[activity]}」环节同步音像记录，"
            "无需记录除外情形。",
            code="not_required",
        )
    usable = _usable_rules(rules, kind)
    # The text of "不适宜音像记录的除外" asks no reason; only the means used instead of a
    # recording (音像记录等方式) must be said. A reason the regulation asks in writing is
    # the signed written reason, checked below.
    reason = clean_text(
        reason,
        label="记录方式" if kind == ExemptionKind.EQUIVALENT_MEANS else "原因",
        field="reason",
        max_length=2000,
        required=kind == ExemptionKind.EQUIVALENT_MEANS,
    )
    written_uid = _written_reason(facts, written_reason, kind=kind, usable=usable)
    now = timezone.now()
    exemption = Exemption.objects.create(
        case=case,
        kind=kind,
        activity=activity,
        document_uid=doc_uid,
        reason=reason,
        written_reason_uid=written_uid,
        recorded_by=actor,
        recorded_at=now,
        client_token=client_token,
    )
    record_event(
        type=events.EXEMPTION_RECORDED,
        actor=actor,
        agency=case.agency,
        case_uid=case.public_id,
        at=now,
        payload={
            "exemption": exemption.public_id,
            "kind": kind,
            "activity": activity,
            "document": doc_uid,
            "document_type": doc.type.code,
            "reason": reason,
            "written_reason": written_uid,
            "rules": [r.id for r in usable],
        },
        rows=[exemption],
    )
    return exemption
