"""What every check shares: the files and facts of the dossier being sealed, the
registry the checks enter with ``@check``, the result helpers and ``run``."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quanlu.archive.models import CheckGroup, CheckResult, ItemKind
from quanlu.cases.models import Case
from quanlu.ledger.models import Event

ALLOWED_FORMATS = {
    # GB/T 18894-2016's format table (docs/notes/archiving.md §2.2): 版式 PDF(/A); scans and
    # photos JPEG/TIFF/PNG; audio WAV/MP3/AAC; video MP4/MPG/AVI/FLV (and the containers our
    # recorders write); the metadata XML; the report's JSON.
    "application/pdf",
    "image/jpeg",
    "image/tiff",
    "image/png",
    "video/mp4",
    "audio/mp4",
    "video/3gpp",
    "video/x-msvideo",
    "video/x-flv",
    "video/mp2t",
    "video/x-matroska",
    "audio/mpeg",
    "audio/wav",
    "audio/aac",
    "audio/amr",
    "application/xml",
    "application/json",
}
# Magic numbers of archive/compressed containers that must not hide in the payload.
_COMPRESSED = (b"PK\x03\x04", b"Rar!", b"7z\xbc\xaf\x27\x1c", b"\x1f\x8b", b"BZh", b"\xfd7zXZ")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
LIMITS = {"title": 300, "doc_number": 64, "responsible": 200, "archive_number": 64}


@dataclass
class SealFile:
    """One file of the dossier being sealed: generated here (``data``) or a stored blob (``path``)."""

    kind: str
    bag_path: str
    sha256: str
    size: int
    media_type: str
    title: str
    index_no: int | None = None
    pages: int = 0
    page_from: int | None = None
    page_to: int | None = None
    doc_number: str = ""
    responsible: str = ""
    date: dt.date | None = None
    av: dict[str, str] = field(default_factory=dict)
    source_uid: str = ""
    note: str = ""
    data: bytes | None = None
    path: Path | None = None
    converted_from: str = ""  # an uploaded PDF's sha256, when this is its PDF/A rendition

    def open(self) -> Any:
        return io.BytesIO(self.data) if self.data is not None else open(self.path, "rb")  # type: ignore[arg-type]


@dataclass
class SealInput:
    case: Case
    archive_number: str
    archive_number_pattern: re.Pattern[str]
    retention: str
    title: str
    start: dt.date
    end: dt.date
    files: list[SealFile]
    xml: bytes
    checkpoint_note: str
    log_vkeys: list[str]
    missing: list[Any]  # dossier.Missing, blocking ones only
    now: dt.datetime
    origin_events: dict[str, int] = field(default_factory=dict)  # sha256 -> event seq (filled by run)


@dataclass(frozen=True)
class Outcome:
    code: str
    group: str
    name: str
    result: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {
            "code": self.code,
            "group": self.group,
            "group_label": CheckGroup(self.group).label,
            "name": self.name,
            "result": self.result,
            "result_label": CheckResult(self.result).label,
            "message": self.message,
        }


Judge = Callable[[SealInput], tuple[str, str]]
REGISTRY: list[tuple[str, str, str, Judge]] = []


def check(code: str, group: str, name: str) -> Callable[[Judge], Judge]:
    def register(func: Judge) -> Judge:
        REGISTRY.append((code, group, name, func))
        return func

    return register


def _ok(message: str) -> tuple[str, str]:
    return CheckResult.PASS, message


def _fail(problems: list[str], limit: int = 8) -> tuple[str, str]:
    more = f"（另有 {len(problems) - limit} 项）" if len(problems) > limit else ""
    return CheckResult.FAIL, "；".join(problems[:limit]) + more + "。"


def _na(reason: str) -> tuple[str, str]:
    return CheckResult.NA, reason


def _records(inp: SealInput) -> list[SealFile]:
    return [f for f in inp.files if f.kind in (ItemKind.DOCUMENT, ItemKind.MEDIA)]


_ORIGIN_TYPES = (
    "records:document:completed",
    "records:document:uploaded",
    "media:record:ingested",
    "media:record:assigned",
)


def _origin_events(inp: SealInput) -> dict[str, int]:
    """sha256 -> seq of the earliest event of the case that brought those bytes in."""
    if inp.origin_events:
        return inp.origin_events
    found: dict[str, int] = {}
    events = Event.objects.filter(case_uid=inp.case.public_id, type__in=_ORIGIN_TYPES).order_by("seq")
    for seq, payload in events.values_list("seq", "payload"):
        for key in ("pdf_sha256", "file_sha256", "sha256"):
            value = payload.get(key) if isinstance(payload, dict) else None
            if isinstance(value, str):
                found.setdefault(value, seq)
    inp.origin_events = found
    return found


def run(inp: SealInput) -> list[Outcome]:
    out = []
    # DA/T 70 order: group by group, each group's checks as its module registers them
    # (the modules are imported alphabetically, not in group order).
    groups = list(CheckGroup)
    for code, group, name, judge in sorted(REGISTRY, key=lambda entry: groups.index(CheckGroup(entry[1]))):
        try:
            result, message = judge(inp)
        except Exception as exc:  # a check that cannot run fails, saying why
            result, message = CheckResult.FAIL, f"检测未能完成：{type(exc).__name__}: {exc}"
        out.append(Outcome(code=code, group=str(group), name=name, result=str(result), message=message))
    return out
