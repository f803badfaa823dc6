"""What a case's dossier contains and what it still lacks.

``plan(case)`` lists the files a dossier of the case holds now, in order, with what the 卷内目录
prints for each (文号, 责任者, 题名, 日期, 页号; for audio-visual records 事项、时间、地点、方式、
执法人员 and 设备编号, 001 第二十八条). ``missing(case)`` says what stops it from being sealed,
each with the article that requires it: the rulebook's blocking findings for the move into
结案, documents whose signature set is incomplete, and audio-visual records without the time
or officer the file index must print.
"""

from __future__ import annotations

import datetime as dt
import io
import mimetypes
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from quanlu.blobs.models import Blob
from quanlu.blobs.store import local_files
from quanlu.cases.models import STAGE_ORDER, Case, Procedure, Stage
from quanlu.core.errors import Finding
from quanlu.media.models import MediaKind, MediaRecord
from quanlu.media.selectors import current_link
from quanlu.records.catalogue import catalogue
from quanlu.records.models import Document, Version
from quanlu.records.selectors import current_version, document_missing, documents_of_case
from quanlu.rulebooks import evaluator
from quanlu.rulebooks.loader import Rule
from quanlu.rulebooks.providers import gather

DOCS_DIR = "文书"
MEDIA_DIR = "音像"
COVER_PATH = "00-案卷封面.pdf"
INDEX_PATH = "01-卷内目录.pdf"
NOTE_PATH = "99-卷内备考表.pdf"
METADATA_PATH = "元数据/eep.xml"
REPORT_PATH = "检测/四性检测报告.pdf"
REPORT_JSON_PATH = "检测/四性检测报告.json"
LEDGER_DIR = "账本"
# Characters no file system everywhere accepts, and "%" (see bagwriter: bagit-python 1.9.0
# would not decode %25), replaced by their full-width forms in package file names.
_NAME_MAP = str.maketrans(
    {
        "/": "／",
        "\\": "＼",
        ":": "：",
        "*": "＊",
        "?": "？",
        '"': "＂",
        "<": "＜",
        ">": "＞",
        "|": "｜",
        "%": "％",
    }
)
_EXTENSIONS = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/tiff": ".tif",
    "image/webp": ".webp",
    "video/mp4": ".mp4",
    "audio/mp4": ".m4a",
    "video/3gpp": ".3gp",
    "video/x-matroska": ".mkv",
    "audio/x-matroska": ".mka",
    "video/webm": ".webm",
    "audio/webm": ".weba",
    "video/x-msvideo": ".avi",
    "video/mp2t": ".ts",
    "video/x-flv": ".flv",
    "video/x-ms-asf": ".wmv",
    "audio/mpeg": ".mp3",
    "audio/wav": ".wav",
    "audio/aac": ".aac",
    "audio/ogg": ".ogg",
    "audio/flac": ".flac",
    "audio/amr": ".amr",
}
METHOD_LABELS = {MediaKind.PHOTO: "拍照", MediaKind.AUDIO: "录音", MediaKind.VIDEO: "录像"}


def safe_name(text: str, limit: int = 60) -> str:
    """A file-name part: NFC, no control characters, portable punctuation, bounded length."""
    text = unicodedata.normalize("NFC", str(text)).translate(_NAME_MAP)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    text = re.sub(r"\s+", " ", text).strip().strip(".")
    return (text[:limit].rstrip(" .") or "未命名").replace(" ", "")


def local_date(moment: dt.datetime | None) -> dt.date | None:
    return timezone.localtime(moment).date() if moment else None


def fmt_moment(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def fmt_duration(ms: int | None) -> str:
    if not ms:
        return ""
    seconds = round(ms / 1000)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@dataclass
class PlannedItem:
    """A document or audio-visual record as the dossier will hold it."""

    kind: str  # "document" | "media"
    sha256: str
    size: int
    media_type: str
    bag_path: str
    title: str
    index_no: int | None = None
    doc_number: str = ""
    responsible: str = ""
    date: dt.date | None = None
    pages: int = 0
    page_from: int | None = None
    page_to: int | None = None
    source_uid: str = ""
    source_version: int | None = None
    source_sha256: str = ""  # the record's own bytes, when sha256 is a PDF/A rendition of them
    av: dict[str, str] = field(default_factory=dict)
    note: str = ""
    stage: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "index_no": self.index_no,
            "path": self.bag_path,
            "sha256": self.sha256,
            "size": self.size,
            "media_type": self.media_type,
            "title": self.title,
            "doc_number": self.doc_number,
            "responsible": self.responsible,
            "date": self.date.isoformat() if self.date else None,
            "pages": self.pages,
            "page_from": self.page_from,
            "page_to": self.page_to,
            "source": self.source_uid or None,
            "source_version": self.source_version,
            "av": self.av,
            "note": self.note,
        }


