"""Legal holds: keep a case's records from disposal, whatever their retention."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from quanlu.archive import events
from quanlu.archive.locking import sync_holds
from quanlu.archive.models import LegalHold
from quanlu.archive.services.common import _lock_case
from quanlu.cases.models import Case
from quanlu.core.errors import Conflict, PermissionDenied
from quanlu.core.validation import clean_text
from quanlu.ledger.services import record_event
from quanlu.org.models import Officer, Role


def _require_hold_keeper(actor: Officer, case: Case, action: str) -> None:
    if actor.agency_id != case.agency_id:
        raise PermissionDenied(f"只有本案办案机关的人员可以{action}。")
    if not actor.is_active or not actor.has_role(Role.ARCHIVIST, Role.APPROVER):
        raise PermissionDenied(f"{action}需要档案管理人员或机关负责人角色。")


@transaction.atomic
def legal_hold_place(*, actor: Officer, case: Case, reason: str) -> LegalHold:
    """Keep a case's records from disposal (诉讼、复议、审计、执法监督 …), whatever its retention."""
    case = _lock_case(case)
    _require_hold_keeper(actor, case, "设置保全")
    reason = clean_text(reason, label="保全事由", field="reason", max_length=2000)
    hold = LegalHold.objects.create(case=case, reason=reason, placed_by=actor, placed_at=timezone.now())
    record_event(
        type=events.HOLD_PLACED,
        actor=actor,
        agency=case.agency,
        case_uid=case.public_id,
        at=hold.placed_at,
        payload={"hold": hold.public_id, "reason": reason},
        rows=[hold],
    )
    transaction.on_commit(lambda: sync_holds(hold.case))  # the object store's legal hold
    return hold


@transaction.atomic
def legal_hold_release(*, actor: Officer, hold: LegalHold, reason: str) -> LegalHold:
    hold = LegalHold.objects.select_for_update().select_related("case", "case__agency").get(pk=hold.pk)
    _require_hold_keeper(actor, hold.case, "解除保全")
    if hold.released_at is not None:
        raise Conflict("该保全已经解除。", code="hold_released")
    reason = clean_text(reason, label="解除理由", field="reason", max_length=2000)
    hold.released_by = actor
    hold.released_at = timezone.now()
    hold.release_reason = reason
    hold.save(update_fields=["released_by", "released_at", "release_reason"])
    record_event(
        type=events.HOLD_RELEASED,
        actor=actor,
        agency=hold.case.agency,
        case_uid=hold.case.public_id,
        at=hold.released_at,
        payload={"hold": hold.public_id, "reason": reason},
        rows=[hold],
    )
    transaction.on_commit(lambda: sync_holds(hold.case))  # the object store's legal hold
    return hold
