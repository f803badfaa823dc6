"""Writes of the access domain, each atomic with its ledger event: confidentiality
marks and their lifting (ACC-03), the head's approval to read marked content, and
parties' copy requests — registration, decision (ACC-01) and fulfilment, which
withholds marked records where the regulation excludes them (ACC-02)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from quanlu.access import events
from quanlu.access.models import (
    ConfidentialityMark,
    ContentGrant,
    CopyDecision,
    CopyFulfilment,
    CopyMode,
    CopyRequest,
    CopyRequestItem,
    DecisionOutcome,
    MarkAction,
    ReleaseLine,
    SecretCategory,
)
from quanlu.access.selectors import CONTENT_DENIED, Item, access_rule, content_view, item_filter, live_marks
from quanlu.cases.models import Case
from quanlu.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Refused
from quanlu.core.validation import clean_name, clean_text, parse_uuid
from quanlu.ledger.services import record_event
from quanlu.media.models import MediaRecord
from quanlu.org.models import Officer, Role
from quanlu.records.models import Document
from quanlu.rulebooks.obligations import refusal

# Who may mark a record of a case: its officers, handler, reviewer, agency head.
MARKERS = (Role.OFFICER, Role.HANDLER, Role.REVIEWER, Role.APPROVER)
# Lifting a mark opens content up again: the reviewer or the agency head.
LIFTERS = (Role.REVIEWER, Role.APPROVER)
# Who registers and fulfils copy requests (the archivist answers them, §Users).
CLERKS = (Role.OFFICER, Role.HANDLER, Role.REVIEWER, Role.LEGAL_REVIEWER, Role.APPROVER, Role.ARCHIVIST)
# Who decides: the agency head (批准人). 003's 主管领导 is the same role here.
DECIDERS = (Role.APPROVER,)


def _require(actor: Officer, case: Case, roles: Iterable[str], action: str) -> None:
    if actor.agency_id != case.agency_id:
        raise PermissionDenied(f"只有本案办案机关的人员可以{action}。")
    if not actor.is_active or not actor.has_role(*roles):
        labels = "、".join(str(Role(r).label) for r in roles)
        raise PermissionDenied(f"{action}需要以下角色之一：{labels}。")


def _lock_case(case: Case) -> Case:
    return Case.objects.select_for_update().select_related("agency").get(pk=case.pk)


def _ref(item: Item) -> dict[str, Any]:
    kind = "document" if isinstance(item, Document) else "media"
    return {"kind": kind, "id": item.public_id}


def _title(item: Item) -> str:
    if isinstance(item, Document):
        return f"{item.title}{' ' + item.number if item.number else ''}"
    return item.name


def item_sha256(item: Item) -> str:
    """The bytes a copy hands over: a media record's file; a document's current
    version as filed (the scan, or the signed PDF once complete, else the PDF)."""
    if isinstance(item, MediaRecord):
        return item.sha256
    version = item.versions.order_by("-number").first()
    assert version is not None, "a document always has version 1"
    return version.file_sha256 or version.signed_pdf_sha256 or version.pdf_sha256


def item_resolve(case: Case, kind: str, public_id: Any) -> Item:
    """A record of ``case`` by kind (document, media) and public id; 404 otherwise."""
    uid = parse_uuid(public_id, label="记录标识", field="items")
    found: Item | None
    if kind == "document":
        found = Document.objects.filter(case=case, public_id=uid).first()
    elif kind == "media":
        found = MediaRecord.objects.filter(case=case, public_id=uid).first()
    else:
        raise InvalidInput("记录类别应为 document（文书）或 media（音像记录）。", field_name="items")
    if found is None:
        raise NotFound("本案没有该记录。")
    return found


# ---------------------------------------------------------------- confidentiality marks (ACC-03)


@transaction.atomic
def mark_add(*, actor: Officer, item: Item, category: str, reason: str) -> ConfidentialityMark:
    case = item.case
    if case is None:
        raise InvalidInput("只有已归入案件的记录可以标注。", field_name="item")
    _require(actor, case, MARKERS, "标注涉密记录")
    if category not in SecretCategory.values:
        raise InvalidInput("涉密类别应为国家秘密、商业秘密或个人隐私。", field_name="category")
    reason = clean_text(reason, label="理由", field="reason", max_length=2000)
    case = _lock_case(case)
    if any(m.category == category for m in live_marks(item)):
        raise Conflict(f"该记录已标注为{SecretCategory(category).label}。", code="already_marked")
    now = timezone.now()
    mark = ConfidentialityMark.objects.create(
        case=case,
        action=MarkAction.MARKED,
        category=category,
        reason=reason,
        actor=actor,
        at=now,
        **item_filter(item),
    )
    record_event(
        type=events.MARK_ADDED,
        actor=actor,
        agency=case.agency,
        case_uid=case.public_id,
        at=now,
        payload={"mark": mark.public_id, "item": _ref(item), "category": category, "reason": reason},
        rows=[mark],
    )
    return mark


@transaction.atomic
def mark_lift(*, actor: Officer, mark: ConfidentialityMark, reason: str) -> ConfidentialityMark:
    case = _lock_case(mark.case)
    _require(actor, case, LIFTERS, "解除涉密标注")
    reason = clean_text(reason, label="理由", field="reason", max_length=2000)
    if mark.action != MarkAction.MARKED:
        raise InvalidInput("只能解除标注，不能解除「解除」记录。", field_name="mark")
    now = timezone.now()
    try:
        with transaction.atomic():
            lift = ConfidentialityMark.objects.create(
                case=case,
                document=mark.document,
                media=mark.media,
                action=MarkAction.LIFTED,
                category=mark.category,
                reason=reason,
                lifts=mark,
                actor=actor,
                at=now,
            )
    except IntegrityError:
        raise Conflict("该标注已经解除。", code="already_lifted") from None
    item: Item = mark.document or mark.media  # type: ignore[assignment]
    record_event(
        type=events.MARK_LIFTED,
        actor=actor,
        agency=case.agency,
        case_uid=case.public_id,
        at=now,
        payload={"mark": mark.public_id, "lift": lift.public_id, "item": _ref(item), "reason": reason},
        rows=[lift],
    )
    return lift


@transaction.atomic
def grant_issue(*, actor: Officer, item: Item, grantee: Officer, reason: str) -> ContentGrant:
    """The agency head lets one officer (a supervisor reviewing the file, say) read a
    marked record's content; the grant is ledgered and cannot be widened."""
    case = item.case
    if case is None:
        raise InvalidInput("只有已归入案件的记录可以批准查看。", field_name="item")
    _require(actor, case, DECIDERS, "批准查看涉密记录内容")
    reason = clean_text(reason, label="理由", field="reason", max_length=2000)
    if not live_marks(item):
        raise InvalidInput("该记录未标注涉密，无须批准。", field_name="item")
    now = timezone.now()
    grant = ContentGrant.objects.create(
        case=case, grantee=grantee, reason=reason, actor=actor, at=now, **item_filter(item)
    )
    record_event(
        type=events.GRANT_ISSUED,
        actor=actor,
        agency=case.agency,
        case_uid=case.public_id,
        at=now,
        payload={
            "grant": grant.public_id,
            "item": _ref(item),
            "grantee": grantee.public_id,
            "reason": reason,
        },
        rows=[grant],
    )
    return grant