@dataclass
class Missing:
    """Something the dossier lacks, by citation; ``blocking`` ones stop the seal."""

    message: str
    satisfy: str
    finding: Finding
    blocking: bool = True
    subject: str = ""  # a document or media public id, when it is about one


# ---------------------------------------------------------------- documents


def pdf_pages(data_or_path: bytes | Any) -> int:
    """Pages of a PDF (bytes or a path), read with pikepdf; 0 if it does not open."""
    import pikepdf

    try:
        source = io.BytesIO(data_or_path) if isinstance(data_or_path, bytes) else data_or_path
        with pikepdf.open(source) as pdf:
            return len(pdf.pages)
    except Exception:
        return 0


def image_pages(path: Any) -> int:
    from PIL import Image

    try:
        with Image.open(path) as img:
            return int(getattr(img, "n_frames", 1) or 1)
    except Exception:
        return 0


def _doc_file(doc: Document, version: Version) -> tuple[str, str]:
    """(sha256, media type) of the file the dossier keeps for a document."""
    if doc.origin == "uploaded":
        return version.file_sha256, version.file_type or "application/pdf"
    return version.signed_pdf_sha256 or version.pdf_sha256, "application/pdf"


def _stage_rank(stage: str) -> int:
    return STAGE_ORDER.index(stage) if stage in STAGE_ORDER else len(STAGE_ORDER)


def _documents(case: Case) -> list[tuple[Document, Version]]:
    # A voided draft is no part of the file: it is named apart (``voided``), not numbered.
    docs = [(d, current_version(d)) for d in documents_of_case(case).filter(voiding__isnull=True)]
    # Stage order (立案 → 调查取证 → 决定 → 送达 → 执行), then the order they were made in.
    return sorted(docs, key=lambda dv: (_stage_rank(dv[0].stage), dv[0].created_at, dv[0].pk))


@dataclass(frozen=True)
class VoidedDraft:
    """A draft voided by mistake: kept and readable, but not one of the dossier's
    contents; the 备考表 names it with its reason."""

    title: str
    voided_by: str
    voided_on: dt.date | None
    reason: str
    uid: str

    @property
    def remark(self) -> str:
        day = f"于{self.voided_on:%Y年%m月%d日}" if self.voided_on else ""
        return f"已作废：「{self.title}」由{self.voided_by}{day}作废，未归入卷内；作废理由：{self.reason}"


def voided(case: Case) -> list[VoidedDraft]:
    """The case's voided drafts, in the order they were made."""
    return [
        VoidedDraft(
            title=d.title,
            voided_by=d.voiding.voided_by.full_name,
            voided_on=local_date(d.voiding.voided_at),
            reason=d.voiding.reason,
            uid=str(d.public_id),
        )
        for d in documents_of_case(case).filter(voiding__isnull=False)
    ]


def _media(case: Case) -> list[MediaRecord]:
    return list(
        MediaRecord.objects.filter(case=case)
        .select_related("device", "officer", "case")
        .prefetch_related("links")
        .order_by("captured_start", "received_at", "id")
    )


def _place(record: MediaRecord, docs: dict[str, Document]) -> str:
    link = current_link(record)
    if link is not None and link.document_uid and str(link.document_uid) in docs:
        version = current_version(docs[str(link.document_uid)])
        place = version.fields.get("place")
        if isinstance(place, str) and place.strip():
            return place.strip()
    if record.latitude is not None and record.longitude is not None:
        return f"北纬{record.latitude}，东经{record.longitude}"
    return ""


def _matter(record: MediaRecord, docs: dict[str, Document]) -> str:
    link = current_link(record)
    if link is not None:
        if link.step_label:
            return link.step_label
        if link.document_uid and str(link.document_uid) in docs:
            return docs[str(link.document_uid)].title
        if link.stage:
            return Stage(link.stage).label
    return record.name


