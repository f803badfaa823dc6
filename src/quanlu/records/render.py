"""Rendering a document version to PDF/A-2b (WeasyPrint, validated by pikepdf) and
to DOCX (python-docx), laid out like the official forms.

Both renderings are built from one display model (``display``), so the PDF and the
editable DOCX say the same thing. Fonts are the Debian Noto CJK families, found
through fontconfig and embedded (subset) in every PDF.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import math
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from quanlu.blobs.store import get_store
from quanlu.core.errors import InvalidInput
from quanlu.records.catalogue import KINDS, NOTICE_METHODS, RIGHTS, DocType, FieldSpec, catalogue
from quanlu.records.models import Document, Version
from quanlu.records.selectors import SlotStatus, current_version, signature_status, version_get

PDFA_FLAVOUR = "2b"


class RenderError(Exception):
    pass


# ---------------------------------------------------------------- formatting


def fmt_date(value: str | None) -> str:
    d = parse_date(value) if value else None
    return f"{d.year}年{d.month}月{d.day}日" if d else ""


def fmt_datetime(value: str | dt.datetime | None) -> str:
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is None:
        return ""
    local = timezone.localtime(value)
    return f"{local.year}年{local.month}月{local.day}日{local.hour:02d}时{local.minute:02d}分"


def _person(p: dict[str, Any]) -> str:
    parts = [p.get("name", "")]
    for key, label in (
        ("role", "身份"),
        ("gender", "性别"),
        ("id_number", "证件号码"),
        ("position", "工作单位及职务"),
        ("phone", "电话"),
        ("address", "住址"),
    ):
        if p.get(key):
            parts.append(f"{label}：{p[key]}")
    return "，".join(parts)


def _party(p: dict[str, Any]) -> str:
    parts = [f"{p['name']}（{p.get('id_type', '证件')}：{p.get('id_number', '')}）"]
    if p.get("legal_representative"):
        parts.append(f"法定代表人（负责人）：{p['legal_representative']}")
    if p.get("address"):
        parts.append(f"住所：{p['address']}")
    if p.get("phone"):
        parts.append(f"电话：{p['phone']}")
    return "；".join(parts)


def _officer(o: dict[str, Any]) -> str:
    return f"{o['name']}（执法证号：{o.get('certificate_no') or '无'}）"


def _officers(items: list[dict[str, Any]]) -> str:
    return "；".join(
        f"{o['name']}（执法证号：{o.get('certificate_no') or '无'}，{'已出示执法证件' if o.get('certificate_shown') else '未出示执法证件'}）"
        for o in items
    )


def _cell(col: FieldSpec, value: Any) -> str:
    if value in (None, ""):
        return ""
    if col.type == "date":
        return fmt_date(value)
    if col.type == "money":
        return f"{value}"
    return str(value)


@dataclass
class Row:
    label: str
    kind: str  # text | long | table | turns
    text: str = ""
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    turns: list[tuple[str, str]] = field(default_factory=list)
    key: str = ""


def field_row(spec: FieldSpec, value: Any, rulebook_id: str) -> Row:
    t = spec.type
    if t in ("text",):
        return Row(spec.label, "text", str(value), key=spec.key)
    if t == "long_text":
        return Row(spec.label, "long", str(value), key=spec.key)
    if t == "date":
        return Row(spec.label, "text", fmt_date(value), key=spec.key)
    if t == "datetime":
        return Row(spec.label, "text", fmt_datetime(value), key=spec.key)
    if t in ("integer", "money"):
        return Row(spec.label, "text", f"{value}{'元' if t == 'money' else ''}", key=spec.key)
    if t == "boolean":
        return Row(spec.label, "text", "是" if value else "否", key=spec.key)
    if t == "choice":
        return Row(spec.label, "text", spec.option_label(value), key=spec.key)
    if t == "multi_choice":
        return Row(spec.label, "text", "、".join(spec.option_label(v) for v in value), key=spec.key)
    if t == "officer":
        return Row(spec.label, "text", _officer(value), key=spec.key)
    if t == "officers":
        return Row(spec.label, "text", _officers(value), key=spec.key)
    if t == "party":
        return Row(spec.label, "text", _party(value), key=spec.key)
    if t == "person":
        return Row(spec.label, "text", _person(value), key=spec.key)
    if t == "persons":
        return Row(spec.label, "text", "；".join(_person(p) for p in value), key=spec.key)
    if t == "items":
        return Row(
            spec.label,
            "table",
            columns=["序号", *(c.label for c in spec.columns)],
            rows=[[str(n), *(_cell(c, r.get(c.key)) for c in spec.columns)] for n, r in enumerate(value, 1)],
            key=spec.key,
        )
    if t == "turns":
        speakers = dict(spec.speakers)
        return Row(
            spec.label,
            "turns",
            turns=[
                (
                    speakers.get(x["speaker"], x["speaker"]) + (f"（{x['name']}）" if x.get("name") else ""),
                    x["text"],
                )
                for x in value
            ],
            key=spec.key,
        )
    if t == "rights":
        lines = []
        for r in value:
            line = f"{RIGHTS[r['right']]}：{NOTICE_METHODS.get(r['method'], r['method'])}"
            if r.get("exercised"):
                line += f"；行使情况：{r['exercised']}"
            lines.append(line)
        return Row(spec.label, "long", "\n".join(lines), key=spec.key)
    return Row(spec.label, "text", str(value), key=spec.key)  # pragma: no cover


# ---------------------------------------------------------------- signatures


@dataclass
class Mark:
    name: str
    kind: str
    at: str
    image: bytes | None = None
    image_type: str = ""

    @property
    def data_uri(self) -> str:
        if not self.image:
            return ""
        return f"data:{self.image_type or 'image/png'};base64," + base64.b64encode(self.image).decode()


@dataclass
class SignatureBlock:
    key: str
    label: str
    marks: list[Mark]
    refusals: list[str]
    expected: int
    note: str = ""


def _blob_bytes(sha256: str) -> bytes | None:
    if not sha256:
        return None
    with get_store().open(sha256) as fh:
        return fh.read()


def signature_blocks(statuses: list[SlotStatus], *, agency_name: str) -> list[SignatureBlock]:
    blocks = []
    for st in statuses:
        marks = []
        for s in st.signatures:
            image = _blob_bytes(s.image_sha256) if s.image_sha256 else None
            image_type = s.image_type
            if s.role == "agency" and image is None:
                image, image_type = seal_png(agency_name), "image/png"
            kind = KINDS.get(s.kind, s.kind)
            if s.officer_id and s.role != "agency":
                kind = "电子签名"  # re-authenticated in the system; there is no drawn image
            marks.append(Mark(s.signer_name, kind, fmt_datetime(s.signed_at), image, image_type))
        refusals = []
        for r in st.refusals:
            names = "、".join(a.officer.full_name for a in r.attestations.all())
            refusals.append(
                f"{r.person_name}拒绝签字。情况：{r.reason}（{fmt_datetime(r.recorded_at)}，执法人员{names}签字确认）"
            )
        blocks.append(
            SignatureBlock(
                key=st.key,
                label=st.label,
                marks=marks,
                refusals=refusals,
                expected=len(st.expected),
                note=f"（{st.kind_labels}）",
            )
        )
    return blocks


# ---------------------------------------------------------------- the seal


# Debian's fonts-noto-cjk (installed by `make run-deps`); the family is found by
# name inside the collection, since the order of faces in a .ttc is not ours to rely on.
SERIF_FAMILY = "Noto Serif CJK SC"
SANS_FAMILY = "Noto Sans CJK SC"
SEAL_FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)


@cache
def seal_font() -> tuple[str, int]:
    """(path, face index) of the bold Simplified Chinese sans face, for the seal."""
    from PIL import ImageFont

    for path in SEAL_FONT_FILES:
        for index in range(10):
            try:
                face = ImageFont.truetype(path, 12, index=index)
            except OSError:
                break
            if face.getname()[0] == SANS_FAMILY:
                return path, index
    raise RenderError(
        f"font {SANS_FAMILY} not found (install Debian's fonts-noto-cjk: sudo apt-get install fonts-noto-cjk)"
    )


@cache
def seal_png(agency_name: str, size: int = 420) -> bytes:
    """A red round seal image with the agency's name along the rim: how the agency
    seal (电子印章) shows on a rendered document."""
    from PIL import Image, ImageDraw, ImageFont

    path, index = seal_font()
    red = (200, 20, 20, 255)
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    c = size / 2
    draw.ellipse([8, 8, size - 8, size - 8], outline=red, width=14)
    font = ImageFont.truetype(path, int(size * 0.13), index=index)
    chars = list(agency_name)
    span = min(250.0, 22.0 * len(chars))
    radius = c - 62
    for i, ch in enumerate(chars):
        angle = -span / 2 + span * (i + 0.5) / len(chars)
        tile = Image.new("RGBA", (int(size * 0.16), int(size * 0.16)), (0, 0, 0, 0))
        ImageDraw.Draw(tile).text((tile.width / 2, tile.height / 2), ch, font=font, fill=red, anchor="mm")
        tile = tile.rotate(-angle, resample=Image.Resampling.BICUBIC, expand=True)
        rad = math.radians(angle - 90)
        x, y = c + radius * math.cos(rad), c + radius * math.sin(rad)
        img.alpha_composite(tile, (int(x - tile.width / 2), int(y - tile.height / 2)))
    star = ImageFont.truetype(path, int(size * 0.30), index=index)
    draw.text((c, c + 8), "★", font=star, fill=red, anchor="mm")
    small = ImageFont.truetype(path, int(size * 0.075), index=index)
    draw.text((c, c + size * 0.27), "电子印章", font=small, fill=red, anchor="mm")
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


# ---------------------------------------------------------------- the display model


@dataclass
class Display:
    doc_type: DocType
    document: Document
    version: Version
    agency_name: str
    case_number: str
    cause: str
    title: str
    number: str
    header_rows: list[Row]
    body_rows: list[Row]
    issue_date: str
    party_line: str
    blocks: list[SignatureBlock]
    signed: bool
    seal: str = ""
    has_seal_slot: bool = False
    amendments: list[str] = field(default_factory=list)


HEADER_KEYS = ("started_at", "ended_at", "place", "officers", "recorder", "presiding")


def display(doc: Document, version: Version, *, signed: bool) -> Display:
    doc_type = catalogue().get(doc.type_code)
    values = version.fields
    book = doc.case.rulebook_id
    rows = [
        field_row(spec, values[spec.key], book)
        for spec in doc_type.fields
        if spec.key in values and spec.key != "issued_on"
    ]
    header: list[Row] = []
    body: list[Row] = []
    for r in rows:
        (header if doc_type.layout == "transcript" and r.key in HEADER_KEYS else body).append(r)
    party = (
        values.get("party") or values.get("recipient") or values.get("applicant") or values.get("respondent")
    )
    statuses = signature_status(doc, version)
    blocks = (
        signature_blocks(statuses, agency_name=doc.case.agency.name)
        if signed
        else [
            SignatureBlock(
                key=s.key,
                label=s.label,
                marks=[],
                refusals=[],
                expected=len(s.expected),
                note=f"（{s.kind_labels}）",
            )
            for s in statuses
        ]
    )
    sealed = signed and any(s.key == "agency_seal" and s.signatures for s in statuses)
    amendments = []
    for v in doc.versions.filter(number__gt=1, number__lte=version.number).order_by("number"):
        labels = "、".join(_label(doc_type, k) for k in v.changed_fields)
        amendments.append(f"第{v.number}版（{fmt_datetime(v.created_at)}）更正：{labels}。理由：{v.reason}")
    return Display(
        doc_type=doc_type,
        document=doc,
        version=version,
        agency_name=doc.case.agency.name,
        case_number=doc.case.number,
        cause=doc.case.cause,
        title=doc.title,
        number=doc.number,
        header_rows=header,
        body_rows=body,
        issue_date=fmt_date(values.get("issued_on")),
        party_line=_party(party) if isinstance(party, dict) and "id_number" in party else "",
        blocks=blocks,
        signed=signed,
        seal="data:image/png;base64," + base64.b64encode(seal_png(doc.case.agency.name)).decode()
        if sealed
        else "",
        amendments=amendments,
        has_seal_slot=any(s.key == "agency_seal" for s in statuses),
    )


def _label(doc_type: DocType, key: str) -> str:
    try:
        return doc_type.field(key).label
    except KeyError:
        return key


# ---------------------------------------------------------------- PDF/A


def render_html(d: Display) -> str:
    return render_to_string(
        f"records/print/{d.doc_type.layout}.html",
        {"d": d, "font_serif": SERIF_FAMILY, "font_sans": SANS_FAMILY},
    )


def html_to_pdfa(html: str, *, title: str, author: str, compact_fonts: bool = True) -> tuple[bytes, int]:
    """HTML → PDF/A-2b bytes and the page count; raises RenderError unless pikepdf's
    validator approves the written file.

    The CJK fonts WeasyPrint embeds are compacted first (records/fontsubset.py): a
    one-page document goes from ~300 KB to ~60 KB and validates in a tenth of the time.
    ``compact_fonts=False`` keeps WeasyPrint's programs as they are (bench/bench_render.py
    measures both)."""
    import pikepdf
    import pikepdf.pdfa
    from weasyprint import HTML

    from quanlu.records.fontsubset import compact_cid_fonts

    raw = io.BytesIO()
    HTML(string=html, base_url=None).write_pdf(raw, pdf_variant="pdf/a-2b")
    with pikepdf.open(io.BytesIO(raw.getvalue())) as pdf:
        # WeasyPrint writes empty /Pattern and /Shading dictionaries, which the
        # allowlist validator cannot vouch for; they carry nothing, so drop them.
        for res in _resource_dicts(pdf):
            for key in ("/Pattern", "/Shading"):
                if key in res and isinstance(res[key], pikepdf.Dictionary) and len(res[key]) == 0:
                    del res[key]
        if compact_fonts:
            compact_cid_fonts(pdf)
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["dc:title"] = title
            meta["dc:creator"] = [author]
        pages = len(pdf.pages)
        out = io.BytesIO()
        try:
            pikepdf.pdfa.save(pdf, out, PDFA_FLAVOUR)
        except pikepdf.pdfa.PdfaError as exc:
            raise RenderError(f"PDF/A validation failed: {exc}") from exc
    return out.getvalue(), pages


def _resource_dicts(pdf: Any) -> list[Any]:
    """Every /Resources dictionary: the pages' and those of images and forms."""
    import pikepdf

    found = []
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream) and "/Resources" in obj:
            res = obj["/Resources"]
            if isinstance(res, pikepdf.Dictionary):
                found.append(res)
    for page in pdf.pages:
        res = page.obj.get("/Resources")
        if isinstance(res, pikepdf.Dictionary):
            found.append(res)
    return found


