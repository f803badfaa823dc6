"""Audio-visual records over the API (thin). Uploads themselves (multipart and tus)
stream through ``quanlu.media.uploads``, outside django-ninja, so that no request
body is ever buffered."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status

from quanlu.access.selectors import ContentView, content_view
from quanlu.api.base import BODY_ERRORS, ERRORS, officer_of, signature_method
from quanlu.cases import selectors as cs
from quanlu.core.errors import InvalidInput
from quanlu.media import schemas, services
from quanlu.media import selectors as ms
from quanlu.media.models import Gap, Interruption, MediaRecord
from quanlu.media.uploads import record_json
from quanlu.org.models import Officer

router = Router(tags=["音像记录"])


class LinkIn(Schema):
    stage: str = ""
    step_label: str = ""
    document_uid: uuid.UUID | None = None
    note: str = ""


class AssignIn(Schema):
    case: uuid.UUID


class SignerIn(Schema):
    officer: uuid.UUID
    password: str = ""


class InterruptionIn(Schema):
    reason: str
    detail: str
    form: str
    spoken_at_second: int | None = None
    statement: str = ""
    signers: list[SignerIn] = []
    document_uid: uuid.UUID | None = None


def gap_out(g: Gap) -> dict[str, Any]:
    return {
        "id": g.public_id,
        "device": g.device.device_no,
        "activity": g.activity_label,
        "before": g.before.public_id,
        "after": g.after.public_id,
        "starts_at": g.starts_at,
        "ends_at": g.ends_at,
        "seconds": g.seconds,
        "closed": g.closed_at is not None,
        "explained": g.explanations.exists(),
    }


def interruption_out(i: Interruption) -> dict[str, Any]:
    return {
        "id": i.public_id,
        "gap": i.gap.public_id if i.gap else None,
        "reason": i.reason,
        "form": i.form,
        "detail": i.detail,
        "statement_sha256": i.statement_sha256,
        "signers": [
            {"officer": s.officer.public_id, "name": s.officer.full_name, "method": s.method}
            for s in i.signatures.all()
        ],
    }


def media_out(record: MediaRecord, view: ContentView) -> dict[str, Any]:
    """A record's metadata, and ``withheld`` (the mark and the reason) when it is marked
    and the reader may not have its content (bytes, poster, place)."""
    withheld = view.withheld(record)
    return {**record_json(record), "withheld": withheld.as_dict() if withheld else None}


@router.get(
    "/cases/{case_id}/media", response={200: list[schemas.MediaOut], **ERRORS}, summary="本案的音像记录"
)
def media_of_case(request: HttpRequest, case_id: str) -> list[dict[str, Any]]:
    officer = officer_of(request)
    case = cs.case_get_for(officer, case_id)
    view = content_view(officer, cases=[case])
    return [media_out(r, view) for r in ms.media_list_for(officer, case=case)]


@router.get(
    "/media/records/{record_id}", response={200: schemas.MediaDetailOut, **ERRORS}, summary="音像记录详情"
)
def media_get(request: HttpRequest, record_id: str) -> dict[str, Any]:
    officer = officer_of(request)
    record = ms.media_get_for(officer, record_id)
    out = media_out(record, content_view(officer, items=[record]))
    link = ms.current_link(record)
    out["link"] = (
        {"stage": link.stage, "step_label": link.step_label, "document_uid": link.document_uid}
        if link
        else None
    )
    return out


@router.post(
    "/media/records/{record_id}/links",
    response={201: schemas.MediaLinkOut, **BODY_ERRORS},
    summary="关联执法环节、文字记录",
)
def media_link(request: HttpRequest, record_id: str, payload: LinkIn) -> Status[dict[str, Any]]:
    officer = officer_of(request)
    record = ms.media_get_for(officer, record_id)
    link = services.media_link(actor=officer, record=record, **payload.dict())
    return Status(201, {"id": link.public_id, "activity": link.activity_key})


@router.post(
    "/media/records/{record_id}/assign",
    response={200: schemas.MediaRecordOut, **BODY_ERRORS},
    summary="将入库的音像记录归入案件",
)
def media_assign(request: HttpRequest, record_id: str, payload: AssignIn) -> dict[str, Any]:
    officer = officer_of(request)
    record = ms.media_get_for(officer, record_id)
    case = cs.case_get_for(officer, payload.case)
    return record_json(services.media_assign(actor=officer, record=record, case=case))


@router.get(
    "/cases/{case_id}/media/gaps",
    response={200: list[schemas.GapOut], **ERRORS},
    summary="本案音像记录的中断",
)
def media_gaps(request: HttpRequest, case_id: str) -> list[dict[str, Any]]:
    case = cs.case_get_for(officer_of(request), case_id)
    return [gap_out(g) for g in ms.gaps_of(case)]


@router.post(
    "/media/gaps/{gap_id}/interruptions",
    response={201: schemas.InterruptionOut, **BODY_ERRORS},
    summary="说明中断原因",
)
def media_explain(request: HttpRequest, gap_id: str, payload: InterruptionIn) -> Status[dict[str, Any]]:
    officer = officer_of(request)
    gap = ms.gap_get_for(officer, gap_id)
    signers = []
    for s in payload.signers:
        who = Officer.objects.filter(public_id=s.officer, agency=gap.case.agency).first()
        if who is None:
            raise InvalidInput("签字人应为本机关人员。", field_name="signers")
        # The caller signs with their token; everyone else confirms with a password.
        method = signature_method(request) if who.pk == officer.pk and not s.password else "password"
        signers.append(services.Signer(officer=who, password=s.password, method=method))
    data = payload.dict()
    data.pop("signers")
    interruption = services.interruption_record(
        actor=officer, case=gap.case, gap=gap, signers=signers, **data
    )
    return Status(201, interruption_out(interruption))
