"""The dossier's metadata as a DA/T 48-2009-style EEP (电子文件封装包) XML document.

Structure as docs/notes/archiving.md §2.3 and docs/notes/archive-design.md §5 describe: one
文件实体 for the 案卷 (聚合层次=案卷) holding one per file (聚合层次=文件) with 来源, 档号,
内容描述, 形式特征, 存储位置 and 文件数据 — whose 编码数据 carries only the SHA-256 and SM3
digests, the bytes staying beside it in the bag's data/ (as practice does for large A/V); audio-
visual files add the DA/T 63-style fields the regulations name (记录事项、时间、地点、方式、执法人员、
设备编号). 业务实体块 lists the case's stages from the ledger; 机构人员实体块 the agency and the
officers. No schema validation here (the XSD is not vendored); the 四性 checks parse it back.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

NAMESPACE = "http://www.saac.gov.cn/standards/ERM/encapsulation"
DESCRIPTION = "本EEP根据中华人民共和国档案行业标准DA/T 48-2009《基于XML的电子文件封装规范》生成"


@dataclass(frozen=True)
class EepFile:
    item_id: str  # 电子文件号
    kind: str
    title: str
    path: str  # bag path (data/…)
    sha256: str
    sm3: str
    size: int
    media_type: str
    doc_number: str = ""
    responsible: str = ""
    date: str = ""
    pages: int = 0
    index_no: int | None = None
    av: dict[str, str] | None = None
    note: str = ""


def _sub(parent: ET.Element, tag: str, text: Any = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrs)
    if text is not None:
        el.text = str(text)
    return el


def _el(parent: ET.Element, tag: str, text: Any = None, **attrs: str) -> ET.Element:
    """A child element in the EEP namespace."""
    return _sub(parent, f"{{{NAMESPACE}}}{tag}", text, **attrs)


def build(
    *,
    dossier: dict[str, Any],
    files: Sequence[EepFile],
    business: Iterable[dict[str, str]],
    people: Iterable[dict[str, str]],
    created_at: str,
) -> bytes:
    ET.register_namespace("", NAMESPACE)
    root = ET.Element(f"{{{NAMESPACE}}}电子文件封装包")
    _el(root, "封装包格式描述", DESCRIPTION)
    _el(root, "版本", "2009")
    signed = _el(root, "被签名对象", eep版本="2009")
    _el(signed, "封装包类型", "原始型")
    _el(signed, "封装包类型描述", "本封装包包含行政执法案卷的电子文件（文字记录与音像记录）及其元数据")
    _el(signed, "封装包创建时间", created_at)
    _el(signed, "封装包创建单位", dossier["fonds_name"])
    content = _el(signed, "封装内容")
    block = _el(content, "文件实体块")
    volume = _el(block, "文件实体")
    _el(volume, "聚合层次", "案卷")
    source = _el(volume, "来源")
    _el(source, "档案馆名称", "")
    _el(source, "全宗名称", dossier["fonds_name"])
    _el(source, "立档单位名称", dossier["agency"])
    _el(volume, "电子文件号", dossier["id"])
    number = _el(volume, "档号")
    _el(number, "档号", dossier["archive_number"])
    _el(number, "全宗号", dossier["fonds_code"])
    _el(number, "年度", dossier["year"])
    _el(number, "保管期限", dossier["retention"])
    _el(number, "案号", dossier["case_number"])
    desc = _el(volume, "内容描述")
    _el(desc, "题名", dossier["title"])
    _el(desc, "责任者", dossier["agency"])
    _el(desc, "起始日期", dossier["start"])
    _el(desc, "截止日期", dossier["end"])
    form = _el(volume, "形式特征")
    _el(form, "件数", dossier["count"])
    _el(form, "页数", dossier["pages"])
    for f in files:
        _file_entity(volume, f)
    _business_block(content, business, dossier["id"])
    _people_block(content, people)
    ET.indent(root, space="  ")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


def _file_entity(volume: ET.Element, f: EepFile) -> None:
    """One file of the dossier: its description, form, location and digests."""
    entity = _el(volume, "文件实体")
    _el(entity, "聚合层次", "文件")
    _el(entity, "电子文件号", f.item_id)
    if f.index_no is not None:
        _el(entity, "件号", f.index_no)
    d = _el(entity, "内容描述")
    _el(d, "题名", f.title)
    _el(d, "文号", f.doc_number)
    _el(d, "责任者", f.responsible)
    _el(d, "日期", f.date)
    _el(d, "文件类别", f.kind)
    _el(d, "密级", "")
    if f.note:
        _el(d, "附注", f.note)
    ff = _el(entity, "形式特征")
    _el(ff, "页数", f.pages)
    _el(entity, "存储位置", f.path)
    if f.av:
        av = _el(entity, "音像记录描述")
        for tag, key in (
            ("记录事项", "matter"),
            ("记录时间", "time"),
            ("记录地点", "place"),
            ("记录方式", "method"),
            ("执法人员", "officers"),
            ("设备编号", "device_no"),
            ("时长", "duration"),
        ):
            _el(av, tag, f.av.get(key, ""))
    data = _el(entity, "文件数据")
    doc = _el(data, "文档")
    _el(doc, "文档标识符", f.item_id)
    _el(doc, "题名", f.title)
    docdata = _el(doc, "文档数据", 文档数据ID=f"D{f.item_id}")
    enc = _el(docdata, "编码", 编码ID=f"E{f.item_id}")
    props = _el(enc, "电子属性")
    _el(props, "格式信息", f.media_type)
    _el(props, "计算机文件名", f.path.rsplit("/", 1)[-1])
    _el(props, "计算机文件大小", f.size)
    _el(enc, "编码描述", "文档数据存放在信息包的 data/ 目录中，此处只记录其摘要")
    _el(enc, "反编码关键字", "external")
    coded = _el(enc, "编码数据", 编码数据ID=f"C{f.item_id}")
    _el(coded, "SHA256", f.sha256)
    _el(coded, "SM3", f.sm3)


def _business_block(content: ET.Element, business: Iterable[dict[str, str]], dossier_id: str) -> None:
    """What was done to the dossier, in order (业务实体块)."""
    biz = _el(content, "业务实体块")
    for n, b in enumerate(business, 1):
        entity = _el(biz, "业务实体")
        _el(entity, "业务标识符", f"B{n:04d}")
        _el(entity, "机构人员标识符", b.get("actor", ""))
        _el(entity, "文件标识符", dossier_id)
        _el(entity, "业务状态", b.get("state", ""))
        _el(entity, "业务行为", b.get("action", ""))
        _el(entity, "行为时间", b.get("at", ""))
        _el(entity, "行为依据", b.get("basis", ""))
        _el(entity, "行为描述", b.get("description", ""))


def _people_block(content: ET.Element, people: Iterable[dict[str, str]]) -> None:
    """The agency and officers named (机构人员实体块)."""
    org = _el(content, "机构人员实体块")
    for p in people:
        entity = _el(org, "机构人员实体")
        _el(entity, "机构人员标识符", p["id"])
        _el(entity, "机构人员类型", p["type"])
        _el(entity, "机构人员名称", p["name"])
        if p.get("code"):
            _el(entity, "组织机构代码", p["code"])
        if p.get("position"):
            _el(entity, "个人职位", p["position"])


def parse_files(xml_bytes: bytes) -> dict[str, dict[str, str]]:
    """Path → {sha256, sm3, size, format} as the XML records them (for the 四性 checks)."""
    root = ET.fromstring(xml_bytes)  # noqa: S314 - our own document, parsed back to check it
    ns = f"{{{NAMESPACE}}}"
    out: dict[str, dict[str, str]] = {}
    for entity in root.iter(ns + "文件实体"):
        if (entity.findtext(ns + "聚合层次") or "") != "文件":
            continue
        path = entity.findtext(ns + "存储位置") or ""
        enc = entity.find(f"{ns}文件数据/{ns}文档/{ns}文档数据/{ns}编码")
        if enc is None:
            out[path] = {}
            continue
        out[path] = {
            "sha256": enc.findtext(f"{ns}编码数据/{ns}SHA256") or "",
            "sm3": enc.findtext(f"{ns}编码数据/{ns}SM3") or "",
            "size": enc.findtext(f"{ns}电子属性/{ns}计算机文件大小") or "",
            "format": enc.findtext(f"{ns}电子属性/{ns}格式信息") or "",
        }
    return out