# ---------------------------------------------------------------- copy requests (ACC-01, ACC-02)


@transaction.atomic
def copy_request_register(
    *,
    actor: Officer,
    case: Case,
    requester_name: str,
    purpose: str,
    items: list[Item],
    mode: str = CopyMode.COPY,
    requester_id_number: str = "",
    client_token: uuid.UUID | None = None,
) -> CopyRequest:
    """Register a party's request for copies (or, where the regulation allows it, to
    inspect) of records of a case: who asks, which records, for what."""
    if client_token is not None:
        existing = CopyRequest.objects.filter(client_token=client_token).first()
        if existing is not None:
            if existing.registered_by_id != actor.pk:
                raise Conflict("该请求标识已被他人使用。", code="token_reused")
            return existing
    _require(actor, case, CLERKS, "登记复制申请")
    requester_name = clean_name(requester_name, label="申请人", field="requester_name", max_length=100)
    requester_id_number = clean_text(
        requester_id_number,
        label="申请人证件号码",
        field="requester_id_number",
        max_length=40,
        required=False,
    )
    purpose = clean_text(purpose, label="用途", field="purpose", max_length=2000)
    rule = access_rule(case, "copy_request_approval")
    modes = rule.params.get("modes", ["copy"]) if rule else ["copy"]
    if mode not in modes:
        label = CopyMode(mode).label if mode in CopyMode.values else mode
        message = f"适用的规定没有当事人申请{label}的程序。"
        if rule is None:
            raise InvalidInput(message, field_name="mode")
        allowed = "、".join(CopyMode(m).label for m in modes)
        raise refusal(
            [rule],
            message,
            satisfy=f"按规定申请{allowed}。",
            code="mode_not_provided",
            field="mode",
            status=422,
        )
    if not items:
        raise InvalidInput("请选择申请复制的记录。", field_name="items")
    if any(item.case_id != case.pk for item in items):
        raise InvalidInput("申请的记录应属于本案。", field_name="items")
    case = _lock_case(case)
    now = timezone.now()
    request = CopyRequest.objects.create(
        case=case,
        mode=mode,
        requester_name=requester_name,
        requester_id_number=requester_id_number,
        purpose=purpose,
        registered_by=actor,
        registered_at=now,
        client_token=client_token,
    )
    seen: set[tuple[str, uuid.UUID]] = set()
    refs = []
    created: list[CopyRequestItem] = []
    for item in items:
        ref = _ref(item)
        if (ref["kind"], ref["id"]) in seen:
            continue
        seen.add((ref["kind"], ref["id"]))
        created.append(CopyRequestItem.objects.create(request=request, **item_filter(item)))
        refs.append(ref)
    record_event(
        type=events.COPY_REGISTERED,
        actor=actor,
        agency=case.agency,
        case_uid=case.public_id,
        at=now,
        payload={
            "request": request.public_id,
            "mode": mode,
            "requester": requester_name,
            "purpose": purpose,
            "items": refs,
        },
        rows=[request, *created],
    )
    return request


