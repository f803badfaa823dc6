"""Gaps between clips of one device in one activity, and the explanations of
why recording stopped (001 第二十二条)."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from quanlu.cases.models import Case, SignatureMethod
from quanlu.core.errors import InvalidInput
from quanlu.core.validation import clean_choice, clean_text, parse_uuid
from quanlu.devices.models import Device
from quanlu.ledger.services import record_event
from quanlu.media import events
from quanlu.media.models import (
    ExplanationForm,
    Gap,
    Interruption,
    InterruptionReason,
    InterruptionSignature,
    MediaKind,
    MediaRecord,
)
from quanlu.media.services.intake import require_uploader
from quanlu.org.models import Officer
from quanlu.rulebooks.evaluator import rulebook_for
from quanlu.rulebooks.loader import Rule
from quanlu.rulebooks.obligations import refusal

# Where the regulation is silent (only 001 第二十二条 asks 两名以上), one officer signs.
MIN_WRITTEN_SIGNERS = 1


def gaps_detect(*, actor: Officer | None, case: Case, device: Device, activity_key: str) -> list[Gap]:
    """Find pauses between consecutive clips of one device in one activity (AV-02,
    AV-07). Runs after every ingest and link; gaps filled by a later clip close."""
    if not activity_key:
        return []
    clips, label = _activity_clips(case, device, activity_key)
    pairs = _pauses(clips, dt.timedelta(seconds=settings.QUANLU_AV_GAP_SECONDS))
    now = timezone.now()
    found = []
    with transaction.atomic():
        for gap in Gap.objects.filter(
            case=case, device=device, activity_key=activity_key, closed_at__isnull=True
        ):
            if (gap.before_id, gap.after_id) not in pairs:
                gap.closed_at = now
                gap.save(update_fields=["closed_at"])
                record_event(
                    type=events.GAP_CLOSED,
                    actor=actor,
                    agency=case.agency,
                    case_uid=case.public_id,
                    payload={"gap": gap.public_id, "device": device.device_no},
                    at=now,
                    rows=[gap],
                )
        for before, after in pairs.values():
            assert before.captured_end is not None
            assert after.captured_start is not None
            gap, created = Gap.objects.get_or_create(
                before=before,
                after=after,
                defaults={
                    "case": case,
                    "device": device,
                    "activity_key": activity_key,
                    "activity_label": label[:200],
                    "starts_at": before.captured_end,
                    "ends_at": after.captured_start,
                    "detected_at": now,
                },
            )
            if created:
                record_event(
                    type=events.GAP_DETECTED,
                    actor=actor,
                    agency=case.agency,
                    case_uid=case.public_id,
                    payload={
                        "gap": gap.public_id,
                        "device": device.device_no,
                        "activity": gap.activity_label,
                        "before": before.public_id,
                        "after": after.public_id,
                        "starts_at": gap.starts_at,
                        "ends_at": gap.ends_at,
                        "seconds": gap.seconds,
                    },
                    at=now,
                    rows=[gap],
                )
            found.append(gap)
    return found


def _activity_clips(case: Case, device: Device, activity_key: str) -> tuple[list[MediaRecord], str]:
    """The device's audio and video clips of the case whose current link is the activity, in
    capture order, and the activity's label."""
    records = (
        MediaRecord.objects.filter(case=case, device=device, captured_start__isnull=False)
        .exclude(kind=MediaKind.PHOTO)
        .prefetch_related("links")
        .order_by("captured_start", "id")
    )
    clips = []
    label = ""
    for record in records:
        links = sorted(record.links.all(), key=lambda link: (link.linked_at, link.id))
        if links and links[-1].activity_key == activity_key:
            clips.append(record)
            label = links[-1].step_label or str(links[-1].document_uid)
    return clips, label


def _pauses(
    clips: list[MediaRecord], threshold: dt.timedelta
) -> dict[tuple[int, int], tuple[MediaRecord, MediaRecord]]:
    """(before, after) for each pause longer than ``threshold`` between the furthest-reaching
    clip so far and the next one to start."""
    pairs: dict[tuple[int, int], tuple[MediaRecord, MediaRecord]] = {}
    reach_end: dt.datetime | None = None
    reach: MediaRecord | None = None
    for clip in clips:
        if clip.captured_start is None or clip.captured_end is None:
            continue
        if reach is not None and reach_end is not None and clip.captured_start - reach_end > threshold:
            pairs[(reach.pk, clip.pk)] = (reach, clip)
        if reach_end is None or clip.captured_end > reach_end:
            reach, reach_end = clip, clip.captured_end
    return pairs


@dataclass(frozen=True)
class Signer:
    officer: Officer
    password: str = ""
    method: str = SignatureMethod.PASSWORD


