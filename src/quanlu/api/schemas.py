"""API input and output shapes; outputs never expose integer keys."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Self

from ninja import Schema
from pydantic import (
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)


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


class ActEndIn(Schema):
    ended_on: dt.date
    kind: str
    note: str = ""
    reason: str = ""  # asked when it corrects an earlier record
    client_token: uuid.UUID | None = None


class ActEndOut(Schema):
    id: uuid.UUID
    ended_on: dt.date
    kind: str
    kind_label: str
    note: str
    replaces: uuid.UUID | None
    correction_reason: str
    recorded_at: dt.datetime


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
    case: uuid.UUID | None  # None: a deadline of the agency (a rectification order's)
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


class AsGiven(Schema):
    """An output rendered exactly as the dict it was given: only the keys it had (a
    catalogue field's options, an audio-visual item's description appear only when they
    apply) and in the order it had them (a snapshot read back from a JSON column comes in
    the order PostgreSQL's jsonb keeps, not the order it was written in). The document
    still lists every key that may appear; the body stays what it was before it was typed."""

    _order: list[str] = PrivateAttr(default_factory=list)

    @model_validator(mode="wrap")
    @classmethod
    def _remember_order(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        model = handler(data)
        given = getattr(data, "_obj", data)  # django-ninja hands the dict over wrapped
        if isinstance(given, dict):
            model._order = [str(k) for k in given]
        return model

    # No return annotation: pydantic would take it for the serialised shape and document
    # ``{}``; without one the document shows the fields.
    @model_serializer(mode="wrap")
    def _as_given(self, handler: SerializerFunctionWrapHandler):
        out = handler(self)
        position = {key: i for i, key in enumerate(self._order)}
        keys = []
        for i, (name, field) in enumerate(type(self).model_fields.items()):
            if name in self.model_fields_set:
                given_as = field.alias or name
                rendered_as = name if name in out else given_as  # by_alias or not
                keys.append((position.get(given_as, len(position)), i, rendered_as))
        return {key: out[key] for _, _, key in sorted(keys)}


class ErrorDetailOut(AsGiven):
    """What is wrong: a field of the input (invalid input), or a rule that refuses the
    action, citing its article in the regulation's own words (refused)."""

    field: str | None = None
    rule: str | None = None
    message: str
    rulebook: str | None = None
    article: str | None = None
    quote: str | None = None
    source: str | None = Field(default=None, description="规定文件名")
    satisfy: str | None = Field(default=None, description="如何满足该规定")


class ErrorOut(Schema):
    code: str
    message: str
    details: list[ErrorDetailOut] = []


class WithheldOut(Schema):
    """Why content is not shown: the reader may not read a marked record."""

    mark: str = Field(description="涉密类别（中文，多个以顿号分隔）")
    categories: list[str]
    reason: str


class RuleResultOut(Schema):
    rule: str
    kind: str
    rulebook: str
    rulebook_version: int
    rulebook_title: str
    source: str
    article: str
    quote: str
    requirements: list[str]
    severity: str
    severity_label: str
    stage: str | list[str] | None = Field(description="规则适用的阶段（一个或多个）")
    status: str
    status_label: str
    message: str
    satisfy: str
    subjects: list[str]
    withheld: WithheldOut | None


class NextStepOut(Schema):
    to_stage: str
    label: str
    blocking: list[RuleResultOut]


class CaseCheckOut(Schema):
    case: uuid.UUID
    number: str
    stage: str
    blocking: list[RuleResultOut]
    results: list[RuleResultOut]
    next_steps: list[NextStepOut]


class RulebookSummaryOut(Schema):
    id: str
    version: int
    title: str
    issuer: str
    effective_from: dt.date | None
    rules: int = Field(description="规则条数")


class AlertOut(Schema):
    id: uuid.UUID
    level: str
    level_label: str
    raised_at: dt.datetime
    deadline: DeadlineOut
    case_number: str | None
    agency: Ref
