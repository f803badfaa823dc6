"""四性检测 (DA/T 70-2018, 归档 stage): the authenticity, integrity, usability and security checks
that apply to a quanlu dossier, run when it is sealed.

Each check is one item code of DA/T 70 (GD-<group>-<n>; names and numbering from
docs/notes/archiving.md §2.1 — those marked ✓ there are confirmed by two implementations, the
rest [M]) with a result of 通过 / 不通过 / 不适用 and a message that names the file or value at
fault. Items software cannot judge (anti-virus installed, the carrier) are recorded as 不适用
with the reason. The report cannot contain the final package's own digest: that goes into the
export event.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils import timezone

from quanlu.archive import bagit, eep
from quanlu.archive.models import CheckGroup, CheckResult, ItemKind, Retention
from quanlu.blobs.models import Blob
from quanlu.cases.models import Case, Stage
from quanlu.ledger import note
from quanlu.ledger.models import Event, Leaf

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


# ---------------------------------------------------------------- 真实性 authenticity


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


@check("GD-1-1", CheckGroup.AUTHENTICITY, "固化信息有效性")
def _fixity(inp: SealInput) -> tuple[str, str]:
    problems: list[str] = []
    blobs = Blob.objects.in_bulk([f.sha256 for f in inp.files if f.path is not None])
    with ThreadPoolExecutor(3) as pool:
        for f in inp.files:
            if f.path is None:
                continue
            blob = blobs.get(f.sha256)
            if blob is None:
                problems.append(f"{f.bag_path} 不在存储登记中")
                continue
            wanted = {"sha256": blob.sha256, **({"sm3": blob.sm3} if blob.sm3 else {})}
            if blob.sha512:
                wanted["sha512"] = blob.sha512
            algorithms = [a for a in wanted if bagit.hashlib_name(a)]
            try:
                got, size = bagit.digest_file(str(f.path), algorithms, pool)
            except OSError:
                problems.append(f"{f.bag_path} 的内容无法读取")
                continue
            bad = [a.upper() for a in algorithms if got[a] != wanted[a]]
            if bad or size != blob.size:
                problems.append(f"{f.bag_path} 的{'、'.join(bad) or '大小'}与入库时登记的不一致")
    try:
        verifiers = [note.parse_vkey(k) for k in inp.log_vkeys if _is_ed25519(k)]
        note.open_note(inp.checkpoint_note, verifiers)
    except note.NoteError as exc:
        problems.append(f"日志检查点签名无效：{exc.message}")
    origins = _origin_events(inp)
    for f in _records(inp):
        sha = f.converted_from or f.sha256
        if sha not in origins:
            problems.append(f"{f.bag_path} 没有入库或签署完毕的日志事件")
    if problems:
        return _fail(problems)
    return _ok(
        f"{sum(1 for f in inp.files if f.path is not None)} 个存储文件的 SHA-256、SHA-512、SM3 摘要复核一致；"
        f"日志检查点签名有效；每份文书、每条音像记录均有入库（签署完毕）日志事件。"
    )


def _is_ed25519(vkey: str) -> bool:
    import base64

    try:
        return base64.b64decode(vkey.split("+", 2)[-1])[:1] == b"\x01"
    except ValueError:
        return False


def _strings(inp: SealInput) -> list[tuple[str, str, str]]:
    """(where, label, value) of every metadata string of the dossier."""
    out = [
        ("案卷", "题名", inp.title),
        ("案卷", "档号", inp.archive_number),
    ]
    for f in inp.files:
        out.append((f.bag_path, "题名", f.title))
        out.append((f.bag_path, "文号", f.doc_number))
        out.append((f.bag_path, "责任者", f.responsible))
        for key, value in f.av.items():
            out.append((f.bag_path, key, value))
    return out


@check("GD-1-2", CheckGroup.AUTHENTICITY, "元数据项数据长度检测")
def _lengths(inp: SealInput) -> tuple[str, str]:
    problems = []
    if len(inp.title) > LIMITS["title"] or len(inp.archive_number) > LIMITS["archive_number"]:
        problems.append("案卷题名或档号超长")
    for f in inp.files:
        for key in ("title", "doc_number", "responsible"):
            if len(getattr(f, key)) > LIMITS[key]:
                problems.append(f"{f.bag_path} 的{key}超过 {LIMITS[key]} 字")
        if len(f.bag_path.encode("utf-8")) > 480:
            problems.append(f"{f.bag_path} 的路径过长")
    return _fail(problems) if problems else _ok("题名、文号、责任者、档号和包内路径均在长度限制内。")


@check("GD-1-3", CheckGroup.AUTHENTICITY, "元数据项数据类型、格式检测")
def _types(inp: SealInput) -> tuple[str, str]:
    problems = []
    for f in inp.files:
        if not re.fullmatch(r"[0-9a-f]{64}", f.sha256):
            problems.append(f"{f.bag_path} 的 SHA-256 格式不正确")
        if not isinstance(f.size, int) or f.size < 0:
            problems.append(f"{f.bag_path} 的字节数不是非负整数")
        if f.kind in (ItemKind.DOCUMENT, ItemKind.MEDIA) and not isinstance(f.date, dt.date):
            problems.append(f"{f.bag_path} 的日期缺失或不是日期")
    return _fail(problems) if problems else _ok("摘要、字节数、日期的类型和格式正确。")


@check("GD-1-4", CheckGroup.AUTHENTICITY, "设定值域的元数据项值域符合度检测")
def _ranges(inp: SealInput) -> tuple[str, str]:
    problems = []
    if inp.retention not in Retention.values:
        problems.append(f"保管期限「{inp.retention}」不在永久、定期30年、定期10年之内")
    kinds = set(ItemKind.values)
    problems += [f"{f.bag_path} 的类别「{f.kind}」无效" for f in inp.files if f.kind not in kinds]
    return _fail(problems) if problems else _ok("保管期限、文件类别均在规定值域内。")


@check("GD-1-5", CheckGroup.AUTHENTICITY, "元数据项数据值合理性检测")
def _plausible(inp: SealInput) -> tuple[str, str]:
    problems = []
    today = timezone.localdate(inp.now)
    if inp.start > inp.end:
        problems.append(f"起始日期 {inp.start} 晚于终止日期 {inp.end}")
    if inp.end > today:
        problems.append(f"终止日期 {inp.end} 晚于今天")
    for f in _records(inp):
        if f.date is not None and f.date > today:
            problems.append(f"{f.bag_path} 的日期 {f.date} 晚于今天")
        if f.date is not None and f.date < inp.start - dt.timedelta(days=366):
            problems.append(f"{f.bag_path} 的日期 {f.date} 早于立案一年以上")
    return _fail(problems) if problems else _ok("起止日期有序，文件日期均不晚于归档之日。")


@check("GD-1-6", CheckGroup.AUTHENTICITY, "元数据项是否包含特殊字符检测")
def _special(inp: SealInput) -> tuple[str, str]:
    problems = [
        f"{where} 的{label}含有控制字符"
        for where, label, value in _strings(inp)
        if _CONTROL.search(value or "")
    ]
    problems += [
        f"{f.bag_path} 的路径未经 Unicode NFC 规范化"
        for f in inp.files
        if unicodedata.normalize("NFC", f.bag_path) != f.bag_path
    ]
    return _fail(problems) if problems else _ok("元数据和文件名不含控制字符，文件名为 NFC 规范形式。")


@check("GD-1-7", CheckGroup.AUTHENTICITY, "档号规范性检测")
def _archive_number(inp: SealInput) -> tuple[str, str]:
    if not inp.archive_number_pattern.fullmatch(inp.archive_number):
        return _fail(
            [f"档号「{inp.archive_number}」不符合本机关档号规则 {inp.archive_number_pattern.pattern}"]
        )
    return _ok(
        f"档号「{inp.archive_number}」符合 全宗号-门类代码·年度-保管期限代码-机构（问题）代码-件号 的规则。"
    )


@check("GD-1-8", CheckGroup.AUTHENTICITY, "元数据项数据重复性检测")
def _duplicates(inp: SealInput) -> tuple[str, str]:
    from quanlu.archive.models import Dossier

    problems = []
    clash = (
        Dossier.objects.filter(agency=inp.case.agency, archive_number=inp.archive_number)
        .exclude(case=inp.case)
        .exists()
    )
    if clash:
        problems.append(f"档号「{inp.archive_number}」已被本机关其他案卷使用")
    numbers = [f.doc_number for f in _records(inp) if f.doc_number]
    problems += [f"文号「{n}」重复" for n in sorted({n for n in numbers if numbers.count(n) > 1})]
    paths = [f.bag_path for f in inp.files]
    problems += [f"包内路径「{p}」重复" for p in sorted({p for p in paths if paths.count(p) > 1})]
    return _fail(problems) if problems else _ok("档号在本机关唯一，卷内文号和包内路径均无重复。")


def _sniff(head: bytes) -> str:
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG"):
        return "image/png"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    if head[4:8] == b"ftyp":
        return "iso-bmff"
    if head.startswith(b"<?xml"):
        return "application/xml"
    if head.startswith(b"{"):
        return "application/json"
    return ""


@check("GD-1-9", CheckGroup.AUTHENTICITY, "内容数据的电子属性一致性检测")
def _properties(inp: SealInput) -> tuple[str, str]:
    problems = []
    for f in inp.files:
        with f.open() as fh:
            head = fh.read(16)
            fh.seek(0, 2)
            size = fh.tell()
        if size != f.size:
            problems.append(f"{f.bag_path} 实为 {size} 字节，著录为 {f.size} 字节")
        sniffed = _sniff(head)
        if sniffed == "iso-bmff":
            ok = f.media_type.startswith(("video/", "audio/"))
        elif sniffed:
            ok = sniffed == f.media_type
        else:
            ok = f.media_type.startswith(("video/", "audio/"))  # other containers: probed in GD-3-4
        if not ok:
            problems.append(f"{f.bag_path} 的内容格式与著录的「{f.media_type}」不符")
    return _fail(problems) if problems else _ok("每个文件的大小、格式与元数据著录一致。")


@check("GD-1-10", CheckGroup.AUTHENTICITY, "元数据与内容关联一致性检测")
def _xml_digests(inp: SealInput) -> tuple[str, str]:
    try:
        recorded = eep.parse_files(inp.xml)
    except Exception as exc:
        return _fail([f"元数据文件无法解析：{exc}"])
    problems = []
    for f in inp.files:
        if f.kind in (ItemKind.METADATA, ItemKind.REPORT, ItemKind.REPORT_JSON):
            continue
        entry = recorded.get("data/" + f.bag_path)
        if entry is None:
            problems.append(f"元数据未著录 {f.bag_path}")
        elif entry.get("sha256") != f.sha256 or entry.get("size") != str(f.size):
            problems.append(f"元数据著录的 {f.bag_path} 摘要或大小与文件不符")
    return _fail(problems) if problems else _ok("元数据中每个文件的 SHA-256 摘要和大小与文件内容一致。")


@check("GD-1-11", CheckGroup.AUTHENTICITY, "元数据与内容存储位置一致性检测")
def _xml_paths(inp: SealInput) -> tuple[str, str]:
    try:
        recorded = set(eep.parse_files(inp.xml))
    except Exception as exc:
        return _fail([f"元数据文件无法解析：{exc}"])
    expected = {
        "data/" + f.bag_path
        for f in inp.files
        if f.kind not in (ItemKind.METADATA, ItemKind.REPORT, ItemKind.REPORT_JSON)
    }
    problems = [f"元数据著录的存储位置 {p} 在包中不存在" for p in sorted(recorded - expected)]
    problems += [f"{p} 未著录存储位置" for p in sorted(expected - recorded)]
    return _fail(problems) if problems else _ok("元数据著录的存储位置与包内路径一一对应。")


@check("GD-1-12", CheckGroup.AUTHENTICITY, "说明文件和目录文件规范性检测")
def _furniture(inp: SealInput) -> tuple[str, str]:
    kinds = {f.kind for f in inp.files}
    wanted = {
        ItemKind.COVER: "案卷封面",
        ItemKind.INDEX: "卷内目录",
        ItemKind.NOTE: "卷内备考表",
        ItemKind.METADATA: "元数据文件",
    }
    problems = [f"缺少{label}" for kind, label in wanted.items() if kind not in kinds]
    return (
        _fail(problems)
        if problems
        else _ok("案卷封面、卷内目录、卷内备考表、元数据文件齐全（bag-info.txt 与校验程序在导出时写入）。")
    )


@check("GD-1-13", CheckGroup.AUTHENTICITY, "信息包目录结构规范性检测")
def _layout(inp: SealInput) -> tuple[str, str]:
    from quanlu.archive.dossier import DOCS_DIR, MEDIA_DIR

    allowed = {
        ItemKind.DOCUMENT: DOCS_DIR + "/",
        ItemKind.MEDIA: MEDIA_DIR + "/",
        ItemKind.METADATA: "元数据/",
        ItemKind.REPORT: "检测/",
        ItemKind.REPORT_JSON: "检测/",
    }
    problems = []
    for f in inp.files:
        prefix = allowed.get(ItemKind(f.kind))
        if prefix is not None and not f.bag_path.startswith(prefix):
            problems.append(f"{f.bag_path} 不在「{prefix}」目录下")
        if prefix is None and "/" in f.bag_path:
            problems.append(f"{f.bag_path} 应在 data/ 根目录下")
    return (
        _fail(problems)
        if problems
        else _ok("文书、音像、元数据、检测报告分目录存放，封面、目录、备考表在根目录。")
    )


@check("GD-1-14", CheckGroup.AUTHENTICITY, "信息包一致性检测")
def _consistent(inp: SealInput) -> tuple[str, str]:
    from quanlu.archive.dossier import plan

    now = {(p.kind, p.source_uid): p.sha256 for p in plan(inp.case, count_pages=False)}
    problems = []
    for f in _records(inp):
        current = now.get((f.kind, f.source_uid))
        if current is None:
            problems.append(f"{f.bag_path} 在业务系统中已不存在")
        elif current != (f.converted_from or f.sha256):
            problems.append(f"{f.bag_path} 与业务系统中的现行版本不一致")
    extra = len(now) - len(_records(inp))
    if extra > 0:
        problems.append(f"业务系统中另有 {extra} 份记录未组入本卷")
    return _fail(problems) if problems else _ok("卷内文书和音像记录与业务系统中的现行记录按摘要逐一一致。")


# ---------------------------------------------------------------- 完整性 integrity


@check("GD-2-1", CheckGroup.INTEGRITY, "总件数相符性检测")
def _count(inp: SealInput) -> tuple[str, str]:
    records = _records(inp)
    numbered = [f for f in records if f.index_no is not None]
    if len(numbered) != len(records):
        return _fail(["有文件未编入卷内目录"])
    return _ok(
        f"卷内目录 {len(numbered)} 件，与组卷的文书和音像记录件数一致；连同封面、目录、备考表等共 {len(inp.files)} 个文件。"
    )


@check("GD-2-2", CheckGroup.INTEGRITY, "总字节数相符性检测")
def _bytes(inp: SealInput) -> tuple[str, str]:
    blobs = Blob.objects.in_bulk([f.sha256 for f in inp.files if f.path is not None])
    problems = [
        f"{f.bag_path} 著录 {f.size} 字节，存储登记 {blobs[f.sha256].size} 字节"
        for f in inp.files
        if f.path is not None and f.sha256 in blobs and blobs[f.sha256].size != f.size
    ]
    total = sum(f.size for f in inp.files)
    return (
        _fail(problems)
        if problems
        else _ok(f"总字节数 {total}，与各文件著录和存储登记之和一致（导出时即 Payload-Oxum 的前半部分）。")
    )


@check("GD-2-3", CheckGroup.INTEGRITY, "元数据项完整性检测")
def _metadata_complete(inp: SealInput) -> tuple[str, str]:
    problems = []
    for f in _records(inp):
        for key, label in (("title", "题名"), ("responsible", "责任者")):
            if not getattr(f, key):
                problems.append(f"{f.bag_path} 缺少{label}")
        if f.kind == ItemKind.MEDIA:
            for key, label in (
                ("matter", "事项"),
                ("time", "时间"),
                ("method", "方式"),
                ("officers", "执法人员"),
            ):
                if not f.av.get(key):
                    problems.append(f"{f.bag_path} 缺少{label}")
    return (
        _fail(problems)
        if problems
        else _ok("每份文件均著录题名、责任者、日期；音像记录均注明事项、时间、方式、执法人员。")
    )


@check("GD-2-4", CheckGroup.INTEGRITY, "必填著录项目检测")
def _required(inp: SealInput) -> tuple[str, str]:
    problems = [
        label
        for label, value in (
            ("档号", inp.archive_number),
            ("案卷题名", inp.title),
            ("保管期限", inp.retention),
        )
        if not value
    ]
    return (
        _fail([f"缺少{p}" for p in problems])
        if problems
        else _ok("档号、案卷题名、保管期限、起止日期均已著录。")
    )


@check("GD-2-5", CheckGroup.INTEGRITY, "过程信息完整性检测")
def _process(inp: SealInput) -> tuple[str, str]:
    case = inp.case
    opened = Event.objects.filter(case_uid=case.public_id, type="case:case:opened").values_list(
        "seq", flat=True
    )
    moves = list(
        Event.objects.filter(case_uid=case.public_id, type="case:stage:advanced").values_list(
            "seq", "payload"
        )
    )
    problems = []
    if not opened:
        problems.append("没有立案（程序启动）日志事件")
    entered = set(case.transitions.values_list("to_stage", flat=True)) - {Stage.INITIATION}
    logged = {p.get("to") for _, p in moves if isinstance(p, dict)}
    problems += [f"进入「{Stage(s).label}」阶段没有日志事件" for s in sorted(entered - logged)]
    size = note.parse_checkpoint(note.parse_note(inp.checkpoint_note).text).size
    seqs = list(opened) + [s for s, _ in moves] + list(_origin_events(inp).values())
    leaves = dict(Leaf.objects.filter(event_seq__in=seqs).values_list("event_seq", "index"))
    late = [s for s in seqs if s not in leaves or leaves[s] >= size]
    if late:
        problems.append(f"{len(late)} 条过程事件未被封卷所依据的检查点覆盖")
    if problems:
        return _fail(problems)
    return _ok(
        f"立案、{len(moves)} 次阶段变更及全部文件的入库事件均在日志中，且被树大小 {size} 的检查点覆盖。"
    )


@check("GD-2-6", CheckGroup.INTEGRITY, "连续性元数据项检测")
def _continuous(inp: SealInput) -> tuple[str, str]:
    records = [f for f in _records(inp) if f.index_no is not None]
    numbers = [f.index_no for f in records]
    problems = []
    if numbers != list(range(1, len(numbers) + 1)):
        problems.append(f"顺序号不连续：{numbers}")
    page = 1
    for f in (r for r in records if r.kind == ItemKind.DOCUMENT):
        if f.pages == 0:
            problems.append(f"{f.bag_path} 页数为 0")
            continue
        if f.page_from != page or f.page_to != page + f.pages - 1:
            problems.append(f"{f.bag_path} 的页号 {f.page_from}—{f.page_to} 不连续（应从 {page} 起）")
        page = (f.page_to or page) + 1
    return (
        _fail(problems)
        if problems
        else _ok(f"顺序号 1—{len(numbers)} 连续；文书页号 1—{page - 1} 连续，与 PDF 实际页数一致。")
    )


@check("GD-2-7", CheckGroup.INTEGRITY, "内容数据完整性检测")
def _content_complete(inp: SealInput) -> tuple[str, str]:
    problems = [
        f"{f.bag_path} 的内容缺失"
        for f in inp.files
        if f.data is None and (f.path is None or not f.path.is_file())
    ]
    return _fail(problems) if problems else _ok("每个文件的内容都在。")


@check("GD-2-8", CheckGroup.INTEGRITY, "附件数据完整性检测")
def _attachments(inp: SealInput) -> tuple[str, str]:
    return _na("文书的签名、印章、手印已合成在签署后的 PDF 中，不另作附件；音像记录无附件。")


@check("GD-2-9", CheckGroup.INTEGRITY, "归档范围检测")
def _scope(inp: SealInput) -> tuple[str, str]:
    if inp.missing:
        return _fail([m.message for m in inp.missing])
    return _ok(
        "本机关规则集要求的记录齐全：无阻断性的不符合项，文书签署完毕，音像记录均可注明事项、时间、执法人员。"
    )


# ---------------------------------------------------------------- 可用性 usability


@check("GD-3-1", CheckGroup.USABILITY, "信息包中元数据的可读性检测")
def _xml_readable(inp: SealInput) -> tuple[str, str]:
    import xml.etree.ElementTree as ET

    try:
        ET.fromstring(inp.xml)  # noqa: S314 - generated here
    except ET.ParseError as exc:
        return _fail([f"元数据文件不是格式良好的 XML：{exc}"])
    return _ok("元数据文件（DA/T 48 格式）是格式良好的 XML，可以读取。")


@check("GD-3-2", CheckGroup.USABILITY, "目标数据库中的元数据可访问性检测")
def _db_readable(inp: SealInput) -> tuple[str, str]:
    try:
        Blob.objects.filter(sha256__in=[f.sha256 for f in inp.files]).count()
        Case.objects.filter(pk=inp.case.pk).values_list("number", flat=True).get()
    except Exception as exc:
        return _fail([f"数据库不可访问：{exc}"])
    return _ok("案件、存储登记和案卷元数据可在数据库中读取。")


@check("GD-3-3", CheckGroup.USABILITY, "内容数据格式检测")
def _formats(inp: SealInput) -> tuple[str, str]:
    problems = [
        f"{f.bag_path} 的格式「{f.media_type}」不在归档格式之列"
        for f in inp.files
        if f.media_type not in ALLOWED_FORMATS
    ]
    return (
        _fail(problems)
        if problems
        else _ok("文书为 PDF/A，图像为 JPEG/PNG/TIFF，音像为常见容器格式（GB/T 18894 格式表）。")
    )


def _pdf_problem(f: SealFile) -> str | None:
    import pikepdf
    import pikepdf.pdfa

    try:
        with f.open() as fh, pikepdf.open(fh) as pdf:
            if pdf.is_encrypted:
                return "已加密"
            if len(pdf.pages) == 0:
                return "没有页面"
            if f.kind == ItemKind.DOCUMENT and len(pdf.pages) != f.pages:
                return f"实有 {len(pdf.pages)} 页，卷内目录著录 {f.pages} 页"
    except Exception as exc:
        return f"无法打开（{type(exc).__name__}）"
    with f.open() as fh:
        report = pikepdf.pdfa.validate_written(fh, "2b")
    if not report.passed:
        first = report.findings[0] if report.findings else None
        return f"未通过 PDF/A-2b 检查（{getattr(first, 'rule', '')} {getattr(first, 'message', '')}）"
    return None


@check("GD-3-4", CheckGroup.USABILITY, "内容数据的可读性检测")
def _readable(inp: SealInput) -> tuple[str, str]:
    from quanlu.media.probe import NotMedia, probe

    problems = []
    pdfs = media = images = 0
    for f in inp.files:
        if f.media_type == "application/pdf":
            pdfs += 1
            problem = _pdf_problem(f)
            if problem:
                problems.append(f"{f.bag_path} {problem}")
        elif f.kind == ItemKind.MEDIA or f.media_type.startswith("image/"):
            if f.path is None:
                continue
            try:
                info = probe(f.path)
            except NotMedia as exc:
                problems.append(f"{f.bag_path}：{exc.message}")
                continue
            if info.kind == "photo" or f.media_type.startswith("image/"):
                images += 1
            else:
                media += 1
                if not info.duration_ms:
                    problems.append(f"{f.bag_path} 时长为 0")
    if problems:
        return _fail(problems)
    return _ok(
        f"{pdfs} 个 PDF 均可打开、页数与目录一致并通过 PDF/A-2b 检查（pikepdf）；"
        f"{media} 个录音录像可解码首帧且时长大于 0，{images} 个图像可读取（PyAV、Pillow）。"
    )


@check("GD-3-5", CheckGroup.USABILITY, "软硬件环境合规性检测")
def _environment(inp: SealInput) -> tuple[str, str]:
    return _na("软硬件环境由机关信息化部门保障，不能由本系统自行判定。")


@check("GD-3-6", CheckGroup.USABILITY, "信息包中包含的内容数据格式合规性检测（压缩、加密）")
def _no_packing(inp: SealInput) -> tuple[str, str]:
    problems = []
    for f in inp.files:
        with f.open() as fh:
            head = fh.read(8)
        if head.startswith(_COMPRESSED):
            problems.append(f"{f.bag_path} 是压缩包或经非公开压缩")
    for f in inp.files:
        if f.media_type == "application/pdf":
            with f.open() as fh:
                body = fh.read()
            if b"/Encrypt" in body:
                problems.append(f"{f.bag_path} 含有加密字典")
    return _fail(problems) if problems else _ok("信息包内没有压缩包、没有加密的文件。")


# ---------------------------------------------------------------- 安全性 security


@check("GD-4-1", CheckGroup.SECURITY, "系统环境中是否安装杀毒软件检测")
def _antivirus(inp: SealInput) -> tuple[str, str]:
    return _na("本系统未集成杀毒软件；由运行环境负责。")


@check("GD-4-2", CheckGroup.SECURITY, "病毒感染检测")
def _virus(inp: SealInput) -> tuple[str, str]:
    return _na("未配置病毒扫描服务。文件格式已逐一核验（GD-3-3、GD-3-4），不含压缩包和加密文件（GD-3-6）。")


@check("GD-4-3", CheckGroup.SECURITY, "归档载体安全性检测")
def _carrier(inp: SealInput) -> tuple[str, str]:
    return _na("在线归档，未使用离线载体；刻录光盘（DA/T 38）时另行检测。")


@check("GD-4-4", CheckGroup.SECURITY, "归档过程安全性检测")
def _process_security(inp: SealInput) -> tuple[str, str]:
    origins = _origin_events(inp)
    size = note.parse_checkpoint(note.parse_note(inp.checkpoint_note).text).size
    leaves = dict(Leaf.objects.filter(event_seq__in=list(origins.values())).values_list("event_seq", "index"))
    uncovered = [sha[:12] for sha, seq in origins.items() if seq not in leaves or leaves[seq] >= size]
    if uncovered:
        return _fail([f"{len(uncovered)} 个文件的入库事件未被检查点覆盖"])
    return _ok(
        f"卷内文件的摘要均已记入防篡改日志并被签名检查点（树大小 {size}）覆盖；封卷事件记录每个文件的摘要，导出后对档案包再行核验。"
    )


def run(inp: SealInput) -> list[Outcome]:
    out = []
    for code, group, name, judge in REGISTRY:
        try:
            result, message = judge(inp)
        except Exception as exc:  # a check that cannot run fails, saying why
            result, message = CheckResult.FAIL, f"检测未能完成：{type(exc).__name__}: {exc}"
        out.append(Outcome(code=code, group=str(group), name=name, result=str(result), message=message))
    return out
