"""Output shapes of the media API: records, links, gaps and interruptions."""

from __future__ import annotations

import datetime as dt
import uuid

from ninja import Schema
from pydantic import Field

from quanlu.api.schemas import AsGiven, WithheldOut


class MediaFlagOut(AsGiven):  # a JSON column's item: rendered as stored
    code: str
    message: str


class MediaClassificationOut(Schema):
    """The storage classification keys of 001 第二十七条."""

    name: str
    device_no: str
    officer: str
    usage_time: str
    parties: str
    cause: str


class MediaRecordOut(Schema):
    # As the upload endpoints answer (quanlu.media.uploads.record_json): times are
    # ISO 8601 strings with the offset, as stored.
    id: str = Field(description="公开标识（UUID）")
    case: str | None = Field(description="所属案件的公开标识；尚未归入案件时为空")
    name: str
    kind: str
    sha256: str
    sm3: str
    size: int
    mime_type: str
    duration_ms: int | None
    captured_start: str | None = Field(description="记录开始时间（ISO 8601）")
    captured_end: str | None = Field(description="记录结束时间（ISO 8601）")
    device: str | None = Field(description="记录设备编号")
    upload_due_at: str | None = Field(description="应上传（存储）期限（ISO 8601）")
    upload_overdue: bool
    flags: list[MediaFlagOut]
    classification: MediaClassificationOut


class MediaOut(MediaRecordOut):
    withheld: WithheldOut | None = Field(description="涉密且无权查看：不提供内容、封面和地点")


class MediaCurrentLinkOut(Schema):
    stage: str
    step_label: str
    document_uid: uuid.UUID | None


class MediaDetailOut(MediaOut):
    link: MediaCurrentLinkOut | None


class MediaLinkOut(Schema):
    id: uuid.UUID
    activity: str


class GapOut(Schema):
    id: uuid.UUID
    device: str = Field(description="设备编号")
    activity: str
    before: uuid.UUID
    after: uuid.UUID
    starts_at: dt.datetime
    ends_at: dt.datetime
    seconds: int
    closed: bool
    explained: bool


class InterruptionSignerOut(Schema):
    officer: uuid.UUID
    name: str
    method: str


class InterruptionOut(Schema):
    id: uuid.UUID
    gap: uuid.UUID | None
    reason: str
    form: str
    detail: str
    statement_sha256: str
    signers: list[InterruptionSignerOut]