def render_pdf(doc: Document, version: Version, *, signed: bool) -> tuple[bytes, int]:
    d = display(doc, version, signed=signed)
    return html_to_pdfa(render_html(d), title=f"{d.title} {d.number}".strip(), author=d.agency_name)


# ---------------------------------------------------------------- DOCX


def render_docx(doc: Document, version: Version, *, signed: bool) -> bytes:
    from quanlu.records.docx_render import build_docx

    return build_docx(display(doc, version, signed=signed))


def rendering_get(doc: Document, fmt: str, version_number: int | None) -> tuple[bytes, str, str]:
    """The bytes of a rendering: the stored one the ledger points to where there is
    one (signed if the version is complete), otherwise rendered now."""
    if fmt not in ("pdf", "docx"):
        raise InvalidInput("格式应为 pdf 或 docx。", field_name="format")
    version = version_get(doc, version_number) if version_number else current_version(doc)
    stem = f"{doc.title}{'-' + doc.number if doc.number else ''}-第{version.number}版"
    if doc.origin == "uploaded":
        if fmt != "pdf" and version.file_type != "application/pdf":
            raise InvalidInput("上传的文件只能按原格式下载。", field_name="format")
        ext = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg", "image/tiff": "tif"}[
            version.file_type
        ]
        with get_store().open(version.file_sha256) as fh:
            return fh.read(), f"{stem}.{ext}", version.file_type
    media = (
        "application/pdf"
        if fmt == "pdf"
        else "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    stored = (
        (version.signed_pdf_sha256 if fmt == "pdf" else version.signed_docx_sha256)
        if version.completed_at
        else ""
    )
    if stored:
        with get_store().open(stored) as fh:
            return fh.read(), f"{stem}.{fmt}", media
    if fmt == "pdf":
        data, _ = render_pdf(doc, version, signed=True)
    else:
        data = render_docx(doc, version, signed=True)
    return data, f"{stem}.{fmt}", media
