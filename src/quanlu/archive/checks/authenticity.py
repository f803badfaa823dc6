"""真实性 (authenticity): GD-1-*."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from concurrent.futures import ThreadPoolExecutor

from django.utils import timezone

from quanlu.archive import bagit, eep
from quanlu.archive.checks.base import (
    _CONTROL,
    LIMITS,
    SealInput,
    _fail,
    _ok,
    _origin_events,
    _records,
    check,
)
from quanlu.archive.models import CheckGroup, ItemKind, Retention
from quanlu.blobs.models import Blob
from quanlu.ledger import note


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
