"""可用性 (usability): GD-3-*."""

from __future__ import annotations

from quanlu.archive.checks.base import (
    _COMPRESSED,
    ALLOWED_FORMATS,
    SealFile,
    SealInput,
    _fail,
    _na,
    _ok,
    check,
)
from quanlu.archive.models import CheckGroup, ItemKind
from quanlu.blobs.models import Blob
from quanlu.cases.models import Case
from quanlu.media.probe import NotMedia, probe


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
