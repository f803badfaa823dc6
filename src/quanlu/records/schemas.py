"""Output shapes of the records API: the catalogue, documents, versions, signatures."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from ninja import Schema
from pydantic import Field

from quanlu.api.schemas import AsGiven, Ref, WithheldOut

Scalar = str | int | float | bool


class ConditionOut(AsGiven):
    """When a field or signature applies: exactly one of ``in``, ``equals``, ``present``."""

    field: str
    in_: list[Scalar] | None = Field(None, alias="in")
    equals: Scalar | None = None
    present: bool | None = None


class ChoiceOut(Schema):
    value: str
    label: str


class FieldSpecOut(AsGiven):
    """A field of a document type; the keys after ``required`` appear only when they apply."""

    key: str
    label: str
    type: str
    required: bool
    when: ConditionOut | None = None
    options: list[ChoiceOut] | None = None
    columns: list[FieldSpecOut] | None = None
    speakers: list[ChoiceOut] | None = None
    rights: list[str] | None = None
    extra_rights: dict[str, list[str]] | None = Field(None, description="规则集 → 另需告知的权利")
    min_count: int | None = None


class SignatureSpecOut(Schema):
    key: str
    label: str
    roles: list[str]
    kinds: list[str]
    min: int
    from_field: str
    refusal_allowed: bool
    optional: bool
    when: ConditionOut | None


class CitedByOut(Schema):
    source: str
    article: str


class DocumentTypeOut(Schema):
    code: str
    title: str
    also_named: list[str]
    stage: str
    stage_label: str
    category: str
    category_label: str
    origin: str
    layout: str
    numbered: bool
    party_record: bool
    cited_by: list[CitedByOut]
    fields: list[FieldSpecOut]
    signatures: list[SignatureSpecOut]
    file: str


class VersionOut(Schema):
    id: uuid.UUID
    number: int
    fields: dict[str, Any] | None = Field(description="文书内容（按文书类型的栏目）；涉密且无权查看时为空")
    content_sha256: str
    replaces: int | None = Field(description="所更正的版本号")
    changed_fields: list[str]
    reason: str | None = Field(description="更正理由；涉密且无权查看时为空")
    created_at: dt.datetime
    created_by: Ref
    pdf_sha256: str
    docx_sha256: str
    pages: int
    file_sha256: str
    file_type: str
    completed_at: dt.datetime | None
    signed_pdf_sha256: str
    signed_docx_sha256: str


class ExpectedSignerOut(Schema):
    label: str
    done: bool
    by: str


class SignatureSlotOut(Schema):
    slot: str
    label: str
    roles: list[str]
    kinds: list[str]
    officer_slot: bool
    refusal_allowed: bool
    refusal_min_officers: int
    satisfied: bool
    expected: list[ExpectedSignerOut] | None = Field(description="应签署的人；涉密且无权查看时为空")


class SignatureOut(Schema):
    id: uuid.UUID
    slot: str
    role: str
    kind: str
    signer_name: str | None = Field(description="涉密且无权查看时为空")
    officer: Ref | None
    method: str
    image_sha256: str
    signed_at: dt.datetime
    version: int


class RefusalOut(Schema):
    id: uuid.UUID
    slot: str
    person_name: str | None = Field(description="涉密且无权查看时为空")
    reason: str | None = Field(description="涉密且无权查看时为空")
    recorded_at: dt.datetime
    officers: list[Ref]


class VoidedOut(Schema):
    reason: str | None = Field(description="作废理由；涉密且无权查看时为空")
    voided_at: dt.datetime
    voided_by: str


class DocumentOut(Schema):
    id: uuid.UUID
    case: uuid.UUID
    case_number: str
    type: str
    title: str
    stage: str
    origin: str
    number: str
    issuer: str
    created_at: dt.datetime
    version: int
    content_sha256: str
    complete: bool
    missing: list[str] | None = Field(description="尚缺的内容和签署；涉密且无权查看时为空")
    writable: bool
    withheld: WithheldOut | None = Field(description="涉密且无权查看：只给出元数据")
    voided: VoidedOut | None = Field(default=None, description="已作废：理由、时间和作废人")


class DocumentDetailOut(DocumentOut):
    versions: list[VersionOut]
    signature_set: list[SignatureSlotOut]
    signatures: list[SignatureOut]
    refusals: list[RefusalOut]


class _RefusalFirst(Schema):
    refusal: uuid.UUID = Field(description="所记录的拒签的公开标识")


class RefusalRecordedOut(DocumentDetailOut, _RefusalFirst):
    """The document after a refusal is recorded, led by the refusal's id. (Fields are
    ordered by the reversed MRO, so ``refusal`` comes first, as the body always had it.)"""