def av_description(record: MediaRecord, docs: dict[str, Document]) -> dict[str, str]:
    """事项、时间、地点、方式、执法人员、设备编号 (001 第二十八条第二款), with duration."""
    when = fmt_moment(record.captured_start)
    if record.captured_end and record.captured_end != record.captured_start:
        when += f" 至 {fmt_moment(record.captured_end)}"
    officer = ""
    if record.officer is not None:
        officer = record.officer.full_name
        if record.officer.certificate_no:
            officer += f"（执法证号 {record.officer.certificate_no}）"
    method = METHOD_LABELS.get(MediaKind(record.kind), record.kind)
    if record.device is not None:
        method = f"{record.device.get_kind_display()}{method}"
    return {
        "matter": _matter(record, docs),
        "time": when,
        "place": _place(record, docs),
        "method": method,
        "officers": officer,
        "device_no": record.device.device_no if record.device is not None else "",
        "duration": fmt_duration(record.duration_ms),
        "format": record.container or record.mime_type,
    }


def plan(case: Case, *, count_pages: bool = True) -> list[PlannedItem]:
    """The documents and audio-visual records of the dossier, in 卷内目录 order, numbered."""
    items: list[PlannedItem] = []
    page = 1
    docs = _documents(case)
    by_uid = {str(d.public_id): d for d, _ in docs}
    n = 0
    for doc, version in docs:
        sha, media_type = _doc_file(doc, version)
        n += 1
        blob = Blob.objects.filter(sha256=sha).first() if sha else None
        pages = version.page_count or 0
        if count_pages and blob is not None:
            with local_files([sha]) as paths:  # the blob itself, or a private copy from S3
                if sha in paths:
                    path = paths[sha]
                    pages = pdf_pages(path) if media_type == "application/pdf" else image_pages(path)
        ext = _EXTENSIONS.get(media_type) or mimetypes.guess_extension(media_type) or ".bin"
        name = safe_name(doc.title) + (f"-{safe_name(doc.number, 40)}" if doc.number else "")
        completed = version.completed_at or version.created_at
        items.append(
            PlannedItem(
                kind="document",
                sha256=sha,
                size=blob.size if blob else 0,
                media_type=media_type,
                bag_path=f"{DOCS_DIR}/{n:02d}-{name}{ext}",
                title=doc.title,
                index_no=n,
                doc_number=doc.number,
                responsible=doc.issuer or case.agency.name,
                date=local_date(completed),
                pages=pages,
                page_from=page if pages else None,
                page_to=page + pages - 1 if pages else None,
                source_uid=str(doc.public_id),
                source_version=version.number,
                note=f"第{version.number}版（含更正）" if version.number > 1 else "",
                stage=doc.stage,
            )
        )
        page += pages
    for record in _media(case):
        n += 1
        av = av_description(record, by_uid)
        ext = _EXTENSIONS.get(record.mime_type) or ".bin"
        stamp = (
            timezone.localtime(record.captured_start).strftime("%Y%m%d%H%M")
            if record.captured_start
            else "时间不详"
        )
        items.append(
            PlannedItem(
                kind="media",
                sha256=record.sha256,
                size=record.size,
                media_type=record.mime_type,
                bag_path=f"{MEDIA_DIR}/{n:02d}-{safe_name(av['matter'], 40)}-{stamp}{ext}",
                title=record.name,
                index_no=n,
                responsible=av["officers"] or case.agency.name,
                date=local_date(record.captured_start),
                source_uid=str(record.public_id),
                av=av,
                note=av["duration"],
            )
        )
    return items


def dossier_title(case: Case) -> str:
    """案卷题名: the 案由 as a case title, with the 当事人 named (agency practice: 当事人 +
    违法行为 + "案"; the 案由 often names the party already, in its own words)."""
    cause = case.cause.strip()
    title = cause if cause.endswith("案") else f"{cause}案"
    parties = [p.name for p in case.parties.order_by("added_at", "id")[:3]]
    if parties and not any(p in cause for p in parties):
        title += f"（当事人：{'、'.join(parties)}）"
    return title