def _decision_basis(request: CopyRequest, basis: str) -> str:
    rule = access_rule(request.case, "copy_request_approval")
    if rule is not None and rule.params["approver"] == "agency_head":
        return f"{rule.citation.label()}（经{rule.params['approver_title']}同意）"
    # The regulation names no approver (004 refers to outside rules) or is silent
    # (001): the agency head decides, and must say under which provision.
    basis = clean_text(basis, label="依据", field="basis", max_length=500, required=False)
    if not basis:
        if rule is None:
            raise InvalidInput("适用的规定未指明由谁同意，请写明决定依据。", field_name="basis")
        under = rule.params["handled_under"]
        raise refusal(
            [rule],
            f"适用的规定未指明由谁同意，规定依据{under}办理：请写明决定依据。",
            satisfy=f"写明依{under}的哪一条款作出决定。",
            code="basis_required",
            field="basis",
            status=422,
        )
    return basis


@transaction.atomic
def copy_request_decide(
    *, actor: Officer, request: CopyRequest, approve: bool, reason: str = "", basis: str = ""
) -> CopyDecision:
    """The approver the rulebook names agrees or refuses; one decision per request,
    never by the officer who registered it."""
    case = _lock_case(request.case)
    _require(actor, case, DECIDERS, "决定复制申请")
    if actor.pk == request.registered_by_id:
        raise PermissionDenied("登记申请的人员不能自己决定该申请。", code="self_decision")
    if CopyDecision.objects.filter(request=request).exists():
        raise Conflict("该申请已经作出决定。", code="already_decided")
    reason = clean_text(reason, label="理由", field="reason", max_length=2000, required=not approve)
    basis = _decision_basis(request, basis)
    now = timezone.now()
    try:
        with transaction.atomic():
            decision = CopyDecision.objects.create(
                request=request,
                outcome=DecisionOutcome.APPROVED if approve else DecisionOutcome.REFUSED,
                reason=reason,
                basis=basis,
                actor=actor,
                at=now,
            )
    except IntegrityError:
        raise Conflict("该申请已经作出决定。", code="already_decided") from None
    record_event(
        type=events.COPY_APPROVED if approve else events.COPY_REFUSED,
        actor=actor,
        agency=case.agency,
        case_uid=case.public_id,
        at=now,
        payload={"request": request.public_id, "reason": reason, "basis": basis},
        rows=[decision],
    )
    return decision


