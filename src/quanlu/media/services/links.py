"""What a record covers (its links to steps and documents), which case it is
filed under, and the trail of who viewed, played or downloaded it."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from quanlu.cases.models import Case, Stage
from quanlu.cases.services import deadlines_refresh
from quanlu.core.errors import Conflict, InvalidInput, PermissionDenied
from quanlu.core.validation import clean_choice, clean_text, parse_uuid
from quanlu.ledger.services import record_event
from quanlu.media import events
from quanlu.media.models import MediaLink, MediaRecord
from quanlu.media.services.gaps import gaps_detect
from quanlu.media.services.intake import require_uploader
from quanlu.org.models import Officer


@transaction.atomic
def media_link(
    *,
    actor: Officer,
    record: MediaRecord,
    stage: str = "",
    step_label: str = "",
    document_uid: Any = None,
    note: str = "",
) -> MediaLink:
    """Say what the record covers (AV-01: 音像记录应当与文字记录相衔接): a new link
    that replaces the current one; gaps are recomputed for both activities."""
    if record.case is None:
        raise Conflict("请先将该音像记录归入案件，再关联执法环节。", code="unassigned")
    require_uploader(actor, record.case)
    if stage:
        stage = clean_choice(stage, label="阶段", field="stage", choices=Stage)
    step_label = clean_text(step_label, label="执法环节", field="step_label", max_length=200, required=False)
    note = clean_text(note, label="说明", field="note", max_length=500, required=False)
    doc = parse_uuid(document_uid, label="对应文字记录", field="document_uid") if document_uid else None
    if not (stage or step_label or doc):
        raise InvalidInput("请至少填写阶段、执法环节或对应文字记录之一。", field_name="step_label")
    previous = record.links.order_by("linked_at", "id").last()
    now = timezone.now()
    link = MediaLink.objects.create(
        record=record,
        stage=stage,
        step_label=step_label,
        document_uid=doc,
        note=note,
        linked_by=actor,
        linked_at=now,
        replaces=previous,
    )
    record_event(
        type=events.MEDIA_LINKED,
        actor=actor,
        agency=record.agency,
        case_uid=record.case.public_id,
        payload={
            "record": record.public_id,
            "link": link.public_id,
            "stage": stage,
            "step_label": step_label,
            "document": doc,
            "replaces": previous.public_id if previous else None,
        },
        at=now,
        rows=[link],
    )
    if record.device is not None:
        keys = {link.activity_key} | ({previous.activity_key} if previous else set())
        for key in keys:
            gaps_detect(actor=actor, case=record.case, device=record.device, activity_key=key)
    return link


@transaction.atomic
def media_assign(*, actor: Officer, record: MediaRecord, case: Case) -> MediaRecord:
    """File a docked record under its case (once); its upload deadline then shows there."""
    record = MediaRecord.objects.select_for_update().get(pk=record.pk)
    require_uploader(actor, case)
    if record.agency_id != case.agency_id:
        raise PermissionDenied("只能归入本机关的案件。")
    if record.case_id is not None:
        raise Conflict("该音像记录已归入案件。", code="already_assigned")
    if MediaRecord.objects.filter(case=case, sha256=record.sha256).exists():
        raise Conflict("本案已有内容相同的音像记录。", code="duplicate")
    record.case = case
    record.save(update_fields=["case"])
    record_event(
        type=events.MEDIA_ASSIGNED,
        actor=actor,
        agency=record.agency,
        case_uid=case.public_id,
        payload={"record": record.public_id, "sha256": record.sha256},
        rows=[record],
    )
    deadlines_refresh(actor=actor, case=case)
    return record


# ---------------------------------------------------------------- access trail


@transaction.atomic
def media_access_record(*, actor: Officer, record: MediaRecord, action: str) -> None:
    """Every view, playback start and download leaves an event (AV-11, ACC-04)."""
    kind = {
        "viewed": events.MEDIA_VIEWED,
        "streamed": events.MEDIA_STREAMED,
        "downloaded": events.MEDIA_DOWNLOADED,
    }[action]
    record_event(
        type=kind,
        actor=actor,
        agency=actor.agency,
        case_uid=record.case.public_id if record.case else None,
        payload={"record": record.public_id, "sha256": record.sha256},
    )
