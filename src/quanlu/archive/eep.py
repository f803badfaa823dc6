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
    ns = f"{{{NAMESPACE}}}"

    def sub(parent: ET.Element, tag: str, text: Any = None, **attrs: str) -> ET.Element:
        return _sub(parent, ns + tag, text, **attrs)

    sub(root, "封装包格式描述", DESCRIPTION)
    sub(root, "版本", "2009")
    signed = sub(root, "被签名对象", eep版本="2009")
    sub(signed, "封装包类型", "原始型")
    sub(signed, "封装包类型描述", "本封装包包含行政执法案卷的电子文件（文字记录与音像记录）及其元数据")
    sub(signed, "封装包创建时间", created_at)
    sub(signed, "封装包创建单位", dossier["fonds_name"])
    content = sub(signed, "封装内容")
    block = sub(content, "文件实体块")
    volume = sub(block, "文件实体")
    sub(volume, "聚合层次", "案卷")
    source = sub(volume, "来源")
    sub(source, "档案馆名称", "")
    sub(source, "全宗名称", dossier["fonds_name"])
    sub(source, "立档单位名称", dossier["agency"])
    sub(volume, "电子文件号", dossier["id"])
    number = sub(volume, "档号")
    sub(number, "档号", dossier["archive_number"])
    sub(number, "全宗号", dossier["fonds_code"])
    sub(number, "年度", dossier["year"])
    sub(number, "保管期限", dossier["retention"])
    sub(number, "案号", dossier["case_number"])
    desc = sub(volume, "内容描述")
    sub(desc, "题名", dossier["title"])
    sub(desc, "责任者", dossier["agency"])
    sub(desc, "起始日期", dossier["start"])
    sub(desc, "截止日期", dossier["end"])
    form = sub(volume, "形式特征")
    sub(form, "件数", dossier["count"])
    sub(form, "页数", dossier["pages"])
    for f in files:
        entity = sub(volume, "文件实体")
        sub(entity, "聚合层次", "文件")
        sub(entity, "电子文件号", f.item_id)
        if f.index_no is not None:
            sub(entity, "件号", f.index_no)
        d = sub(entity, "内容描述")
        sub(d, "题名", f.title)
        sub(d, "文号", f.doc_number)
        sub(d, "责任者", f.responsible)
        sub(d, "日期", f.date)
        sub(d, "文件类别", f.kind)
        sub(d, "密级", "")
        if f.note:
            sub(d, "附注", f.note)
        ff = sub(entity, "形式特征")
        sub(ff, "页数", f.pages)
        sub(entity, "存储位置", f.path)
        if f.av:
            av = sub(entity, "音像记录描述")
            for tag, key in (
                ("记录事项", "matter"),
                ("记录时间", "time"),
                ("记录地点", "place"),
                ("记录方式", "method"),
                ("执法人员", "officers"),
                ("设备编号", "device_no"),
                ("时长", "duration"),
            ):
                sub(av, tag, f.av.get(key, ""))
        data = sub(entity, "文件数据")
        doc = sub(data, "文档")
        sub(doc, "文档标识符", f.item_id)
        sub(doc, "题名", f.title)
        docdata = sub(doc, "文档数据", 文档数据ID=f"D{f.item_id}")
        enc = sub(docdata, "编码", 编码ID=f"E{f.item_id}")
        props = sub(enc, "电子属性")
        sub(props, "格式信息", f.media_type)
        sub(props, "计算机文件名", f.path.rsplit("/", 1)[-1])
        sub(props, "计算机文件大小", f.size)
        sub(enc, "编码描述", "文档数据存放在信息包的 data/ 目录中，此处只记录其摘要")
        sub(enc, "反编码关键字", "external")
        coded = sub(enc, "编码数据", 编码数据ID=f"C{f.item_id}")
        sub(coded, "SHA256", f.sha256)
        sub(coded, "SM3", f.sm3)
    biz = sub(content, "业务实体块")
    for n, b in enumerate(business, 1):
        entity = sub(biz, "业务实体")
        sub(entity, "业务标识符", f"B{n:04d}")
        sub(entity, "机构人员标识符", b.get("actor", ""))
        sub(entity, "文件标识符", dossier["id"])
        sub(entity, "业务状态", b.get("state", ""))
        sub(entity, "业务行为", b.get("action", ""))
        sub(entity, "行为时间", b.get("at", ""))
        sub(entity, "行为依据", b.get("basis", ""))
        sub(entity, "行为描述", b.get("description", ""))
    org = sub(content, "机构人员实体块")
    for p in people:
        entity = sub(org, "机构人员实体")
        sub(entity, "机构人员标识符", p["id"])
        sub(entity, "机构人员类型", p["type"])
        sub(entity, "机构人员名称", p["name"])
        if p.get("code"):
            sub(entity, "组织机构代码", p["code"])
        if p.get("position"):
            sub(entity, "个人职位", p["position"])
    ET.indent(root, space="  ")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


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
