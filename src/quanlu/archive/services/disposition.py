"""Disposition: a request (鉴定意见), two approvals by different approvers, then the
execution (tombstones, bytes removed, hashes and events kept, 销毁清册)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone

from quanlu.archive import disposal as disposals
from quanlu.archive import dossier as plans
from quanlu.archive import events, sealing
from quanlu.archive.models import (
    ApprovalOutcome,
    DispositionApproval,
    DispositionRequest,
    DispositionStatus,
    Dossier,
    DossierStatus,
)
from quanlu.archive.selectors import is_disposal_approver
from quanlu.archive.services.common import _lock_dossier, _require_archivist, log
from quanlu.blobs.models import Blob, Tombstone
from quanlu.blobs.services import blob_dispose, blob_dispose_bytes, blob_store_bytes
from quanlu.blobs.store import BlobError, check_sha256
from quanlu.cases.models import SignatureMethod
from quanlu.core.errors import Conflict, NotFound, PermissionDenied, Refused
from quanlu.core.validation import clean_choice, clean_text
from quanlu.ledger.services import record_event
from quanlu.org.models import Officer


def _refuse_disposal(dossier: Dossier) -> None:
    found = disposals.disposal_refusals(dossier)
    if found:
        raise Refused("不能销毁：" + "；".join(f.message for f in found), found, code="disposal_refused")


def disposition_request(
    *, actor: Officer, dossier: Dossier, reason: str, client_token: uuid.UUID | None = None
) -> DispositionRequest:
    """Ask to dispose of a dossier whose retention has ended (鉴定意见). Two approvers decide."""
    if client_token is not None:
        existing = DispositionRequest.objects.filter(client_token=client_token).first()
        if existing is not None:
            if existing.requested_by_id != actor.pk:
                raise Conflict("提交标识已被他人使用，请刷新页面后重试。", code="token_reused")
            return existing
    try:
        return _disposition_request(actor=actor, dossier=dossier, reason=reason, client_token=client_token)
    except IntegrityError as exc:
        raise Conflict("该案卷已有待批准或待执行的销毁申请。", code="disposition_open") from exc


@transaction.atomic
def _disposition_request(
    *, actor: Officer, dossier: Dossier, reason: str, client_token: uuid.UUID | None
) -> DispositionRequest:
    dossier = _lock_dossier(dossier)
    _require_archivist(actor, dossier.case, "申请销毁")
    reason = clean_text(reason, label="鉴定意见", field="reason", max_length=2000)
    _refuse_disposal(dossier)
    if dossier.dispositions.filter(
        status__in=(DispositionStatus.PENDING, DispositionStatus.APPROVED)
    ).exists():
        raise Conflict("该案卷已有待批准或待执行的销毁申请。", code="disposition_open")
    request = DispositionRequest.objects.create(
        dossier=dossier,
        reason=reason,
        status=DispositionStatus.PENDING,
        requested_by=actor,
        requested_at=timezone.now(),
        client_token=client_token,
    )
    record_event(
        type=events.DISPOSITION_REQUESTED,
        actor=actor,
        agency=dossier.agency,
        case_uid=dossier.case.public_id,
        at=request.requested_at,
        payload={
            "disposition": request.public_id,
            "dossier": dossier.public_id,
            "archive_number": dossier.archive_number,
            "retention": dossier.retention,
            "retention_until": dossier.retention_until(),
            "reason": reason,
        },
        rows=[request],
    )
    return request


REQUIRED_APPROVALS = 2


def _decide_disposition(
    *, actor: Officer, request: DispositionRequest, outcome: str, opinion: str, signature_method: str
) -> DispositionApproval:
    request = (
        DispositionRequest.objects.select_for_update()
        .select_related("dossier", "dossier__case", "dossier__agency")
        .get(pk=request.pk)
    )
    agency = request.dossier.agency
    if actor.agency_id != agency.pk:
        raise PermissionDenied("只有本机关负责人可以审批销毁。")
    if not is_disposal_approver(actor, agency):
        raise PermissionDenied("审批销毁需要批准人（机关负责人）角色。")
    if actor.pk == request.requested_by_id:
        raise PermissionDenied("申请人不能审批自己的销毁申请。")
    if request.approvals.filter(officer=actor).exists():
        raise _same_approver(request)
    if request.status != DispositionStatus.PENDING:
        raise Conflict(f"该销毁申请已{request.get_status_display()}。", code="disposition_decided")
    opinion = clean_text(opinion, label="意见", field="opinion", max_length=2000)
    signature_method = clean_choice(
        signature_method,
        label="签名方式",
        field="signature_method",
        choices=SignatureMethod,
    )
    if outcome == ApprovalOutcome.APPROVED:
        _refuse_disposal(request.dossier)
    now = timezone.now()
    try:
        with transaction.atomic():
            approval = DispositionApproval.objects.create(
                request=request,
                officer=actor,
                outcome=outcome,
                opinion=opinion,
                signature_method=signature_method,
                signed_at=now,
            )
    except IntegrityError as exc:
        raise _same_approver(request) from exc
    approvers = set(
        request.approvals.filter(outcome=ApprovalOutcome.APPROVED).values_list("officer_id", flat=True)
    )
    if outcome == ApprovalOutcome.REJECTED:
        request.status = DispositionStatus.REJECTED
        request.decided_at = now
    elif len(approvers) >= REQUIRED_APPROVALS:
        request.status = DispositionStatus.APPROVED
        request.decided_at = now
    request.save(update_fields=["status", "decided_at"])
    record_event(
        type=events.DISPOSITION_APPROVED
        if outcome == ApprovalOutcome.APPROVED
        else events.DISPOSITION_REJECTED,
        actor=actor,
        agency=agency,
        case_uid=request.dossier.case.public_id,
        at=now,
        payload={
            "disposition": request.public_id,
            "dossier": request.dossier.public_id,
            "opinion": opinion,
            "signature_method": signature_method,
            "approvals": len(approvers),
            "status": request.status,
        },
        rows=[approval, request],
    )
    return approval


def _same_approver(request: DispositionRequest) -> Refused:
    return Refused(
        "同一人不能两次审批同一销毁申请：销毁须经两名不同的批准人同意。",
        [
            plans.archive_finding(
                request.dossier.case, "archive.two_approvers", "销毁须经两名不同的批准人同意"
            )
        ],
        code="same_approver",
    )


@transaction.atomic
def disposition_approve(
    *, actor: Officer, request: DispositionRequest, opinion: str, signature_method: str
) -> DispositionApproval:
    return _decide_disposition(
        actor=actor,
        request=request,
        outcome=ApprovalOutcome.APPROVED,
        opinion=opinion,
        signature_method=signature_method,
    )


@transaction.atomic
def disposition_reject(
    *, actor: Officer, request: DispositionRequest, opinion: str, signature_method: str
) -> DispositionApproval:
    return _decide_disposition(
        actor=actor,
        request=request,
        outcome=ApprovalOutcome.REJECTED,
        opinion=opinion,
        signature_method=signature_method,
    )


def disposition_execute(*, actor: Officer, request: DispositionRequest) -> DispositionRequest:
    """Dispose of an approved request's dossier: tombstones and events in one transaction,
    then the bytes removed from the store. What other cases share is kept."""
    request, tombstones = _disposition_execute(actor=actor, request=request)
    for tombstone in tombstones:
        try:
            blob_dispose_bytes(tombstone)
        except (BlobError, NotFound, OSError):
            # The tombstone stands; the bytes can be removed again later (idempotent).
            log.exception("archive: removing the bytes of %s failed", tombstone.blob_id)
    return request


@transaction.atomic
def _disposition_execute(
    *, actor: Officer, request: DispositionRequest
) -> tuple[DispositionRequest, list[Tombstone]]:
    request = (
        DispositionRequest.objects.select_for_update()
        .select_related("dossier", "dossier__case", "dossier__agency", "requested_by")
        .get(pk=request.pk)
    )
    dossier = _lock_dossier(request.dossier)
    case = dossier.case
    _require_archivist(actor, case, "执行销毁")
    approvals = _approvals_to_execute(request)
    _refuse_disposal(dossier)
    contents = disposals.case_blobs(case, dossier)
    shared = disposals.shared_elsewhere(set(contents), case)
    already = set(Tombstone.objects.filter(blob_id__in=list(contents)).values_list("blob_id", flat=True))
    now = timezone.now()
    authority = {
        "disposition": str(request.public_id),
        "dossier": str(dossier.public_id),
        "archive_number": dossier.archive_number,
        "approvals": [str(a.officer.public_id) for a in approvals],
    }
    blobs = Blob.objects.in_bulk(list(contents))
    disposed = [
        (sha, title)
        for sha, title in sorted(contents.items())
        if sha not in shared and sha not in already and sha in blobs
    ]
    kept = [(sha, title) for sha, title in sorted(contents.items()) if sha in shared]
    register = _disposal_register(
        request=request,
        dossier=dossier,
        approvals=approvals,
        actor=actor,
        now=now,
        disposed=disposed,
        kept=kept,
        sizes={s: blobs[s].size for s, _ in disposed},
    )
    register_blob, _ = blob_store_bytes(actor=actor, agency=case.agency, data=register)
    tombstones = [
        blob_dispose(
            actor=actor,
            agency=case.agency,
            sha256=check_sha256(sha),
            reason=f"案卷 {dossier.archive_number} 保管期满销毁（{title}）",
            authority=authority,
        )
        for sha, title in disposed
    ]
    dossier.status = DossierStatus.DISPOSED
    dossier.disposed_at = now
    dossier.save(update_fields=["status", "disposed_at"])
    request.status = DispositionStatus.EXECUTED
    request.executed_by = actor
    request.executed_at = now
    request.register_sha256 = register_blob.sha256
    request.save(update_fields=["status", "executed_by", "executed_at", "register_sha256"])
    record_event(
        type=events.DISPOSITION_EXECUTED,
        actor=actor,
        agency=case.agency,
        case_uid=case.public_id,
        at=now,
        payload={
            "disposition": request.public_id,
            "dossier": dossier.public_id,
            "archive_number": dossier.archive_number,
            "approvals": authority["approvals"],
            "disposed": [{"sha256": s, "size": blobs[s].size, "sm3": blobs[s].sm3} for s, _ in disposed],
            "kept": [s for s, _ in kept],
            "register": {"sha256": register_blob.sha256, "size": register_blob.size},
        },
        rows=[dossier, request],
    )
    return request, tombstones


def _disposal_register(
    *,
    request: DispositionRequest,
    dossier: Dossier,
    approvals: list[DispositionApproval],
    actor: Officer,
    now: dt.datetime,
    disposed: list[tuple[str, str]],
    kept: list[tuple[str, str]],
    sizes: dict[str, int],
) -> bytes:
    """The 销毁清册 (PDF): what was disposed of and kept, on whose request and approvals."""
    return sealing.render(
        "disposal",
        {
            "archive_number": dossier.archive_number,
            "title": dossier.title,
            "case_number": dossier.case.number,
            "retention": dossier.get_retention_display(),
            "until": (dossier.retention_until() or "").__str__(),
            "reason": request.reason,
            "requested_by": request.requested_by.full_name,
            "requested_at": timezone.localtime(request.requested_at).strftime("%Y-%m-%d %H:%M"),
            "approvals": [
                {
                    "name": a.officer.full_name,
                    "at": timezone.localtime(a.signed_at).strftime("%Y-%m-%d %H:%M"),
                    "opinion": a.opinion,
                }
                for a in approvals
            ],
            "executed_by": actor.full_name,
            "executed_at": timezone.localtime(now).strftime("%Y-%m-%d %H:%M"),
            "disposed": [{"title": t, "sha256": s, "size": sizes[s]} for s, t in disposed],
            "kept": [{"title": t, "sha256": s} for s, t in kept],
        },
        "档案销毁清册",
        dossier.case,
        f"档号：{dossier.archive_number}",
    )


def _approvals_to_execute(request: DispositionRequest) -> list[DispositionApproval]:
    """The approvals of an approved request: two different approvers at least."""
    if request.status != DispositionStatus.APPROVED:
        raise Conflict(
            f"销毁申请处于「{request.get_status_display()}」状态：须经两名不同的批准人同意后才能执行。",
            code="not_approved",
        )
    approvals = list(request.approvals.filter(outcome=ApprovalOutcome.APPROVED).select_related("officer"))
    approvers = {a.officer_id for a in approvals}
    if len(approvers) < REQUIRED_APPROVALS:
        raise Conflict("销毁须经两名不同的批准人同意。", code="not_approved")
    return approvals
