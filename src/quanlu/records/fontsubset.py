"""Compacting the CJK fonts WeasyPrint embeds, before the PDF/A check.

WeasyPrint subsets every font with HarfBuzz's retain-gids flag, so the glyph ids its
content streams show stay the font's own. For Noto CJK (CID-keyed CFF, 65 535 glyphs)
that leaves an embedded program with an empty slot for every glyph below the highest
one used: 30 000–63 000 slots, 330–700 KB a face, and most of the PDF/A validator's time
is spent parsing them. Those empty slots are not needed: in a CID-keyed CFF font the
CFF charset maps each CID to its glyph, so the used glyphs can sit together at the front
as long as each keeps its CID.

``compact_cid_fonts`` therefore subsets each such program again with HarfBuzz, this
time without retain-gids (the CFF subsetter keeps the CIDs of a CID-keyed font), and
embeds the bare CFF (``/FontFile3 /Subtype /CIDFontType0C``): readers (poppler through
FreeType among them) select glyphs of a bare CID-keyed CFF by CID through the charset,
whereas some treat the codes of an OpenType-wrapped one as glyph ids. Codes, ``/W`` and
``ToUnicode`` are unchanged, since they are keyed by CID. A font is compacted only when
the result is proven to select the same glyphs: every CID used must name, in the new
charset, the glyph HarfBuzz made from the old glyph of that id (Noto's CIDs equal its
glyph ids). Anything else is left as WeasyPrint wrote it. The PDF/A validator then checks
the result as before (each code selects a glyph of the program, widths agree).

HarfBuzz is the system library WeasyPrint already subsets with (Debian libharfbuzz0b and
libharfbuzz-subset0), reached through cffi as WeasyPrint does.
"""

from __future__ import annotations

import io
import logging
import zlib
from functools import cache
from typing import Any

log = logging.getLogger(__name__)

_CDEF = """
typedef struct hb_blob_t hb_blob_t;
typedef struct hb_face_t hb_face_t;
typedef struct hb_set_t hb_set_t;
typedef struct hb_map_t hb_map_t;
typedef struct hb_subset_input_t hb_subset_input_t;
typedef struct hb_subset_plan_t hb_subset_plan_t;
hb_blob_t *hb_blob_create(const char *data, unsigned int length, int mode, void *user_data, void *destroy);
void hb_blob_destroy(hb_blob_t *blob);
const char *hb_blob_get_data(hb_blob_t *blob, unsigned int *length);
hb_face_t *hb_face_create(hb_blob_t *blob, unsigned int index);
void hb_face_destroy(hb_face_t *face);
unsigned int hb_face_get_glyph_count(const hb_face_t *face);
hb_blob_t *hb_face_reference_table(const hb_face_t *face, uint32_t tag);
hb_blob_t *hb_face_reference_blob(hb_face_t *face);
void hb_set_add(hb_set_t *set, uint32_t codepoint);
uint32_t hb_map_get(const hb_map_t *map, uint32_t key);
hb_subset_input_t *hb_subset_input_create_or_fail(void);
void hb_subset_input_destroy(hb_subset_input_t *input);
hb_set_t *hb_subset_input_glyph_set(hb_subset_input_t *input);
void hb_subset_input_set_flags(hb_subset_input_t *input, unsigned int value);
hb_subset_plan_t *hb_subset_plan_create_or_fail(hb_face_t *source, const hb_subset_input_t *input);
void hb_subset_plan_destroy(hb_subset_plan_t *plan);
hb_face_t *hb_subset_plan_execute_or_fail(hb_subset_plan_t *plan);
const hb_map_t *hb_subset_plan_old_to_new_glyph_mapping(const hb_subset_plan_t *plan);
"""

_MEMORY_MODE_DUPLICATE = 0
_MAP_VALUE_INVALID = 0xFFFFFFFF
# Keep the CFF hint-free and unsubroutinized as WeasyPrint made it, keep unknown tables,
# keep the outline of .notdef (WeasyPrint shows it for characters no font has).
_FLAGS = 0x01 | 0x04 | 0x20 | 0x40  # NO_HINTING | DESUBROUTINIZE | PASSTHROUGH_UNRECOGNIZED | NOTDEF_OUTLINE


@cache
def _harfbuzz() -> tuple[Any, Any, Any] | None:
    """(ffi, libharfbuzz, libharfbuzz-subset), or None where they cannot be loaded."""
    try:
        import cffi

        ffi = cffi.FFI()
        ffi.cdef(_CDEF)
        return ffi, ffi.dlopen("libharfbuzz.so.0"), ffi.dlopen("libharfbuzz-subset.so.0")
    except (ImportError, OSError, AttributeError) as exc:  # pragma: no cover - Debian has both
        log.warning("HarfBuzz subsetter unavailable, embedded fonts stay uncompacted: %s", exc)
        return None


