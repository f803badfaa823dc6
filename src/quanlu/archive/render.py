"""The dossier's own pages as PDF/A-2b: 案卷封面, 卷内目录, 卷内备考表 (GB/T 9705), the 四性检测
report, and the 销毁清册. Rendered like the documents (WeasyPrint with the embedded Noto CJK
fonts, validated by pikepdf.pdfa, see records.render)."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string

from quanlu.records.render import SANS_FAMILY, SERIF_FAMILY, html_to_pdfa


def render_page(template: str, data: dict[str, Any], *, title: str, author: str, header: str = "") -> bytes:
    html = render_to_string(
        f"archive/print/{template}.html",
        {
            "d": data,
            "title": title,
            "header": header.replace('"', "'"),
            "font_serif": SERIF_FAMILY,
            "font_sans": SANS_FAMILY,
            "landscape": template == "index",
        },
    )
    pdf, _pages = html_to_pdfa(html, title=title, author=author)
    return pdf
