"""A dashboard's tables as files: any one table as an XLSX sheet (openpyxl), and the
whole period's report — every panel's table — as a PDF through the records rendering
path (WeasyPrint with the Noto CJK fonts, PDF/A-2b checked by pikepdf, the same as
every document: one path to keep working, and the report can go into a dossier)."""

from __future__ import annotations

import io

from django.template.loader import render_to_string
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

from quanlu.records.render import SANS_FAMILY, SERIF_FAMILY, html_to_pdfa
from quanlu.supervision.dashboards import Panel, Query, Table

MAX_SHEET_TITLE = 31  # Excel's limit


def _sheet_title(title: str) -> str:
    # Excel refuses these in a sheet name.
    for ch in "[]:*?/\\":
        title = title.replace(ch, "、")
    return title[:MAX_SHEET_TITLE]


def table_xlsx(query: Query, tables: list[tuple[Panel, Table]]) -> bytes:
    """One sheet per table: a title, the period and scope, the header, one row per
    agency (or rule; the figures as numbers), and the totals."""
    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    for panel, table in tables:
        sheet = book.create_sheet(_sheet_title(panel.title))
        sheet.append([panel.title])
        sheet.append([f"统计期间：{query.period.label}；范围：{query.scope.label}；{panel.note}"])
        sheet.append([panel.rows_label, *(c.label for c in table.columns)])
        for cell in sheet[3]:
            cell.font = bold
        for name, values in table.lines():
            sheet.append([name, *values])
        totals = table.totals()
        sheet.append(["合计", *(totals[c.key] for c in table.columns)])
        sheet["A1"].font = Font(bold=True, size=14)
        sheet.column_dimensions["A"].width = 36
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def report_pdf(query: Query, tables: list[tuple[Panel, Table]]) -> bytes:
    title = f"行政执法全过程记录统计报告（{query.period.label}）"
    html = render_to_string(
        "supervision/dashboard_report.html",
        {
            "title": title,
            "query": query,
            "tables": tables,
            "made_at": timezone.localtime(),
            "font_serif": SERIF_FAMILY,
            "font_sans": SANS_FAMILY,
        },
    )
    author = query.officer.agency.name if query.officer.agency else query.officer.full_name
    pdf, _ = html_to_pdfa(html, title=title, author=author)
    return pdf
