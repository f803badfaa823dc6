"""Devices over the API: registry, checkout and return, incidents (thin)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status

from quanlu.api.base import BODY_ERRORS, ERRORS, officer_of, ref
from quanlu.core.errors import InvalidInput
from quanlu.devices import schemas, services
from quanlu.devices import selectors as ds
from quanlu.devices.models import Checkout, Device, Incident
from quanlu.org.models import Officer

router = Router(tags=["音像记录设备"])


class DeviceIn(Schema):
    kind: str
    purpose: str
    device_no: str = ""
    brand_model: str = ""
    serial_no: str = ""
    capabilities: list[str] = []
    keeper: uuid.UUID | None = None


class CheckoutIn(Schema):
    officer: uuid.UUID
    battery_percent: int
    storage_free_mb: int
    purpose: str = ""
    case: uuid.UUID | None = None
    due_back_at: dt.datetime | None = None


class ReturnIn(Schema):
    condition: str
    battery_percent: int | None = None
    storage_free_mb: int | None = None
    note: str = ""


class IncidentIn(Schema):
    kind: str
    description: str
    liable_officer: uuid.UUID | None = None
    repairer: str = ""


def device_out(d: Device) -> dict[str, Any]:
    return {
        "id": d.public_id,
        "number": d.device_no,
        "kind": d.kind,
        "kind_label": d.get_kind_display(),
        "agency": ref(d.agency),
        "keeper": ref(d.keeper),
        "status": d.status,
        "status_label": d.get_status_display(),
        "brand_model": d.brand_model,
        "serial_no": d.serial_no,
        "purpose": d.purpose,
        "capabilities": d.capabilities,
        "registered_at": d.registered_at,
    }


def checkout_out(c: Checkout) -> dict[str, Any]:
    returned = getattr(c, "returned", None)
    return {
        "id": c.public_id,
        "device": c.device.device_no,
        "officer": ref(c.officer),
        "checked_out_at": c.checked_out_at,
        "battery_percent": c.battery_percent,
        "storage_free_mb": c.storage_free_mb,
        "due_back_at": c.due_back_at,
        "returned_at": returned.returned_at if returned else None,
        "condition": returned.condition if returned else None,
    }


def incident_out(i: Incident) -> dict[str, Any]:
    return {
        "id": i.public_id,
        "device": i.device.device_no,
        "kind": i.kind,
        "kind_label": i.get_kind_display(),
        "at": i.at,
        "description": i.description,
        "status_after": i.status_after,
        "liable_officer": ref(i.liable_officer),
    }


def _colleague(officer: Officer, public_id: uuid.UUID | None, field: str) -> Officer | None:
    if public_id is None:
        return None
    found = Officer.objects.filter(public_id=public_id, agency=officer.agency).first()
    if found is None:
        raise InvalidInput("应为本机关人员。", field_name=field)
    return found


@router.get(
    "/devices", response={200: list[schemas.DeviceOut], **ERRORS}, summary="音像记录设备列表（本人可见范围）"
)
def devices_list(request: HttpRequest, status: str = "") -> list[dict[str, Any]]:
    return [device_out(d) for d in ds.device_list_for(officer_of(request), status=status or None)]


@router.post("/devices", response={201: schemas.DeviceOut, **BODY_ERRORS}, summary="登记设备（统一编号）")
def devices_register(request: HttpRequest, payload: DeviceIn) -> Status[dict[str, Any]]:
    officer = officer_of(request)
    data = payload.dict()
    data["keeper"] = _colleague(officer, data.pop("keeper"), "keeper")
    return Status(201, device_out(services.device_register(actor=officer, **data)))


@router.get(
    "/devices/{device_id}", response={200: schemas.DeviceDetailOut, **ERRORS}, summary="设备详情与使用记录"
)
def devices_get(request: HttpRequest, device_id: str) -> dict[str, Any]:
    device = ds.device_get_for(officer_of(request), device_id)
    out = device_out(device)
    out["checkouts"] = [checkout_out(c) for c in device.checkouts.select_related("officer", "returned")]
    out["incidents"] = [incident_out(i) for i in device.incidents.all()]
    return out


@router.post(
    "/devices/{device_id}/checkouts",
    response={201: schemas.CheckoutOut, **BODY_ERRORS},
    summary="领用（含电量、存储检查）",
)
def devices_checkout(request: HttpRequest, device_id: str, payload: CheckoutIn) -> Status[dict[str, Any]]:
    officer = officer_of(request)
    device = ds.device_get_for(officer, device_id)
    holder = _colleague(officer, payload.officer, "officer")
    assert holder is not None
    checkout = services.device_checkout(
        actor=officer,
        device=device,
        officer=holder,
        battery_percent=payload.battery_percent,
        storage_free_mb=payload.storage_free_mb,
        purpose=payload.purpose,
        case_uid=payload.case,
        due_back_at=payload.due_back_at,
    )
    return Status(201, checkout_out(checkout))


@router.post(
    "/checkouts/{checkout_id}/return",
    response={201: schemas.CheckoutOut, **BODY_ERRORS},
    summary="交回登记验收",
)
def checkouts_return(request: HttpRequest, checkout_id: str, payload: ReturnIn) -> Status[dict[str, Any]]:
    officer = officer_of(request)
    checkout = ds.checkout_get_for(officer, checkout_id)
    services.device_return(actor=officer, checkout=checkout, **payload.dict())
    checkout.refresh_from_db()
    return Status(201, checkout_out(checkout))


@router.post(
    "/devices/{device_id}/incidents",
    response={201: schemas.IncidentOut, **BODY_ERRORS},
    summary="故障、维修、丢失、损毁、报废",
)
def devices_incident(request: HttpRequest, device_id: str, payload: IncidentIn) -> Status[dict[str, Any]]:
    officer = officer_of(request)
    device = ds.device_get_for(officer, device_id)
    data = payload.dict()
    data["liable_officer"] = _colleague(officer, data.pop("liable_officer"), "liable_officer")
    return Status(201, incident_out(services.device_incident_record(actor=officer, device=device, **data)))
