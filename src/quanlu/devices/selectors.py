"""Reads about devices, always through what the reader may see."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet

from quanlu.core.errors import NotFound
from quanlu.core.validation import parse_uuid
from quanlu.devices.models import Checkout, Device
from quanlu.org.models import Officer, Role
from quanlu.org.selectors import visible_agencies


def device_list_for(officer: Officer, *, status: str | None = None, query: str = "") -> QuerySet[Device]:
    qs = Device.objects.filter(agency__in=visible_agencies(officer)).select_related("agency", "keeper")
    if status:
        qs = qs.filter(status=status)
    if query:
        qs = qs.filter(Q(device_no__icontains=query) | Q(serial_no__icontains=query))
    return qs.order_by("agency__path", "device_no")


def device_get_for(officer: Officer, public_id: Any) -> Device:
    """The device if ``officer`` may see it; otherwise 404, whether it exists or not."""
    try:
        uid = parse_uuid(public_id)
    except Exception as exc:
        raise NotFound() from exc
    device = device_list_for(officer).filter(public_id=uid).first()
    if device is None:
        raise NotFound()
    return device


def checkout_get_for(officer: Officer, public_id: Any) -> Checkout:
    try:
        uid = parse_uuid(public_id)
    except Exception as exc:
        raise NotFound() from exc
    checkout = (
        Checkout.objects.filter(public_id=uid, device__agency__in=visible_agencies(officer))
        .select_related("device", "device__agency", "officer")
        .first()
    )
    if checkout is None:
        raise NotFound()
    return checkout


def may_manage(officer: Officer, device: Device) -> bool:
    return officer.agency_id == device.agency_id and officer.has_role(Role.DEVICE_KEEPER)


def open_checkout(device: Device) -> Checkout | None:
    return device.checkouts.filter(returned__isnull=True).select_related("officer").first()


def checkouts_covering(
    device: Device, start: dt.datetime, end: dt.datetime | None = None
) -> QuerySet[Checkout]:
    """Checkouts of ``device`` whose holding period covers [start, end]."""
    end = end or start
    return (
        device.checkouts.filter(checked_out_at__lte=start)
        .filter(Q(returned__isnull=True) | Q(returned__returned_at__gte=end))
        .select_related("officer", "returned")
    )


def device_history(device: Device) -> list[dict[str, Any]]:
    """Checkouts, returns and incidents, newest first, for the device page."""
    rows: list[dict[str, Any]] = []
    for c in device.checkouts.select_related("officer", "issued_by", "returned", "returned__received_by"):
        rows.append({"at": c.checked_out_at, "kind": "checkout", "checkout": c})
        returned = getattr(c, "returned", None)
        if returned is not None:
            rows.append({"at": returned.returned_at, "kind": "return", "checkout": c, "returned": returned})
    for i in device.incidents.select_related("reported_by", "liable_officer"):
        rows.append({"at": i.at, "kind": "incident", "incident": i})
    rows.sort(key=lambda r: r["at"], reverse=True)
    return rows