@transaction.atomic
def copy_request_fulfil(*, actor: Officer, request: CopyRequest) -> CopyFulfilment:
    """Hand over the approved records: each released one by its SHA-256; under a
    regulation that excludes confidential material, each record with a live mark
    is withheld, citing the article."""
    case = _lock_case(request.case)
    _require(actor, case, CLERKS, "提供复制件")
    decision = CopyDecision.objects.filter(request=request).first()
    if decision is None or decision.outcome != DecisionOutcome.APPROVED:
        rule = access_rule(case, "copy_request_approval")
        message = "该申请未经同意，不能提供复制件。"
        raise Refused(message, [rule.finding(message)] if rule else [], code="not_approved")
    if CopyFulfilment.objects.filter(request=request).exists():
        raise Conflict("该申请已经提供复制件。", code="already_fulfilled")
    exclusion = access_rule(case, "confidential_exclusion")
    excluded = set(exclusion.params.get("categories", SecretCategory.values)) if exclusion else set()
    # What is handed over is read by whoever hands it over: a marked record the regulation
    # does not exclude is released only by someone the one content rule lets read it.
    entries = list(request.items.select_related("document", "media"))
    view = content_view(actor, items=[e.document or e.media for e in entries])  # type: ignore[misc]
    for entry in entries:
        item: Item = entry.document or entry.media  # type: ignore[assignment]
        withheld = view.withheld(item)
        if withheld is None or (exclusion is not None and set(withheld.categories) & excluded):
            continue
        raise PermissionDenied(f"不能提供「{_title(item)}」的复制件：{CONTENT_DENIED}", code="confidential")
    now = timezone.now()
    try:
        with transaction.atomic():
            fulfilment = CopyFulfilment.objects.create(request=request, actor=actor, at=now)
    except IntegrityError:
        raise Conflict("该申请已经提供复制件。", code="already_fulfilled") from None
    lines = []
    written: list[ReleaseLine] = []
    for entry in entries:
        item = entry.document or entry.media  # type: ignore[assignment]
        marks = [m for m in live_marks(item) if m.category in excluded]
        line = ReleaseLine(fulfilment=fulfilment, title=_title(item)[:200], **item_filter(item))
        if exclusion is not None and marks:
            labels = "、".join(sorted({str(SecretCategory(m.category).label) for m in marks}))
            line.released = False
            line.withheld_reason = f"该记录标注为{labels}，依法应保密，不予复制。"
            line.rule = exclusion.id
            line.article = exclusion.citation.label()
            line.quote = exclusion.citation.quote
        else:
            line.released = True
            line.sha256 = item_sha256(item)
        line.save()
        written.append(line)
        lines.append(
            {
                "item": _ref(item),
                "released": line.released,
                "sha256": line.sha256,
                "withheld_reason": line.withheld_reason,
                "rule": line.rule,
                "article": line.article,
            }
        )
    record_event(
        type=events.COPY_FULFILLED,
        actor=actor,
        agency=case.agency,
        case_uid=case.public_id,
        at=now,
        payload={"request": request.public_id, "lines": lines},
        rows=[fulfilment, *written],
    )
    return fulfilment