@transaction.atomic
def interruption_record(
    *,
    actor: Officer,
    case: Case,
    reason: str,
    detail: str,
    form: str,
    gap: Gap | None = None,
    last_record: MediaRecord | None = None,
    spoken_in: MediaRecord | None = None,
    spoken_at_second: Any = None,
    statement: str = "",
    signers: list[Signer] | None = None,
    document_uid: Any = None,
    at: dt.datetime | None = None,
) -> Interruption:
    """Explain why recording stopped (001 第二十二条): on resumption, by voice in the
    resuming clip; when it could not resume, by a written statement after the on-site
    work, signed by as many officers as the regulation asks (001: two or more), each
    confirming with their password."""
    require_uploader(actor, case)
    reason = clean_choice(reason, label="中断原因", field="reason", choices=InterruptionReason)
    form = clean_choice(form, label="说明方式", field="form", choices=ExplanationForm)
    detail = clean_text(detail, label="情况说明", field="detail", max_length=2000)
    if gap is not None and gap.case_id != case.pk:
        raise InvalidInput("该中断不属于本案。", field_name="gap")
    if last_record is not None and last_record.case_id != case.pk:
        raise InvalidInput("中断前的记录不属于本案。", field_name="last_record")
    if gap is None and last_record is None:
        raise InvalidInput("请指明中断（或中断前的最后一段记录）。", field_name="gap")
    now = at or timezone.now()
    second = None
    statement_sha = ""
    signed: list[Signer] = []
    if form == ExplanationForm.SPOKEN:
        spoken_in, second = _spoken_at(case, gap, spoken_in, spoken_at_second)
    else:
        spoken_in = None
        statement = clean_text(statement, label="书面说明", field="statement", max_length=5000)
        statement_sha = hashlib.sha256(statement.encode("utf-8")).hexdigest()
        signed = _check_signers(case, signers or [], now)
    interruption = Interruption.objects.create(
        case=case,
        gap=gap,
        last_record=last_record or (gap.before if gap else None),
        reason=reason,
        detail=detail,
        form=form,
        spoken_in=spoken_in,
        spoken_at_second=second,
        statement=statement if form == ExplanationForm.WRITTEN else "",
        statement_sha256=statement_sha,
        recorded_by=actor,
        recorded_at=now,
        document_uid=parse_uuid(document_uid, label="对应文字记录", field="document_uid")
        if document_uid
        else None,
    )
    signatures = [
        InterruptionSignature.objects.create(
            interruption=interruption,
            officer=s.officer,
            certificate_no=s.officer.certificate_no,
            signed_at=now,
            method=s.method,
        )
        for s in signed
    ]
    record_event(
        type=events.INTERRUPTION_RECORDED,
        actor=actor,
        agency=case.agency,
        case_uid=case.public_id,
        payload={
            "interruption": interruption.public_id,
            "gap": gap.public_id if gap else None,
            "reason": reason,
            "form": form,
            "detail": detail,
            "spoken_in": spoken_in.public_id if spoken_in else None,
            "spoken_at_second": second,
            "statement_sha256": statement_sha,
            "signers": [{"officer": s.officer.public_id, "method": s.method} for s in signed],
        },
        at=now,
        rows=[interruption, *signatures],
    )
    return interruption


def _spoken_at(
    case: Case, gap: Gap | None, spoken_in: MediaRecord | None, spoken_at_second: Any
) -> tuple[MediaRecord, int | None]:
    """Where a spoken explanation is: in the clip that resumed recording after the gap (or
    the one named), optionally at a second within it."""
    if gap is None:
        raise InvalidInput("语音说明应在重新开始记录时作出：请指明已恢复记录的中断。", field_name="gap")
    spoken_in = spoken_in or gap.after
    if spoken_in.case_id != case.pk or spoken_in.kind == MediaKind.PHOTO:
        raise InvalidInput("语音说明应在本案的录音或录像中。", field_name="spoken_in")
    second = None
    if spoken_at_second not in (None, ""):
        if isinstance(spoken_at_second, bool) or not str(spoken_at_second).isdigit():
            raise InvalidInput("「语音说明位置」应为秒数。", field_name="spoken_at_second")
        second = int(spoken_at_second)
        if spoken_in.duration_ms is not None and second * 1000 > spoken_in.duration_ms:
            raise InvalidInput("「语音说明位置」超出了该记录的时长。", field_name="spoken_at_second")
    return spoken_in, second


def written_signers(case: Case) -> tuple[int, list[Rule]]:
    """How many officers sign a written statement of an interruption, and the rules that
    ask it: the regulation's number (001 第二十二条: 两名以上), else one."""
    rules = rulebook_for(case).rules_of("av_gaps_explained")
    return max([int(r.params.get("min_signers", 2)) for r in rules], default=MIN_WRITTEN_SIGNERS), rules


def _check_signers(case: Case, signers: list[Signer], now: dt.datetime) -> list[Signer]:
    seen: set[int] = set()
    for s in signers:
        if s.officer.pk in seen:
            raise InvalidInput(f"{s.officer}重复签字。", field_name="signers")
        seen.add(s.officer.pk)
        if s.officer.agency_id != case.agency_id or not s.officer.is_active:
            raise InvalidInput(f"{s.officer}不是本机关在职执法人员，不能签字。", field_name="signers")
        if not s.officer.certificate_valid_on(timezone.localdate(now)):
            raise InvalidInput(f"{s.officer}没有有效的执法证件，不能作为执法人员签字。", field_name="signers")
        if s.method == SignatureMethod.PASSWORD and not s.officer.check_password(s.password):
            raise InvalidInput(f"{s.officer}的密码不正确，签字未完成。", field_name="signers")
    minimum, rules = written_signers(case)
    if len(seen) < minimum:
        message = f"无法继续记录的书面说明应由{minimum}名以上执法人员签字，现有{len(seen)}名。"
        satisfy = f"由{minimum}名以上本机关持有效执法证件的执法人员在书面说明上签字。"
        if rules:
            raise refusal(rules, message, satisfy=satisfy, code="signers_short", field="signers", status=422)
        raise InvalidInput(message, field_name="signers")
    return signers
