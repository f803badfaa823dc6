"""Output shapes of the access API: marks, content grants and copy requests."""

from __future__ import annotations

import datetime as dt
import uuid

from ninja import Schema
from pydantic import Field

from quanlu.api.schemas import Ref


class ItemRefOut(Schema):
    kind: str = Field(description="document（文书）或 media（音像记录）")
    id: uuid.UUID


class MarkOut(Schema):
    id: uuid.UUID
    item: ItemRefOut
    action: str = Field(description="marked 标注 / lifted 解除")
    category: str
    category_label: str
    reason: str
    lifts: uuid.UUID | None = Field(description="解除的是哪一条标注")
    live: bool = Field(description="标注仍然有效（未被解除）")
    actor: Ref
    at: dt.datetime


class GrantOut(Schema):
    id: uuid.UUID
    item: ItemRefOut
    grantee: Ref
    at: dt.datetime


class CopyDecisionOut(Schema):
    outcome: str
    reason: str
    basis: str
    actor: Ref
    at: dt.datetime


class ReleaseLineOut(Schema):
    item: ItemRefOut
    title: str
    released: bool
    sha256: str
    withheld_reason: str
    rule: str
    article: str
    quote: str


class ReleaseOut(Schema):
    actor: Ref
    at: dt.datetime
    lines: list[ReleaseLineOut]


class CopyRequestOut(Schema):
    id: uuid.UUID
    case: uuid.UUID
    mode: str
    requester_name: str
    purpose: str
    items: list[ItemRefOut]
    status: str
    registered_by: Ref
    registered_at: dt.datetime
    decision: CopyDecisionOut | None
    release: ReleaseOut | None
