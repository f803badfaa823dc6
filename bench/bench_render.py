"""PDF/A rendering benchmark: records.render.html_to_pdfa with the embedded CJK fonts
compacted (records/fontsubset.py, the default) against the same call without
(compact_fonts=False, WeasyPrint's retain-gids programs as they are), and WeasyPrint's
plain write_pdf as the floor.

    .venv/bin/python bench/bench_render.py              # 5 rounds
    .venv/bin/python bench/bench_render.py --rounds 2   # a quick run

Set-up (not timed): a fresh quanlu site (SQLite) in a temporary folder; a case with a
party and three signed documents, one of each print layout (notice, transcript, table),
made through the real services; their HTML is what render_pdf would lay out.

Each round renders every document with each contestant, interleaved, in this process
(fonts and templates warm, as in a server or the test suite). For each it prints the
median wall and CPU time of the whole call (CPU time is the steadier figure on a shared
machine), the CPU time of pikepdf's PDF/A validation of the written file alone
(validate_written, the check html_to_pdfa runs), the PDF's size and the bytes of its
embedded font programs; then whether poppler (pdftoppm, 60 dpi) draws the old and
the new PDF pixel for pixel the same.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _django(data: Path) -> None:
    os.environ["QUANLU_DATA_DIR"] = str(data)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quanlu.config.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def documents(data: Path) -> dict[str, tuple[str, str, str]]:
    """layout → (HTML, title, author) of a signed document of that layout."""
    _django(data)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from quanlu.archive.tests.helpers import party, staff
    from quanlu.records.catalogue import catalogue
    from quanlu.records.render import display, render_html
    from quanlu.records.sample import make_document, sign_all
    from quanlu.records.selectors import current_version
    from quanlu.testing import factories

    world = factories.world()
    case = world.open_case(cause="某化工有限公司废气超标排放案")
    party(world, case)
    people = staff(world)
    out = {}
    for layout in ("notice", "transcript", "table"):
        code = next(t.code for t in catalogue().types.values() if not t.uploaded and t.layout == layout)
        doc = make_document(case, code, people)
        sign_all(doc, people)
        d = display(doc, current_version(doc), signed=True)
        out[layout] = (render_html(d), f"{d.title} {d.number}".strip(), d.agency_name)
    return out


def font_bytes(pdf_bytes: bytes) -> int:
    """Bytes (as stored, compressed) of the embedded font programs."""
    import pikepdf

    total = 0
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor":
                for key in ("/FontFile", "/FontFile2", "/FontFile3"):
                    if key in obj:
                        total += len(obj[key].read_raw_bytes())
    return total


def same_pixels(a: bytes, b: bytes, tmp: Path) -> bool | None:
    if not shutil.which("pdftoppm"):
        return None
    from PIL import Image, ImageChops

    pages = []
    for name, data in (("a", a), ("b", b)):
        (tmp / f"{name}.pdf").write_bytes(data)
        subprocess.run(["pdftoppm", "-r", "60", "-png", tmp / f"{name}.pdf", tmp / name], check=True)
        pages.append(sorted(tmp.glob(f"{name}-*.png")))
    if len(pages[0]) != len(pages[1]):
        return False
    for pa, pb in zip(*pages, strict=True):
        with Image.open(pa) as ia, Image.open(pb) as ib:
            if ImageChops.difference(ia.convert("RGB"), ib.convert("RGB")).getbbox() is not None:
                return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-render-") as tmpdir:
        tmp = Path(tmpdir)
        docs = documents(tmp / "site")
        import pikepdf.pdfa
        from weasyprint import HTML

        from quanlu.records.render import html_to_pdfa

        def weasyprint(html: str, title: str, author: str) -> bytes:
            raw = io.BytesIO()
            HTML(string=html, base_url=None).write_pdf(raw, pdf_variant="pdf/a-2b")
            return raw.getvalue()

        def old(html: str, title: str, author: str) -> bytes:
            return html_to_pdfa(html, title=title, author=author, compact_fonts=False)[0]

        def new(html: str, title: str, author: str) -> bytes:
            return html_to_pdfa(html, title=title, author=author)[0]

        contestants: dict[str, Any] = {
            "weasyprint write_pdf (no check)": weasyprint,
            "html_to_pdfa, fonts as written": old,
            "html_to_pdfa, fonts compacted": new,
        }
        for html, title, author in docs.values():  # warm fonts, templates, imports
            new(html, title, author)
        times: dict[tuple[str, str], list[float]] = {}
        cpu: dict[tuple[str, str], list[float]] = {}
        checks: dict[tuple[str, str], list[float]] = {}
        outputs: dict[tuple[str, str], bytes] = {}
        for _ in range(args.rounds):
            for layout, (html, title, author) in docs.items():
                for name, fn in contestants.items():
                    t, c = time.perf_counter(), time.process_time()
                    data = fn(html, title, author)
                    times.setdefault((layout, name), []).append(time.perf_counter() - t)
                    cpu.setdefault((layout, name), []).append(time.process_time() - c)
                    outputs[layout, name] = data
                    if name != "weasyprint write_pdf (no check)":
                        c = time.process_time()
                        report = pikepdf.pdfa.validate_written(io.BytesIO(data), "2b")
                        checks.setdefault((layout, name), []).append(time.process_time() - c)
                        assert report.passed, report.findings
        print(
            f"{args.rounds} rounds, medians; call = the whole call (wall and CPU seconds), check = CPU "
            "seconds of pikepdf.pdfa.validate_written of the output alone"
        )
        print(
            f"{'document':<11} {'contestant':<33} {'wall s':>7} {'CPU s':>6} {'check s':>8} {'PDF KB':>7} "
            f"{'fonts KB':>9}"
        )
        for layout in docs:
            for name in contestants:
                key = (layout, name)
                check = f"{statistics.median(checks[key]):8.3f}" if key in checks else f"{'-':>8}"
                print(
                    f"{layout:<11} {name:<33} {statistics.median(times[key]):7.3f} "
                    f"{statistics.median(cpu[key]):6.3f} {check} "
                    f"{len(outputs[key]) / 1024:7.0f} {font_bytes(outputs[key]) / 1024:9.0f}"
                )
            (tmp / layout).mkdir()
            same = same_pixels(
                outputs[layout, "html_to_pdfa, fonts as written"],
                outputs[layout, "html_to_pdfa, fonts compacted"],
                tmp / layout,
            )
            print(f"{layout:<11} poppler draws old and new the same: {same}")


if __name__ == "__main__":
    main()