def hb_subset(
    program: bytes, gids: set[int], *, table: bytes | None = None
) -> tuple[bytes, dict[int, int]] | None:
    """HarfBuzz's subset of the font *program* to *gids* (and .notdef), glyph ids made
    contiguous: the new font (or its *table*, e.g. ``b"CFF "``) and each old id's new id.
    None where HarfBuzz fails or a glyph id is not in the font."""
    hb = _harfbuzz()
    if hb is None:
        return None
    ffi, lib, sub = hb
    wanted = sorted(gids | {0})
    blob = lib.hb_blob_create(program, len(program), _MEMORY_MODE_DUPLICATE, ffi.NULL, ffi.NULL)
    face = lib.hb_face_create(blob, 0)
    subset_input = sub.hb_subset_input_create_or_fail()
    plan = out = data_blob = ffi.NULL
    try:
        if subset_input == ffi.NULL or wanted[-1] >= lib.hb_face_get_glyph_count(face):
            return None
        glyphs = sub.hb_subset_input_glyph_set(subset_input)
        for gid in wanted:
            lib.hb_set_add(glyphs, gid)
        sub.hb_subset_input_set_flags(subset_input, _FLAGS)
        plan = sub.hb_subset_plan_create_or_fail(face, subset_input)
        if plan == ffi.NULL:
            return None
        mapping = sub.hb_subset_plan_old_to_new_glyph_mapping(plan)
        new_gid = {gid: lib.hb_map_get(mapping, gid) for gid in wanted}
        out = sub.hb_subset_plan_execute_or_fail(plan)
        if out == ffi.NULL:
            return None
        data_blob = (
            lib.hb_face_reference_table(out, int.from_bytes(table, "big"))
            if table
            else lib.hb_face_reference_blob(out)
        )
        length = ffi.new("unsigned int *")
        data = lib.hb_blob_get_data(data_blob, length)
        if data == ffi.NULL or not length[0]:
            return None
        return bytes(ffi.buffer(data, length[0])), new_gid
    finally:
        for destroy, obj in (
            (lib.hb_blob_destroy, data_blob),
            (lib.hb_face_destroy, out),
            (sub.hb_subset_plan_destroy, plan),
            (sub.hb_subset_input_destroy, subset_input),
            (lib.hb_face_destroy, face),
            (lib.hb_blob_destroy, blob),
        ):
            if obj != ffi.NULL:
                destroy(obj)


def compact_cff(program: bytes, cids: set[int]) -> bytes | None:
    """The bare CFF of *program* (an OpenType font with a CID-keyed CFF whose CIDs
    equal its glyph ids, as WeasyPrint embeds Noto CJK) holding only the glyphs of
    *cids* and .notdef, each under its CID; None unless that is proven."""
    done = hb_subset(program, cids, table=b"CFF ")
    if done is None:
        return None
    cff, new_gid = done
    charset = _cid_charset(cff)
    if charset is None:
        return None
    for cid in cids - {0}:
        new = new_gid[cid]
        # The proof: the code that showed old glyph `cid` (under Identity-H, its CID)
        # selects through the new charset the glyph HarfBuzz made from it.
        if new == _MAP_VALUE_INVALID or new >= len(charset) or charset[new] != cid:
            return None
    return cff


def _cid_charset(cff: bytes) -> list[int] | None:
    """The CID of each glyph of a CID-keyed CFF font, in glyph order; None if it is not one."""
    if not cff:
        return None
    from fontTools.cffLib import CFFFontSet

    fonts = CFFFontSet()
    try:
        fonts.decompile(io.BytesIO(cff), None)
        top = fonts.topDictIndex[0]
        if not hasattr(top, "ROS"):
            return None
        names = top.charset
    except Exception:  # an unreadable result is simply not used
        return None
    cids = [0]
    for name in names[1:]:
        if not (name.startswith("cid") and name[3:].isdigit()):
            return None
        cids.append(int(name[3:]))
    return cids


def _widths_cids(w: Any) -> set[int] | None:
    """The CIDs a /W array gives widths for; None if it is not well formed."""
    import pikepdf

    cids: set[int] = set()
    items = list(w) if isinstance(w, pikepdf.Array) else None
    if items is None:
        return None
    i = 0
    while i < len(items):
        first = items[i]
        if not isinstance(first, int) or i + 1 >= len(items):
            return None
        second = items[i + 1]
        if isinstance(second, pikepdf.Array):
            cids.update(range(first, first + len(second)))
            i += 2
        elif isinstance(second, int) and i + 2 < len(items):
            cids.update(range(first, second + 1))
            i += 3
        else:
            return None
    return cids


def compact_cid_fonts(pdf: Any) -> int:
    """Compact every OpenType CID-keyed CFF font program in *pdf* (a pikepdf.Pdf, changed
    in place) as the module says; the number of programs compacted."""
    import pikepdf

    # Several CIDFonts may share one program (WeasyPrint merges the faces of one font
    # file): it keeps the glyphs of all of them, and is left alone if any is unclear.
    users: dict[tuple[int, int], tuple[Any, list[Any], set[int] | None]] = {}
    for cidfont in pdf.objects:
        if not (
            isinstance(cidfont, pikepdf.Dictionary)
            and cidfont.get("/Type") == "/Font"
            and cidfont.get("/Subtype") == "/CIDFontType0"
        ):
            continue
        descriptor = cidfont.get("/FontDescriptor")
        if not isinstance(descriptor, pikepdf.Dictionary):
            continue
        program = descriptor.get("/FontFile3")
        if not isinstance(program, pikepdf.Stream) or program.get("/Subtype") != "/OpenType":
            continue
        cids = _widths_cids(cidfont.get("/W"))
        if "/CIDSet" in descriptor:
            cids = None  # a /CIDSet (PDF/A-1) would have to be rewritten too: not done here
        _, fonts, known = users.setdefault(program.objgen, (program, [], set()))
        fonts.append(cidfont)
        users[program.objgen] = (program, fonts, None if known is None or cids is None else known | cids)
    done = 0
    for program, fonts, cids in users.values():
        if not cids:
            continue
        cff = compact_cff(program.read_bytes(), cids)
        if cff is None:
            continue
        program.write(zlib.compress(cff, 9), filter=pikepdf.Name.FlateDecode)
        program.Subtype = pikepdf.Name.CIDFontType0C
        for cidfont in fonts:
            # Meaningful for CIDFontType2 only (ISO 32000-1, table 117); dropped so no
            # reader takes the codes for glyph ids of the compacted program.
            if "/CIDToGIDMap" in cidfont:
                del cidfont["/CIDToGIDMap"]
        done += 1
    return done
