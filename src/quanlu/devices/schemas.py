"""Output shapes of the devices API: the registry, checkouts and incidents."""

from __future__ import annotations

import datetime as dt
import uuid

from ninja import Schema
from pydantic import Field

from quanlu.api.schemas import Ref


class DeviceOut(Schema):
    id: uuid.UUID
    number: str = Field(description="设备统一编号")
    kind: str
    kind_label: str
    agency: Ref
    keeper: Ref
    status: str
    status_label: str
    brand_model: str
    serial_no: str
    purpose: str
    capabilities: list[str]
    registered_at: dt.datetime


class CheckoutOut(Schema):
    id: uuid.UUID
    device: str = Field(description="设备统一编号")
    officer: Ref
    checked_out_at: dt.datetime
    battery_percent: int
    storage_free_mb: int
    due_back_at: dt.datetime | None
    returned_at: dt.datetime | None = Field(description="尚未交回时为空")
    condition: str | None = Field(description="交回验收情况；尚未交回时为空")


class IncidentOut(Schema):
    id: uuid.UUID
    device: str = Field(description="设备统一编号")
    kind: str
    kind_label: str
    at: dt.datetime
    description: str
    status_after: str
    liable_officer: Ref | None


class DeviceDetailOut(DeviceOut):
    checkouts: list[CheckoutOut]
    incidents: list[IncidentOut]
