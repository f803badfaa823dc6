"""API input and output shapes; outputs never expose integer keys."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from ninja import Schema
from pydantic import Field


class Ref(Schema):
    id: uuid.UUID
    name: str


class OfficerOut(Schema):
    id: uuid.UUID
    username: str
    full_name: str
    agency: Ref | None
    roles: list[str]
    certificate_no: str
    certificate_valid_until: dt.date | None


class CaseIn(Schema):
    kind: str
    procedure: str
    initiation_mode: str
    source: str
    cause: str
    reason: str
    source_detail: str = ""
    summary: str = ""
    is_major: bool = False
    emergency: bool = False
    emergency_reason: str = ""
    client_token: uuid.UUID | None = None


class CaseOut(Schema):
    id: uuid.UUID
    number: str
    agency: Ref
    rulebook: str
    kind: str
    kind_label: str
    procedure: str
    initiation_mode: str
    source: str
    source_detail: str
    cause: str
    reason: str
    summary: str
    is_major: bool
    emergency: bool
    emergency_reason: str
    stage: str
    stage_label: str
    lead_officer: Ref
    opened_at: dt.datetime
    started_at: dt.datetime
    closed_at: dt.datetime | None
    writable: bool


class AdvanceIn(Schema):
    to_stage: str
    from_stage: str | None = None
    reason: str = ""


class TransitionOut(Schema):
    from_stage: str
    to_stage: str
    at: dt.datetime
    reason: str


class PartyIn(Schema):
    kind: str
    name: str
    id_type: str
    id_number: str
    legal_representative: str = ""
    address: str = ""
    phone: str = ""
    client_token: uuid.UUID | None = None


class PartyOut(Schema):
    id: uuid.UUID
    kind: str
    name: str
    id_type: str
    id_number: str
    legal_representative: str
    address: str
    phone: str
    added_at: dt.datetime


class ApprovalIn(Schema):
    gate: str
    opinion: str
    reasons: str
    client_token: uuid.UUID | None = None


class DecisionIn(Schema):
    opinion: str
    step_index: int | None = Field(default=None, ge=0, le=10)


class StepOut(Schema):
    index: int
    role: str
    role_label: str
    actor: Ref
    outcome: str
    opinion: str
    signed_at: dt.datetime
    signature_method: str


class ApprovalOut(Schema):
    id: uuid.UUID
    case: uuid.UUID
    case_number: str
    gate: str
    gate_label: str
    supplementary: bool
    chain: list[str]
    status: str
    requested_by: Ref
    requested_at: dt.datetime
    opinion: str
    reasons: str
    decided_at: dt.datetime | None
    next_role: str | None
    steps: list[StepOut]


class EventOut(Schema):
    seq: int
    id: uuid.UUID
    type: str
    label: str
    at: dt.datetime
    actor: Ref | None
    payload: dict[str, Any]


class DeadlineOut(Schema):
    id: uuid.UUID
    case: uuid.UUID
    kind: str
    title: str
    starts_at: dt.datetime
    due_at: dt.datetime
    met_at: dt.datetime | None
    level: str
    status: str
    rule: str
    rulebook: str
    article: str
    quote: str


class ErrorOut(Schema):
    code: str
    message: str
    details: list[dict[str, Any]] = []
