"""Everything that can happen to a device: ``grep "def device_"``.

Devices are managed by the agency's device keepers (设备管理人员, 001 第二十四条,
003 第三十四条); any of its officers may report a fault at once (001 第二十六条).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from quanlu.core.errors import Conflict, InvalidInput, PermissionDenied
from quanlu.core.validation import clean_choice, clean_text
from quanlu.devices import events
from quanlu.devices.models import (
    INCIDENT_STATUS,
    KIND_CODES,
    Capability,
    Checkout,
    Device,
    DeviceKind,
    DeviceNumberSequence,
    DeviceReturn,
    DeviceStatus,
    Incident,
    IncidentKind,
    ReturnCondition,
)
from quanlu.ledger.services import record_event
from quanlu.org.models import AgencyKind, Officer, Role

_DEVICE_NO = re.compile(r"^[0-9A-Za-z][0-9A-Za-z\-_.]{2,39}$")

# From which statuses each incident may be recorded.
INCIDENT_FROM: dict[str, tuple[str, ...]] = {
    IncidentKind.FAULT: (DeviceStatus.AVAILABLE, DeviceStatus.CHECKED_OUT),
    IncidentKind.REPAIR_STARTED: (DeviceStatus.FAULTY, DeviceStatus.DAMAGED),
    IncidentKind.REPAIRED: (DeviceStatus.IN_REPAIR, DeviceStatus.FAULTY, DeviceStatus.DAMAGED),
    IncidentKind.LOST: (DeviceStatus.AVAILABLE, DeviceStatus.CHECKED_OUT, DeviceStatus.FAULTY),
    IncidentKind.DAMAGED: (DeviceStatus.AVAILABLE, DeviceStatus.CHECKED_OUT, DeviceStatus.FAULTY),
    IncidentKind.RETIRED: (
        DeviceStatus.AVAILABLE,
        DeviceStatus.FAULTY,
        DeviceStatus.IN_REPAIR,
        DeviceStatus.DAMAGED,
        DeviceStatus.LOST,
    ),
}


def _require_keeper(actor: Officer, agency_id: int, action: str) -> None:
    if actor.agency_id != agency_id:
        raise PermissionDenied(f"只有本机关的设备管理人员可以{action}。")
    if not actor.is_active or not actor.has_role(Role.DEVICE_KEEPER):
        raise PermissionDenied(f"{action}需要「{Role.DEVICE_KEEPER.label}」角色。")


def _lock(device: Device) -> Device:
    return Device.objects.select_for_update().select_related("agency").get(pk=device.pk)


def _percent(value: Any, *, label: str, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise InvalidInput(f"「{label}」应为 0 到 100 之间的整数。", field_name=field)
    return value


def _megabytes(value: Any, *, label: str, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100_000_000:
        raise InvalidInput(f"「{label}」应为不小于 0 的整数（MB）。", field_name=field)
    return value


def _next_device_no(region_code: str, kind: str) -> str:
    seq, _ = DeviceNumberSequence.objects.select_for_update().get_or_create(
        region_code=region_code, kind=kind
    )
    DeviceNumberSequence.objects.filter(pk=seq.pk).update(last=F("last") + 1)
    seq.refresh_from_db()
    return f"{region_code}-{KIND_CODES[DeviceKind(kind)]}-{seq.last:04d}"


@transaction.atomic
def device_register(
    *,
    actor: Officer,
    kind: str,
    purpose: str,
    keeper: Officer | None = None,
    device_no: str = "",
    brand_model: str = "",
    serial_no: str = "",
    capabilities: list[str] | None = None,
    at: dt.datetime | None = None,
) -> Device:
    """Register a device under a unified number (统一登记编号, 003 第三十四条);
    without a number one is assigned: <行政区划代码>-<类别代码>-<序号>."""
    agency = actor.agency
    if agency is None or agency.kind != AgencyKind.ENFORCEMENT:
        raise PermissionDenied("只有行政执法机关可以登记音像记录设备。")
    _require_keeper(actor, agency.pk, "登记设备")
    kind = clean_choice(kind, label="设备类别", field="kind", choices=DeviceKind)
    purpose = clean_text(purpose, label="执法用途", field="purpose", max_length=200)
    brand_model = clean_text(
        brand_model, label="品牌型号", field="brand_model", max_length=100, required=False
    )
    serial_no = clean_text(serial_no, label="出厂序列号", field="serial_no", max_length=64, required=False)
    device_no = clean_text(device_no, label="设备编号", field="device_no", max_length=40, required=False)
    caps = []
    for cap in capabilities or []:
        caps.append(clean_choice(cap, label="特殊功能", field="capabilities", choices=Capability))
    keeper = keeper or actor
    if keeper.agency_id != agency.pk or not keeper.has_role(Role.DEVICE_KEEPER):
        raise InvalidInput("保管人应为本机关的设备管理人员。", field_name="keeper")
    if device_no:
        if not _DEVICE_NO.match(device_no):
            raise InvalidInput(
                "「设备编号」只能由字母、数字和 - _ . 组成（3 到 40 位）。", field_name="device_no"
            )
    else:
        device_no = _next_device_no(agency.region.code, kind)
    if Device.objects.filter(device_no=device_no).exists():
        raise Conflict(f"设备编号 {device_no} 已登记。", code="device_no_taken")
    if serial_no and Device.objects.filter(serial_no=serial_no).exists():
        raise Conflict(f"出厂序列号 {serial_no} 已登记为其他设备。", code="serial_taken")
    now = at or timezone.now()
    device = Device.objects.create(
        device_no=device_no,
        kind=kind,
        agency=agency,
        keeper=keeper,
        brand_model=brand_model,
        serial_no=serial_no,
        purpose=purpose,
        capabilities=sorted(set(caps)),
        registered_at=now,
        registered_by=actor,
    )
    record_event(
        type=events.DEVICE_REGISTERED,
        actor=actor,
        agency=agency,
        payload={
            "device": device.public_id,
            "device_no": device_no,
            "kind": kind,
            "keeper": keeper.public_id,
            "serial_no": serial_no,
            "purpose": purpose,
        },
        at=now,
        rows=[device],
    )
    return device


@transaction.atomic
def device_checkout(
    *,
    actor: Officer,
    device: Device,
    officer: Officer,
    battery_percent: Any,
    storage_free_mb: Any,
    purpose: str = "",
    case_uid: Any = None,
    due_back_at: dt.datetime | None = None,
    at: dt.datetime | None = None,
) -> Checkout:
    """Hand a device to an officer, recording the battery and storage check
    (001 第二十四条: 及时检查记录设备的电池容量、内存空间)."""
    device = _lock(device)
    _require_keeper(actor, device.agency_id, "发放设备")
    battery_percent = _percent(battery_percent, label="电池电量", field="battery_percent")
    storage_free_mb = _megabytes(storage_free_mb, label="剩余存储空间", field="storage_free_mb")
    purpose = clean_text(purpose, label="用途", field="purpose", max_length=200, required=False)
    now = at or timezone.now()
    if officer.agency_id != device.agency_id or not officer.is_active:
        raise InvalidInput("领用人应为本机关在职人员。", field_name="officer")
    if not officer.certificate_valid_on(timezone.localdate(now)):
        raise InvalidInput(f"{officer}没有有效的执法证件，不能领用执法记录设备。", field_name="officer")
    if device.status != DeviceStatus.AVAILABLE:
        raise Conflict(
            f"设备 {device.device_no} 当前状态为「{device.get_status_display()}」，不能领用。",
            code="device_unavailable",
        )
    if due_back_at is not None and due_back_at <= now:
        raise InvalidInput("应交回时间应晚于领用时间。", field_name="due_back_at")
    checkout = Checkout.objects.create(
        device=device,
        officer=officer,
        issued_by=actor,
        checked_out_at=now,
        battery_percent=battery_percent,
        storage_free_mb=storage_free_mb,
        purpose=purpose,
        case_uid=case_uid,
        due_back_at=due_back_at,
    )
    device.status = DeviceStatus.CHECKED_OUT
    device.save(update_fields=["status"])
    record_event(
        type=events.DEVICE_CHECKED_OUT,
        actor=actor,
        agency=device.agency,
        case_uid=case_uid,
        payload={
            "device": device.public_id,
            "device_no": device.device_no,
            "checkout": checkout.public_id,
            "officer": officer.public_id,
            "battery_percent": battery_percent,
            "storage_free_mb": storage_free_mb,
        },
        at=now,
        rows=[checkout, device],
    )
    return checkout


@transaction.atomic
def device_return(
    *,
    actor: Officer,
    checkout: Checkout,
    condition: str,
    battery_percent: Any = None,
    storage_free_mb: Any = None,
    note: str = "",
    at: dt.datetime | None = None,
) -> DeviceReturn:
    """Take a device back with the acceptance check (交回登记验收, 003 第三十四条).
    A device returned faulty or damaged, or not returned (lost), gets the matching
    incident, naming the holder as the officer answerable for it."""
    device = _lock(checkout.device)
    _require_keeper(actor, device.agency_id, "验收交回的设备")
    condition = clean_choice(condition, label="验收情况", field="condition", choices=ReturnCondition)
    if condition != ReturnCondition.LOST:
        battery_percent = _percent(battery_percent, label="电池电量", field="battery_percent")
        storage_free_mb = _megabytes(storage_free_mb, label="剩余存储空间", field="storage_free_mb")
    else:
        battery_percent = storage_free_mb = None
    note = clean_text(
        note, label="说明", field="note", max_length=2000, required=condition != ReturnCondition.GOOD
    )
    now = at or timezone.now()
    if DeviceReturn.objects.filter(checkout=checkout).exists():
        raise Conflict("该次领用已交回。", code="already_returned")
    if now < checkout.checked_out_at:
        raise InvalidInput("交回时间不能早于领用时间。", field_name="at")
    returned = DeviceReturn.objects.create(
        checkout=checkout,
        received_by=actor,
        returned_at=now,
        battery_percent=battery_percent,
        storage_free_mb=storage_free_mb,
        condition=condition,
        note=note,
    )
    written: list[Any] = [returned]
    if device.status == DeviceStatus.CHECKED_OUT:
        device.status = DeviceStatus.AVAILABLE
        device.save(update_fields=["status"])
        written.append(device)
    record_event(
        type=events.DEVICE_RETURNED,
        actor=actor,
        agency=device.agency,
        case_uid=checkout.case_uid,
        payload={
            "device": device.public_id,
            "device_no": device.device_no,
            "checkout": checkout.public_id,
            "officer": checkout.officer.public_id,
            "condition": condition,
            "battery_percent": battery_percent,
            "storage_free_mb": storage_free_mb,
            "late": bool(checkout.due_back_at and now > checkout.due_back_at),
        },
        at=now,
        rows=written,
    )
    incident = {
        ReturnCondition.FAULTY: IncidentKind.FAULT,
        ReturnCondition.DAMAGED: IncidentKind.DAMAGED,
        ReturnCondition.LOST: IncidentKind.LOST,
    }.get(ReturnCondition(condition))
    if incident is not None and device.status in INCIDENT_FROM[incident]:
        _incident(
            actor=actor,
            device=device,
            kind=incident,
            description=note,
            liable_officer=checkout.officer if incident != IncidentKind.FAULT else None,
            at=now,
        )
    return returned


@transaction.atomic
def device_incident_record(
    *,
    actor: Officer,
    device: Device,
    kind: str,
    description: str,
    liable_officer: Officer | None = None,
    repairer: str = "",
    at: dt.datetime | None = None,
) -> Incident:
    """Record a fault (any officer of the agency: 遇到故障应立即停止使用并及时报告,
    001 第二十六条), a repair, a loss, damage or retirement (the device keeper)."""
    device = _lock(device)
    kind = clean_choice(kind, label="事项", field="kind", choices=IncidentKind)
    if kind == IncidentKind.FAULT:
        if actor.agency_id != device.agency_id or not actor.is_active:
            raise PermissionDenied("只有本机关人员可以报告设备故障。")
    else:
        _require_keeper(actor, device.agency_id, "记录设备维修、丢失、损毁或报废")
    if liable_officer is not None and liable_officer.agency_id != device.agency_id:
        raise InvalidInput("责任人应为本机关人员。", field_name="liable_officer")
    return _incident(
        actor=actor,
        device=device,
        kind=kind,
        description=description,
        liable_officer=liable_officer,
        repairer=repairer,
        at=at,
    )


def _incident(
    *,
    actor: Officer,
    device: Device,
    kind: str,
    description: str,
    liable_officer: Officer | None = None,
    repairer: str = "",
    at: dt.datetime | None = None,
) -> Incident:
    description = clean_text(description, label="情况说明", field="description", max_length=2000)
    repairer = clean_text(repairer, label="维修单位", field="repairer", max_length=100, required=False)
    if device.status not in INCIDENT_FROM[kind]:
        raise Conflict(
            f"设备当前状态为「{device.get_status_display()}」，不能记录「{IncidentKind(kind).label}」。",
            code="bad_device_status",
        )
    now = at or timezone.now()
    status = INCIDENT_STATUS[IncidentKind(kind)]
    if kind == IncidentKind.REPAIRED and device.checkouts.filter(returned__isnull=True).exists():
        status = DeviceStatus.CHECKED_OUT  # repaired in the field, still with its holder
    incident = Incident.objects.create(
        device=device,
        kind=kind,
        at=now,
        reported_by=actor,
        description=description,
        liable_officer=liable_officer,
        repairer=repairer,
        status_after=status,
    )
    device.status = status
    device.save(update_fields=["status"])
    record_event(
        type=events.DEVICE_INCIDENT,
        actor=actor,
        agency=device.agency,
        payload={
            "device": device.public_id,
            "device_no": device.device_no,
            "incident": incident.public_id,
            "kind": kind,
            "status": status,
            "description": description,
            "liable_officer": liable_officer.public_id if liable_officer else None,
        },
        at=now,
        rows=[incident, device],
    )
    return incident
