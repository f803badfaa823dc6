"""How cases come in: complaints and reports (投诉、举报) registered, taken up as a
case or declined with the complainant told; and an application's intake (申请登记、补正、受理)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from quanlu.cases import events
from quanlu.cases.models import (
    ApplicationEvent,
    ApplicationEventKind,
    Case,
    CaseSource,
    Complaint,
    ComplaintStatus,
    InitiationMode,
)
from quanlu.cases.services.case import _case_open
from quanlu.cases.services.common import CASE_WORKERS, _lock, _require_open, _require_staff, _same_submitter
from quanlu.core.errors import Conflict, InvalidInput, PermissionDenied, Refused
from quanlu.core.validation import clean_choice, clean_name, clean_text
from quanlu.ledger.services import record_event
from quanlu.org.models import AgencyKind, Officer
from quanlu.rulebooks.evaluator import rulebook_for
from quanlu.rulebooks.loader import get_rulebook
from quanlu.rulebooks.obligations import refusal, supplement_notice_rules


@transaction.atomic
def complaint_register(
    *,
    actor: Officer,
    named: bool,
    content: str,
    channel: str,
    complainant_name: str = "",
    complainant_contact: str = "",
    received_at: dt.datetime | None = None,
    client_token: uuid.UUID | None = None,
) -> Complaint:
    if client_token is not None:
        existing = Complaint.objects.filter(client_token=client_token).first()
        if existing is not None:
            return _same_submitter(existing, existing.recorder_id, actor)
    if actor.agency is None or actor.agency.kind != AgencyKind.ENFORCEMENT:
        raise PermissionDenied("只有行政执法机关人员可以登记投诉举报。")
    _require_staff(actor, actor.agency, CASE_WORKERS, "登记投诉举报")
    content = clean_text(content, label="投诉、举报内容", field="content", max_length=5000)
    channel = clean_text(channel, label="受理渠道", field="channel", max_length=32)
    complainant_name = clean_name(
        complainant_name, label="投诉人、举报人", field="complainant_name", max_length=100, required=named
    )
    complainant_contact = clean_text(
        complainant_contact, label="联系方式", field="complainant_contact", max_length=100, required=False
    )
    complaint = Complaint.objects.create(
        agency=actor.agency,
        named=named,
        complainant_name=complainant_name,
        complainant_contact=complainant_contact,
        channel=channel,
        content=content,
        received_at=received_at or timezone.now(),
        recorder=actor,
        client_token=client_token,
    )
    record_event(
        type=events.COMPLAINT_RECEIVED,
        actor=actor,
        agency=actor.agency,
        payload={
            "complaint": complaint.public_id,
            "named": named,
            "complainant_name": complainant_name,
            "complainant_contact": complainant_contact,
            "channel": channel,
            "content": content,
            "received_at": complaint.received_at,
        },
        rows=[complaint],
    )
    return complaint


def _lock_complaint(actor: Officer, complaint: Complaint) -> Complaint:
    complaint = Complaint.objects.select_for_update().select_related("agency").get(pk=complaint.pk)
    _require_staff(actor, complaint.agency, CASE_WORKERS, "处理投诉举报")
    if complaint.status != ComplaintStatus.RECEIVED:
        raise Conflict("该投诉举报已处理。", code="complaint_handled")
    return complaint


@transaction.atomic
def complaint_initiate(*, actor: Officer, complaint: Complaint, **case_fields: Any) -> Case:
    """Start an enforcement procedure on a complaint: the case records where it came from."""
    complaint = _lock_complaint(actor, complaint)
    case = _case_open(
        actor=actor,
        initiation_mode=InitiationMode.COMPLAINT,
        source=CaseSource.COMPLAINT,
        source_detail=f"{complaint.channel}：{complaint.content[:200]}",
        **case_fields,
    )
    complaint.status = ComplaintStatus.INITIATED
    complaint.case = case
    complaint.decided_by = actor
    complaint.decided_at = timezone.now()
    complaint.save(update_fields=["status", "case", "decided_by", "decided_at"])
    record_event(
        type=events.COMPLAINT_INITIATED,
        actor=actor,
        agency=complaint.agency,
        case_uid=case.public_id,
        payload={"complaint": complaint.public_id, "case": case.public_id},
        rows=[complaint],
    )
    return case


@transaction.atomic
def complaint_decline(
    *,
    actor: Officer,
    complaint: Complaint,
    reason: str,
    notify_method: str = "",
    notify_content: str = "",
    notified_at: dt.datetime | None = None,
) -> Complaint:
    """Decide not to start a procedure. A named complainant must be told, and how
    they were told is recorded (002 第七条, 003 第七条第二款, 004 第十条)."""
    complaint = _lock_complaint(actor, complaint)
    reason = clean_text(reason, label="不启动理由", field="reason", max_length=2000)
    notify_method = clean_text(
        notify_method, label="告知方式", field="notify_method", max_length=32, required=False
    )
    notify_content = clean_text(
        notify_content, label="告知内容", field="notify_content", max_length=2000, required=False
    )
    book = get_rulebook(complaint.agency.rulebook_id, on=timezone.localdate())
    notice_rules = book.rules_of("complaint_decline_notice") if complaint.named else []
    if notice_rules and not (notify_method and notify_content):
        rule = notice_rules[0]
        finding = rule.finding("实名投诉、举报不启动执法程序的，应记录告知投诉人、举报人的方式和内容。")
        raise Refused(
            finding.message + "请填写「告知方式」和「告知内容」。", [finding], code="notice_required"
        )
    if complaint.named and notify_method and notified_at is None:
        notified_at = timezone.now()
    complaint.status = ComplaintStatus.DECLINED
    complaint.decline_reason = reason
    complaint.notify_method = notify_method
    complaint.notify_content = notify_content
    complaint.notified_at = notified_at
    complaint.decided_by = actor
    complaint.decided_at = timezone.now()
    complaint.save()
    record_event(
        type=events.COMPLAINT_DECLINED,
        actor=actor,
        agency=complaint.agency,
        payload={
            "complaint": complaint.public_id,
            "reason": reason,
            "notify_method": notify_method,
            "notify_content": notify_content,
            "notified_at": notified_at,
        },
        rows=[complaint],
    )
    return complaint


# ---------------------------------------------------------------- applications


@transaction.atomic
def application_event_record(
    *, actor: Officer, case: Case, kind: str, detail: str = "", items: list[str] | None = None
) -> ApplicationEvent:
    """Record a step of handling an application (申请登记, 补正, 受理, ...)."""
    case = _lock(case)
    _require_staff(actor, case.agency, CASE_WORKERS, "记录申请办理情况")
    _require_open(case)
    if case.initiation_mode != InitiationMode.ON_APPLICATION:
        raise Conflict("只有依申请启动的案件才记录申请办理情况。", code="not_application")
    kind = clean_choice(kind, label="事项", field="kind", choices=ApplicationEventKind)
    detail = clean_text(detail, label="说明", field="detail", max_length=5000, required=False)
    clean_items = [clean_text(i, label="补正事项", field="items", max_length=500) for i in (items or [])]
    if kind == ApplicationEventKind.SUPPLEMENT_NOTICE and not clean_items:
        # 一次性告知: one notice listing everything that must be supplemented (002 第五条,
        # 004 第八条 name it; elsewhere a notice of nothing is the form's own error).
        message = "一次性告知应列明需补正的全部内容。"
        rules = supplement_notice_rules(rulebook_for(case))
        if rules:
            satisfy = "在「补正事项」中逐项列明需补正的全部内容。"
            raise refusal(rules, message, satisfy=satisfy, code="items_required", field="items", status=422)
        raise InvalidInput(message, field_name="items")
    if (
        kind in (ApplicationEventKind.ACCEPTED, ApplicationEventKind.REJECTED)
        and case.application_events.filter(
            kind__in=(ApplicationEventKind.ACCEPTED, ApplicationEventKind.REJECTED)
        ).exists()
    ):
        raise Conflict("已作出受理或不予受理决定。", code="already_decided")
    event = ApplicationEvent.objects.create(
        case=case, kind=kind, detail=detail, items=clean_items, at=timezone.now(), recorder=actor
    )
    record_event(
        type=events.APPLICATION_EVENT,
        actor=actor,
        agency=case.agency,
        case_uid=case.public_id,
        payload={"event": event.public_id, "kind": kind, "detail": detail, "items": clean_items},
        rows=[event],
    )
    return event
