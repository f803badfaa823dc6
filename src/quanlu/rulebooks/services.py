"""Writes of the rulebooks app: ``grep "def exemption_"``.

An exemption is checked against the case's own rulebook before it is recorded: a
step whose regulation allows no exemption cannot be exempted, and where the
regulation asks the reason in writing (004 第十四条) the signed written reason
must be named. The evaluator checks the same again when it judges the case.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from quanlu.cases.models import Case, Stage
from quanlu.core.errors import Conflict, InvalidInput, PermissionDenied, Refused
from quanlu.core.validation import clean_choice, clean_text, parse_uuid
from quanlu.ledger.services import record_event
from quanlu.org.models import Officer, Role
from quanlu.rulebooks import events
from quanlu.rulebooks.evaluator import rulebook_for
from quanlu.rulebooks.evidence import where_holds
from quanlu.rulebooks.kinds import AV_ACTIVITIES
from quanlu.rulebooks.loader import Rule
from quanlu.rulebooks.models import Exemption, ExemptionKind

WRITTEN_REASON_TYPE = "av_exemption_reason"
EXEMPTION_WRITERS = (Role.OFFICER, Role.HANDLER)


def av_rules_for(case: Case, activity: str, type_code: str, fields: dict[str, Any]) -> list[Rule]:
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
    from quanlu.records.models import Document
    from quanlu.records.selectors import current_version, document_is_complete

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
    reason = clean_text(reason, label="原因", field="reason", max_length=2000)
    doc_uid = parse_uuid(getattr(document, "public_id", document), label="对应文字记录", field="document")
    doc = Document.objects.filter(case=case, public_id=doc_uid).first()
    if doc is None:
        raise InvalidInput("「对应文字记录」应为本案的文书。", field_name="document")
    fields = current_version(doc).fields
    rules = av_rules_for(case, activity, doc.type_code, fields)
    label = AV_ACTIVITIES[activity]
    if not rules:
        raise Conflict(
            f"本机关适用的规定未要求《{doc.title}》所记录的「{label}」环节同步音像记录，无需记录除外情形。",
            code="not_required",
        )
    if kind == ExemptionKind.EQUIVALENT_MEANS:
        usable = [r for r in rules if r.params.get("equivalent_means")]
        why = "该环节应当进行音像记录，规定未允许以其他方式代替。"
    else:
        usable = [r for r in rules if r.params.get("exemption", "none") != "none"]
        why = "该环节应当同步音像记录，规定没有「不适宜音像记录的除外」的情形。"
    if not usable:
        raise Refused(why, [r.finding(why) for r in rules], code="exemption_not_allowed")
    written_uid = None
    if written_reason not in (None, ""):
        written_uid = parse_uuid(
            getattr(written_reason, "public_id", written_reason), label="书面原因说明", field="written_reason"
        )
        written = Document.objects.filter(case=case, public_id=written_uid).first()
        if written is None or written.type_code != WRITTEN_REASON_TYPE:
            raise InvalidInput(
                "「书面原因说明」应为本案的《不适宜音像记录原因说明》。", field_name="written_reason"
            )
    needs_written = kind == ExemptionKind.UNSUITABLE and all(
        r.params.get("exemption") == "written_reason" for r in usable
    )
    if needs_written and written_uid is None:
        message = (
            "不适宜音像记录的，应当书面记录原因：请先制作并签署《不适宜音像记录原因说明》，再记录除外情形。"
        )
        raise Refused(message, [r.finding(message) for r in usable], code="written_reason_required")
    if needs_written and written_uid is not None:
        written = Document.objects.get(case=case, public_id=written_uid)
        if not document_is_complete(written):
            raise Conflict("《不适宜音像记录原因说明》尚未签署完毕。", code="written_reason_incomplete")
    now = timezone.now()
    exemption = Exemption.objects.create(
        case=case,
        kind=kind,
        activity=activity,
        document_uid=doc.public_id,
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
            "document": doc.public_id,
            "document_type": doc.type_code,
            "reason": reason,
            "written_reason": written_uid,
            "rules": [r.id for r in usable],
        },
        rows=[exemption],
    )
    return exemption
