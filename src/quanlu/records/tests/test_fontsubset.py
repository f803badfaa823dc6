"""The embedded CJK fonts are compacted (records/fontsubset.py): a short document's
fonts are small, the PDF still passes the PDF/A validator, and it shows the same text,
drawn pixel for pixel the same, as with WeasyPrint's programs as written."""

import io
import shutil
import subprocess

import pikepdf
import pikepdf.pdfa
import pytest

from quanlu.records.fontsubset import compact_cff, hb_subset
from quanlu.records.render import SERIF_FAMILY, html_to_pdfa

TEXT = "某市生态环境局行政处罚决定书：当事人某化工有限公司废气超标排放，责令改正。"
HTML = (
    f"<html><body style=\"font-family:'{SERIF_FAMILY}'\"><h1>行政处罚决定书</h1><p>{TEXT}</p></body></html>"
)
# What a one-paragraph document's two faces (regular and bold) may weigh, compressed.
# WeasyPrint's retain-gids programs weigh 150–300 KB here; compacted, under 20 KB.
FONT_BYTES_BOUND = 40_000


def font_programs(data: bytes) -> list[tuple[str, bytes, bytes]]:
    """(FontFile3 subtype, program, stored bytes) of each embedded CIDFont."""
    found = []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Subtype") == "/CIDFontType0":
                ff = obj.FontDescriptor.FontFile3
                found.append((str(ff.Subtype), ff.read_bytes(), ff.read_raw_bytes()))
    return found


def widths_cids(data: bytes) -> list[set[int]]:
    from quanlu.records.fontsubset import _widths_cids

    with pikepdf.open(io.BytesIO(data)) as pdf:
        return [
            _widths_cids(obj.W) or set()
            for obj in pdf.objects
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Subtype") == "/CIDFontType0"
        ]


@pytest.fixture(scope="module")
def rendered():
    """The short document rendered with the fonts compacted and as WeasyPrint wrote them."""
    new, _ = html_to_pdfa(HTML, title="行政处罚决定书", author="某市生态环境局")
    old, _ = html_to_pdfa(HTML, title="行政处罚决定书", author="某市生态环境局", compact_fonts=False)
    return new, old


def test_a_short_documents_fonts_are_compacted_and_it_stays_pdfa(rendered):
    new, old = rendered
    new_fonts, old_fonts = font_programs(new), font_programs(old)
    assert len(new_fonts) == len(old_fonts) == 2  # regular and bold
    assert sum(len(stored) for _, _, stored in old_fonts) > FONT_BYTES_BOUND
    assert sum(len(stored) for _, _, stored in new_fonts) < FONT_BYTES_BOUND
    assert {subtype for subtype, _, _ in old_fonts} == {"/OpenType"}
    assert {subtype for subtype, _, _ in new_fonts} == {"/CIDFontType0C"}
    assert len(new) < len(old) / 3
    report = pikepdf.pdfa.validate_written(io.BytesIO(new), "2b")
    assert report.findings == [], report.findings
    assert report.passed


@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="poppler-utils is not installed")
def test_the_compacted_document_reads_and_draws_as_before(rendered, tmp_path):
    from PIL import Image, ImageChops

    new, old = rendered
    for name, data in (("new", new), ("old", old)):
        (tmp_path / f"{name}.pdf").write_bytes(data)
        subprocess.run(
            ["pdftoppm", "-r", "50", "-png", tmp_path / f"{name}.pdf", tmp_path / name], check=True
        )
    text = subprocess.run(
        ["pdftotext", tmp_path / "new.pdf", "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "行政处罚决定书" in text
    assert TEXT in text.replace("\n", "")
    with Image.open(tmp_path / "new-1.png") as a, Image.open(tmp_path / "old-1.png") as b:
        assert a.size == b.size
        # Poppler draws the glyphs of a bare CID-keyed CFF by CID; had the codes selected
        # other glyphs (or none), the pages would differ.
        assert ImageChops.difference(a.convert("RGB"), b.convert("RGB")).getbbox() is None
        assert a.convert("L").getextrema()[0] < 128  # and the page is not blank


def test_compaction_keeps_each_used_cid_and_refuses_what_it_cannot_prove(rendered):
    _, old = rendered
    (_, program, _), *_ = font_programs(old)
    cids = widths_cids(old)[0]
    cff = compact_cff(program, cids)
    assert cff is not None
    assert len(cff) < len(program) / 10
    # A glyph id the font does not have: nothing is proven, nothing is made.
    assert compact_cff(program, cids | {65_535}) is None
    # A font whose CIDs are not its glyph ids (contiguous glyphs, CIDs kept): a code
    # equal to such a glyph's id would, as a CID, select another glyph or none; refused.
    done = hb_subset(program, cids)
    assert done is not None
    shuffled, new_gid = done
    moved = [new for old_gid, new in new_gid.items() if new != old_gid]
    assert moved
    assert compact_cff(shuffled, {moved[0]}) is None


def test_a_program_shared_by_two_cidfonts_keeps_the_glyphs_of_both(rendered):
    from quanlu.records.fontsubset import _cid_charset, compact_cid_fonts

    _, old = rendered
    with pikepdf.open(io.BytesIO(old)) as pdf:
        first = next(
            obj
            for obj in pdf.objects
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Subtype") == "/CIDFontType0"
        )
        cids = sorted(widths_cids(old)[0] - {0})
        # a second CIDFont over the same program, showing glyphs the first one does not
        bold_cids = sorted(set(widths_cids(old)[1]) - set(cids) - {0})[:3]
        second = pdf.make_indirect(pikepdf.Dictionary(first))
        second.W = pikepdf.Array([c for cid in bold_cids for c in (cid, pikepdf.Array([1000]))])
        first.W = pikepdf.Array([c for cid in cids for c in (cid, pikepdf.Array([1000]))])
        program = first.FontDescriptor.FontFile3
        full = len(program.read_bytes())
        assert compact_cid_fonts(pdf) == 2  # the shared program once, and the bold face
        assert str(program.Subtype) == "/CIDFontType0C"
        assert len(program.read_bytes()) < full / 10
        kept = set(_cid_charset(program.read_bytes()) or [])
        assert set(cids) <= kept
        assert bold_cids
        assert set(bold_cids) <= kept
        assert "/CIDToGIDMap" not in first
        assert "/CIDToGIDMap" not in second