def terminated_early(case: Case) -> bool:
    """Ended before any decision (不予立案, 终止调查)."""
    entered = set(case.transitions.values_list("to_stage", flat=True))
    return Stage.DECISION not in entered


def default_retention(case: Case, settings_row: Any) -> str:
    if case.is_major:
        return str(settings_row.retention_major)
    if terminated_early(case):
        return str(settings_row.retention_terminated)
    if case.procedure == Procedure.SIMPLIFIED:
        return str(settings_row.retention_simplified)
    return str(settings_row.retention_general)


def case_dates(case: Case) -> tuple[dt.date, dt.date]:
    """起止日期: the procedure's start, and the day the action ended (entered archiving)."""
    start = local_date(case.started_at) or timezone.localdate()
    ended = (
        case.transitions.filter(to_stage=Stage.ARCHIVING).order_by("at").values_list("at", flat=True).first()
    )
    return start, local_date(ended) or timezone.localdate()


# ---------------------------------------------------------------- what is missing


def archive_rule(case: Case) -> Rule | None:
    """The rulebook's archiving rule (30 日内立卷归档): the article every archive finding cites."""
    book = evaluator.rulebook_for(case)
    rules = book.rules_of("archive_deadline")
    return rules[0] if rules else None


def archive_finding(case: Case, rule_id: str, message: str) -> Finding:
    rule = archive_rule(case)
    if rule is None:
        return Finding(rule=rule_id, message=message)
    return rule.finding(message, rule_id=rule_id)


def _doc_citation(case: Case, doc: Document) -> tuple[str, str]:
    try:
        cites = catalogue().get(doc.type_code).cited_by
    except KeyError:
        return "", ""
    own = [c for c in cites if c.source.startswith(case.rulebook_id)]
    chosen = (own or list(cites))[:1]
    return (f"{chosen[0].source} {chosen[0].article}", chosen[0].quote) if chosen else ("", "")


def missing(case: Case) -> list[Missing]:
    """What the dossier lacks before it can be sealed (blocking) and what it will record as
    findings (not blocking: deadlines missed cannot be made good, only noted)."""
    found: list[Missing] = []
    covered: set[str] = set()
    for result in evaluator.gate(gather(case), Stage.CLOSED):
        if result.status != evaluator.Status.UNMET:
            continue
        subjects = tuple(getattr(result.outcome, "subjects", ()) or ())
        covered.update(subjects)
        found.append(
            Missing(
                message=result.outcome.message,
                satisfy=result.outcome.satisfy,
                finding=result.finding(),
                blocking=result.blocking,
                subject=subjects[0] if subjects else "",
            )
        )
    for doc, version in _documents(case):
        uid = str(doc.public_id)
        lacks = document_missing(doc, version)
        if not lacks or uid in covered:
            continue
        label = f"「{doc.title}{('（' + doc.number + '）') if doc.number else ''}」"
        article, quote = _doc_citation(case, doc)
        message = f"{label}尚不完整：{'；'.join(lacks)}。"
        found.append(
            Missing(
                message=message,
                satisfy="补齐签名、盖章或捺手印（拒绝签字的，记录拒签情况并由执法人员签字确认）。",
                finding=Finding(
                    rule=f"records.{doc.type_code}.complete",
                    message=message,
                    rulebook=case.rulebook_id,
                    article=article,
                    quote=quote,
                ),
                subject=uid,
            )
        )
    for record in _media(case):
        lacks = []
        if record.captured_start is None:
            lacks.append("记录时间")
        if record.officer_id is None:
            lacks.append("执法人员")
        if lacks:
            message = f"音像记录「{record.name}」缺少{'、'.join(lacks)}，无法在卷内目录中注明。"
            found.append(
                Missing(
                    message=message,
                    satisfy="在音像记录页补充记录时间或执法人员（或说明情况后重新入库）。",
                    finding=archive_finding(case, "archive.av_described", message),
                    subject=str(record.public_id),
                )
            )
        elif record.device_id is None:
            message = f"音像记录「{record.name}」未登记记录设备编号。"
            found.append(
                Missing(
                    message=message,
                    satisfy="在备考表中说明。",
                    finding=archive_finding(case, "archive.av_device", message),
                    blocking=False,
                    subject=str(record.public_id),
                )
            )
    return found


def blocking(case: Case) -> list[Missing]:
    return [m for m in missing(case) if m.blocking]
