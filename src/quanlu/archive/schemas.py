"""Output shapes of the archive API: dossiers, packages, holds, disposition, settings."""

from __future__ import annotations

import datetime as dt
import uuid

from ninja import Schema
from pydantic import Field

from quanlu.api.schemas import AsGiven, Ref, WithheldOut


class AvOut(AsGiven):
    """音像记录说明 (001 第二十八条第二款) of an audio-visual item; other items have none
    (``{}``). ``place`` is null when the reader may not read the record."""

    matter: str | None = None
    time: str | None = None
    place: str | None = None
    method: str | None = None
    officers: str | None = None
    device_no: str | None = None
    duration: str | None = None
    format: str | None = None


class DossierItemOut(Schema):
    position: int
    index_no: int | None
    kind: str
    path: str = Field(description="包内路径")
    title: str
    doc_number: str
    responsible: str
    date: dt.date | None
    pages: int
    page_from: int | None
    page_to: int | None
    sha256: str
    size: int
    media_type: str
    source: uuid.UUID | None = Field(description="来源记录（文书或音像记录）的公开标识")
    av: AvOut
    note: str
    withheld: WithheldOut | None = Field(description="涉密且无权查看：不能下载")
    av_withheld: WithheldOut | None = Field(description="音像记录说明涉及无权查看的涉密记录")


class DossierCaseOut(Schema):
    id: uuid.UUID
    number: str


class DossierCheckpointOut(Schema):
    origin: str
    size: int
    root: str
    note: str
    key: str


class DossierCheckOut(Schema):
    code: str
    group: str
    name: str
    result: str
    result_label: str
    message: str


class DossierExportOut(Schema):
    id: uuid.UUID
    at: dt.datetime
    files: int
    bytes: int
    path: str
    tar_sha256: str = Field(description="网页下载的 tar 文件（档号.tar）的 SHA-256；早于下载功能的导出为空")
    tar_bytes: int = Field(description="该 tar 文件的字节数")


class DossierOut(Schema):
    id: uuid.UUID
    case: DossierCaseOut
    version: int
    status: str
    status_label: str
    title: str
    archive_number: str
    retention: str
    retention_label: str
    retention_reason: str
    retention_until: dt.date | None
    documents: int
    media: int
    pages: int
    start_date: dt.date
    end_date: dt.date
    assembled_by: Ref
    assembled_at: dt.datetime
    sealed_by: Ref | None
    sealed_at: dt.datetime | None
    checkpoint: DossierCheckpointOut | None
    disposed_at: dt.datetime | None
    items: list[DossierItemOut]
    checks: list[DossierCheckOut]
    exports: list[DossierExportOut]


class ArchiveCaseOut(Schema):
    id: uuid.UUID
    number: str
    stage: str


class DossierMissingOut(Schema):
    message: str
    satisfy: str
    blocking: bool
    subject: str | None = Field(description="所缺记录（文书或音像记录）的公开标识")
    rule: str
    rulebook: str
    article: str
    quote: str


class ArchiveDeadlineOut(Schema):
    due_at: dt.datetime
    met_at: dt.datetime | None
    level: str
    status_label: str
    article: str
    quote: str


class HoldOut(Schema):
    id: uuid.UUID
    reason: str
    placed_by: Ref
    placed_at: dt.datetime
    released_by: Ref | None
    released_at: dt.datetime | None
    release_reason: str
    active: bool


class ArchiveStatusOut(Schema):
    case: ArchiveCaseOut
    dossier: DossierOut | None
    missing: list[DossierMissingOut]
    deadline: ArchiveDeadlineOut | None
    holds: list[HoldOut]
    may_act: bool
    disposal_refusals: list[str]


class PackageExportOut(Schema):
    id: uuid.UUID
    path: str
    files: int
    bytes: int
    payload_oxum: str
    checkpoint_size: int
    seal: dict[str, str] = Field(description="标签清单文件名 → 摘要")
    tar_sha256: str = Field(description="网页下载的 tar 文件（档号.tar）的 SHA-256；早于下载功能的导出为空")
    tar_bytes: int = Field(description="该 tar 文件的字节数")


class DispositionApprovalOut(Schema):
    officer: Ref
    outcome: str
    opinion: str
    signed_at: dt.datetime


class DispositionOut(Schema):
    id: uuid.UUID
    dossier: uuid.UUID
    archive_number: str
    case_number: str
    reason: str
    status: str
    status_label: str
    requested_by: Ref
    requested_at: dt.datetime
    approvals: list[DispositionApprovalOut]
    executed_at: dt.datetime | None
    register_sha256: str


class ArchiveSettingsOut(Schema):
    fonds_code: str
    fonds_name: str
    category_code: str
    unit_code: str
    retention_general: str
    retention_simplified: str
    retention_major: str
    retention_terminated: str
    changed_by: Ref | None
    changed_at: dt.datetime | None = Field(description="尚未设置（默认值）时为空")
