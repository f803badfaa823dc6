"""The editable DOCX of a document (for WPS/Word), from the same display model as the PDF."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from docx import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

if TYPE_CHECKING:
    from quanlu.records.render import Display, Row

# Word and WPS substitute their own 宋体/黑体 when the Noto families are missing.
BODY_FONT = "宋体"
TITLE_FONT = "黑体"


def _font(run: Any, name: str, size: float, *, bold: bool = False) -> None:
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    rpr = run._element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(rfonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia"):
        rfonts.set(qn(attr), name)


def _para(
    doc: Any, text: str, *, size: float = 11.5, bold: bool = False, align: Any = None, font: str = BODY_FONT
) -> Any:
    p = doc.add_paragraph()
    if align is not None:
        p.alignment = align
    p.paragraph_format.space_after = Pt(2)
    _font(p.add_run(text), font, size, bold=bold)
    return p


def _cell_text(cell: Any, text: str, *, size: float = 10.5, center: bool = False) -> None:
    cell.text = ""
    lines = text.split("\n") if text else [""]
    p = cell.paragraphs[0]
    for i, line in enumerate(lines):
        if i:
            p = cell.add_paragraph()
        if center:
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(p.add_run(line), BODY_FONT, size)


def _inner_table(container: Any, row: Row) -> None:
    table = container.add_table(rows=1, cols=len(row.columns))
    table.style = "Table Grid"
    for i, c in enumerate(row.columns):
        _cell_text(table.rows[0].cells[i], c, size=10, center=True)
    for data in row.rows:
        cells = table.add_row().cells
        for i, value in enumerate(data):
            _cell_text(cells[i], value, size=10, center=True)


def _rows_as_paragraphs(doc: Any, rows: list[Row]) -> None:
    for r in rows:
        if r.kind == "table":
            _para(doc, r.label, bold=True)
            _inner_table(doc, r)
        elif r.kind == "turns":
            _para(doc, r.label, bold=True)
            for who, text in r.turns:
                p = doc.add_paragraph()
                _font(p.add_run(f"{who}："), BODY_FONT, 11.5, bold=True)
                _font(p.add_run(text), BODY_FONT, 11.5)
        elif r.kind == "long":
            _para(doc, f"{r.label}：", bold=True)
            for line in r.text.split("\n"):
                _para(doc, line)
        else:
            p = doc.add_paragraph()
            _font(p.add_run(f"{r.label}："), BODY_FONT, 11.5, bold=True)
            _font(p.add_run(r.text), BODY_FONT, 11.5)


def _form_table(doc: Any, d: Display) -> None:
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for r in d.body_rows:
        cells = table.add_row().cells
        cells[0].width, cells[1].width = Cm(3.8), Cm(12.8)
        _cell_text(cells[0], r.label, center=True)
        if r.kind == "table":
            cells[1].text = ""
            _inner_table(cells[1], r)
        elif r.kind == "turns":
            _cell_text(cells[1], "\n".join(f"{who}：{text}" for who, text in r.turns))
        else:
            _cell_text(cells[1], r.text)
    if d.issue_date:
        cells = table.add_row().cells
        _cell_text(cells[0], "签发日期", center=True)
        _cell_text(cells[1], d.issue_date)


def _signatures(doc: Any, d: Display) -> None:
    blocks = [b for b in d.blocks if b.key != "agency_seal"]
    if not blocks:
        return
    doc.add_paragraph()
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for b in blocks:
        cells = table.add_row().cells
        cells[0].width, cells[1].width = Cm(3.8), Cm(12.8)
        _cell_text(cells[0], f"{b.label}\n{b.note}", center=True)
        cell = cells[1]
        cell.text = ""
        p = cell.paragraphs[0]
        if not b.marks and not b.refusals:
            _font(p.add_run("\n　　　　　　　　　　　　　　　年　　月　　日"), BODY_FONT, 10.5)
        for m in b.marks:
            if m.image and m.image_type in ("image/png", "image/jpeg"):
                p.add_run().add_picture(io.BytesIO(m.image), height=Cm(1.2))
            _font(p.add_run(f" {m.name}（{m.kind}）{m.at}  "), BODY_FONT, 9.5)
        for text in b.refusals:
            _font(cell.add_paragraph().add_run(text), BODY_FONT, 9.5)


def _closing(doc: Any, d: Display) -> None:
    if not (d.has_seal_slot or d.doc_type.layout == "notice"):
        return
    doc.add_paragraph()
    if d.seal:
        from quanlu.records.render import seal_png

        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        p.add_run().add_picture(io.BytesIO(seal_png(d.agency_name)), width=Cm(3.8))
    _para(doc, d.agency_name, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _para(doc, d.issue_date or "　　年　　月　　日", align=WD_ALIGN_PARAGRAPH.RIGHT)


def build_docx(d: Display) -> bytes:
    doc = DocxDocument()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.2)
    section.top_margin = section.bottom_margin = Cm(2.4)
    header = section.header.paragraphs[0]
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _font(header.add_run(f"案号：{d.case_number}"), BODY_FONT, 8.5)
    if d.doc_type.page_footer:
        footer = section.footer.paragraphs[0]
        footer.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _font(footer.add_run(f"{d.doc_type.page_footer}__________"), BODY_FONT, 9)
    doc.core_properties.title = f"{d.title} {d.number}".strip()
    doc.core_properties.author = d.agency_name

    notice = d.doc_type.layout == "notice"
    _para(
        doc,
        d.agency_name,
        size=20 if notice else 16,
        bold=notice,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        font=TITLE_FONT,
    )
    _para(doc, d.title, size=21, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, font=TITLE_FONT)
    if d.number:
        _para(doc, d.number, align=WD_ALIGN_PARAGRAPH.RIGHT)
    if d.doc_type.layout != "notice":
        p = _para(doc, f"案由：{d.cause}", size=10)
        p.runs[0].font.color.rgb = RGBColor(0x33, 0x33, 0x33)
    if d.doc_type.layout == "table":
        _form_table(doc, d)
        _signatures(doc, d)
        _closing(doc, d)
    elif notice:
        _rows_as_paragraphs(doc, d.body_rows)
        _closing(doc, d)
        _signatures(doc, d)
    else:
        _rows_as_paragraphs(doc, d.header_rows)
        _rows_as_paragraphs(doc, d.body_rows)
        _signatures(doc, d)
    for a in d.amendments:
        _para(doc, a, size=9.5)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
