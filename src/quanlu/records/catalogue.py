"""The document catalogue: every document type as data, validated at load.

Each YAML file under ``catalogue/`` lists types with their stage, typed fields,
required signature set and the articles that name them. Adding a type is writing
data. A bad file is refused with an error naming the file and the type, so a
deployment cannot start on a catalogue that would mislead its users.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from quanlu.records.doctypes import (
    CATEGORIES,
    COLUMN_TYPES,
    FIELD_TYPES,
    KINDS,
    LAYOUTS,
    NOTICE_METHODS,
    ORIGINS,
    RIGHTS,
    ROLES,
    STAGES,
    Catalogue,
    Citation,
    Condition,
    DocType,
    FieldSpec,
    Policy,
    SignatureSlot,
)
from quanlu.rulebooks.loader import regulation_text

DATA_DIR = Path(__file__).resolve().parent / "catalogue"

__all__ = [
    "CATEGORIES",
    "KINDS",
    "NOTICE_METHODS",
    "RIGHTS",
    "ROLES",
    "STAGES",
    "Catalogue",
    "CatalogueError",
    "Citation",
    "DocType",
    "FieldSpec",
    "SignatureSlot",
    "catalogue",
    "doc_type",
    "load_dir",
]

_CODE_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_ARTICLE_RE = re.compile(r"^第[一二三四五六七八九十百零〇]+条$")


class CatalogueError(ValueError):
    """The catalogue is malformed; the message names the file and the type."""


# ---------------------------------------------------------------- loading


class _Where:
    def __init__(self, file: str, code: str = "") -> None:
        self.file, self.code = file, code

    def error(self, message: str) -> CatalogueError:
        where = f"{self.file} type {self.code}" if self.code else self.file
        return CatalogueError(f"{where}: {message}")


def _citation(raw: Any, w: _Where, *, need_quote: bool = False) -> Citation:
    if not isinstance(raw, dict) or not raw.get("source") or not raw.get("article"):
        raise w.error("a citation needs source and article")
    source, article = str(raw["source"]), str(raw["article"])
    if not _ARTICLE_RE.match(article):
        raise w.error(f"citation article {article!r} is not like 第六条")
    try:
        text = regulation_text(source)
    except FileNotFoundError as exc:
        raise w.error(f"cited regulation {source!r} is not shipped") from exc
    if article not in text:
        raise w.error(f"{source} has no {article}")
    quote = str(raw.get("quote", "")).strip()
    if need_quote and not quote:
        raise w.error(f"citation {source} {article} needs the article's words (quote)")
    if quote and re.sub(r"\s+", "", quote) not in text:
        raise w.error(f"the quote is not in {source}: {quote[:40]}…")
    return Citation(source=source, article=article, quote=quote)


def _condition(raw: Any, w: _Where, known: set[str]) -> Condition | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or "field" not in raw:
        raise w.error("'when' needs a field")
    if raw["field"] not in known:
        raise w.error(f"'when' refers to unknown field {raw['field']!r}")
    ops = [op for op in ("in", "equals", "present") if op in raw]
    if len(ops) != 1 or set(raw) - {"field", *ops}:
        raise w.error("'when' takes exactly one of in, equals, present")
    value = raw[ops[0]]
    if ops[0] == "in":
        if not isinstance(value, list) or not value:
            raise w.error("'when.in' must be a non-empty list")
        value = tuple(value)
    return Condition(field=str(raw["field"]), op=ops[0], value=value)


def _pairs(raw: Any, w: _Where, what: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, list) or not raw:
        raise w.error(f"{what} must be a non-empty list of {{value, label}}")
    out = []
    for item in raw:
        if not isinstance(item, dict) or not item.get("value") or not item.get("label"):
            raise w.error(f"{what}: each entry needs value and label")
        out.append((str(item["value"]), str(item["label"])))
    if len({v for v, _ in out}) != len(out):
        raise w.error(f"{what}: duplicate value")
    return tuple(out)


_FIELD_KEYS = {
    "key",
    "label",
    "type",
    "required",
    "when",
    "options",
    "columns",
    "speakers",
    "rights",
    "extra_rights",
    "min_count",
    "min",
    "max",
    "max_length",
    "example",
    "future",
    "fill",
}
_FILL_RE = re.compile(r"^(party|[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*)$")


def _fill(raw: Any, w: _Where, key: str) -> tuple[str, ...]:
    sources = [raw] if isinstance(raw, str) else raw or []
    if not isinstance(sources, list) or not all(isinstance(s, str) and _FILL_RE.match(s) for s in sources):
        raise w.error(f"field {key}: fill must be party or <type>.<field>, or a list of them")
    return tuple(sources)


def _field(raw: Any, w: _Where, known: set[str], *, column: bool = False) -> FieldSpec:
    if not isinstance(raw, dict):
        raise w.error("a field must be a mapping")
    key, label, ftype = raw.get("key"), raw.get("label"), raw.get("type")
    if not isinstance(key, str) or not _CODE_RE.match(key):
        raise w.error(f"field key {key!r} must be snake_case")
    if not label:
        raise w.error(f"field {key}: missing label")
    allowed = COLUMN_TYPES if column else tuple(FIELD_TYPES)
    if ftype not in allowed:
        raise w.error(f"field {key}: unknown type {ftype!r} (known: {', '.join(allowed)})")
    unknown = set(raw) - _FIELD_KEYS
    if unknown:
        raise w.error(f"field {key}: unknown setting(s) {', '.join(sorted(unknown))}")
    required = raw.get("required", False)
    if not isinstance(required, bool):
        raise w.error(f"field {key}: required must be true or false")
    options: tuple[tuple[str, str], ...] = ()
    if ftype in ("choice", "multi_choice"):
        options = _pairs(raw.get("options"), w, f"field {key} options")
    speakers: tuple[tuple[str, str], ...] = ()
    if ftype == "turns":
        speakers = _pairs(raw.get("speakers"), w, f"field {key} speakers")
    columns: tuple[FieldSpec, ...] = ()
    if ftype == "items":
        cols = raw.get("columns")
        if not isinstance(cols, list) or not cols:
            raise w.error(f"field {key}: items need columns")
        columns = tuple(_field(c, w, set(), column=True) for c in cols)
    rights: tuple[str, ...] = ()
    extra: dict[str, tuple[str, ...]] = {}
    if ftype == "rights":
        rights = tuple(raw.get("rights") or ())
        extra = {str(k): tuple(v) for k, v in (raw.get("extra_rights") or {}).items()}
        for r in (*rights, *(r for v in extra.values() for r in v)):
            if r not in RIGHTS:
                raise w.error(f"field {key}: unknown right {r!r} (known: {', '.join(RIGHTS)})")
        if not rights:
            raise w.error(f"field {key}: rights must list at least one right")
    return FieldSpec(
        key=key,
        label=str(label),
        type=ftype,
        required=required,
        when=_condition(raw.get("when"), w, known),
        options=options,
        columns=columns,
        speakers=speakers,
        rights=rights,
        extra_rights=extra,
        min_count=int(raw.get("min_count", 0)),
        minimum=raw.get("min"),
        maximum=raw.get("max"),
        max_length=int(raw.get("max_length", 0)),
        example=raw.get("example"),
        future=raw.get("future") is True,
        fill=_fill(raw.get("fill"), w, key),
    )


def _slot(raw: Any, w: _Where, fields: dict[str, FieldSpec]) -> SignatureSlot:
    if not isinstance(raw, dict):
        raise w.error("a signature must be a mapping")
    key = raw.get("key")
    if not isinstance(key, str) or not _CODE_RE.match(key):
        raise w.error(f"signature key {key!r} must be snake_case")
    roles = tuple(raw.get("roles") or ())
    if not roles or any(r not in ROLES for r in roles):
        raise w.error(f"signature {key}: roles must be from {', '.join(ROLES)}")
    if len({ROLES[r][1] for r in roles}) != 1:
        raise w.error(f"signature {key}: cannot mix officer and non-officer roles")
    kinds = tuple(raw.get("kinds") or ())
    if not kinds or any(k not in KINDS for k in kinds):
        raise w.error(f"signature {key}: kinds must be from {', '.join(KINDS)}")
    from_field = str(raw.get("from_field", ""))
    if from_field:
        spec = fields.get(from_field)
        officer_slot = ROLES[roles[0]][1]
        wanted = ("officers",) if officer_slot else ("persons",)
        if spec is None or spec.type not in wanted:
            raise w.error(f"signature {key}: from_field must name a field of type {wanted[0]}")
    unknown = set(raw) - {
        "key",
        "label",
        "roles",
        "kinds",
        "min",
        "from_field",
        "refusal",
        "optional",
        "when",
    }
    if unknown:
        raise w.error(f"signature {key}: unknown setting(s) {', '.join(sorted(unknown))}")
    if raw.get("refusal") and ROLES[roles[0]][1]:
        raise w.error(f"signature {key}: only non-officers can refuse to sign")
    return SignatureSlot(
        key=key,
        label=str(raw.get("label") or key),
        roles=roles,
        kinds=kinds,
        minimum=int(raw.get("min", 1)),
        from_field=from_field,
        refusal=bool(raw.get("refusal", False)),
        optional=bool(raw.get("optional", False)),
        when=_condition(raw.get("when"), w, set(fields)),
    )


def _expand(items: Any, sets: dict[str, list[Any]], w: _Where, what: str) -> list[Any]:
    out: list[Any] = []
    for item in items or []:
        if isinstance(item, dict) and set(item) == {"use"}:
            name = item["use"]
            if name not in sets:
                raise w.error(f"{what}: unknown set {name!r}")
            out.extend(sets[name])
        else:
            out.append(item)
    return out


def _doc_type(raw: Any, file: str, common: dict[str, Any]) -> DocType:
    code = raw.get("code") if isinstance(raw, dict) else None
    w = _Where(file, str(code or "?"))
    if not isinstance(raw, dict):
        raise w.error("a type must be a mapping")
    if not isinstance(code, str) or not _CODE_RE.match(code):
        raise w.error("code must be snake_case")
    for key in ("title", "stage", "category"):
        if not raw.get(key):
            raise w.error(f"missing {key}")
    if raw["stage"] not in STAGES:
        raise w.error(f"unknown stage {raw['stage']!r} (known: {', '.join(STAGES)})")
    if raw["category"] not in CATEGORIES:
        raise w.error(f"unknown category {raw['category']!r} (known: {', '.join(CATEGORIES)})")
    origin = raw.get("origin", "filled")
    if origin not in ORIGINS:
        raise w.error(f"origin must be one of {ORIGINS}")
    layout = raw.get("layout", "table")
    if layout not in LAYOUTS:
        raise w.error(f"layout must be one of {LAYOUTS}")
    cites = raw.get("cited_by") or []
    if not cites:
        raise w.error("cited_by must name at least one article")
    fields_raw = _expand(raw.get("fields"), common["fieldsets"], w, "fields")
    fields: dict[str, FieldSpec] = {}
    for item in fields_raw:
        spec = _field(item, w, set(fields))
        if spec.key in fields:
            raise w.error(f"duplicate field {spec.key}")
        fields[spec.key] = spec
    if not fields:
        raise w.error("a type needs at least one field")
    slots_raw = _expand(raw.get("signatures"), common["signature_sets"], w, "signatures")
    slots: list[SignatureSlot] = []
    for item in slots_raw:
        slot = _slot(item, w, fields)
        if any(s.key == slot.key for s in slots):
            raise w.error(f"duplicate signature {slot.key}")
        slots.append(slot)
    if origin == "filled" and not slots:
        raise w.error("a filled-in type needs its required signature set")
    if raw.get("numbered") and not raw.get("abbr"):
        raise w.error("a numbered type needs abbr (the 文号 abbreviation)")
    unknown = set(raw) - {
        "code",
        "title",
        "also_named",
        "stage",
        "category",
        "origin",
        "layout",
        "abbr",
        "numbered",
        "party_record",
        "on_site",
        "page_footer",
        "cited_by",
        "fields",
        "signatures",
    }
    if unknown:
        raise w.error(f"unknown setting(s) {', '.join(sorted(unknown))}")
    return DocType(
        code=code,
        title=str(raw["title"]),
        also_named=tuple(raw.get("also_named") or ()),
        stage=raw["stage"],
        category=raw["category"],
        origin=origin,
        layout=layout,
        abbr=str(raw.get("abbr", "")),
        numbered=bool(raw.get("numbered", False)),
        party_record=bool(raw.get("party_record", False)),
        on_site=bool(raw.get("on_site", False)),
        page_footer=str(raw.get("page_footer", "")),
        cited_by=tuple(_citation(c, w) for c in cites),
        fields=tuple(fields.values()),
        signatures=tuple(slots),
        file=file,
    )


def _policies(raw: Any, file: str) -> tuple[int, tuple[Policy, ...], tuple[Policy, ...], tuple[Policy, ...]]:
    w = _Where(file)

    def policy(item: Any, params: tuple[str, ...]) -> Policy:
        if not isinstance(item, dict) or not item.get("rulebooks"):
            raise w.error("a policy names the rulebooks it binds")
        for p in params:
            if p not in item:
                raise w.error(f"policy is missing {p}")
        return Policy(
            rulebooks=tuple(item["rulebooks"]),
            applies_to=_applies_to(item.get("applies_to"), w),
            citation=_citation(item.get("citation"), w, need_quote=True),
            params={p: item[p] for p in (*params, "kinds") if p in item},
        )

    raw = raw or {}
    refusal = raw.get("refusal_min_officers") or {}
    default = int(refusal.get("default", 1))
    if default < 1:
        raise w.error("refusal_min_officers.default must be at least 1")
    return (
        default,
        tuple(policy(p, ("min_officers",)) for p in refusal.get("rules") or []),
        tuple(policy(p, ("kinds",)) for p in raw.get("amendment_party_confirmation") or []),
        tuple(policy(p, ("min_pages",)) for p in raw.get("straddle_seal") or []),
    )


_SELECT = ("stages", "categories", "party_record", "except")


def _applies_to(raw: Any, w: _Where) -> dict[str, Any]:
    """A policy's record kinds, selected as a rule's ``select`` is."""
    if not isinstance(raw, dict) or not raw:
        raise w.error(f"a policy's applies_to selects types by {', '.join(_SELECT)}")
    unknown = set(raw) - set(_SELECT)
    if unknown:
        raise w.error(f"applies_to: unknown key(s) {', '.join(sorted(unknown))}")
    return dict(raw)


def _read(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{path.name}: not valid YAML: {exc}") from exc


def load_dir(directory: Path) -> Catalogue:
    common_path = directory / "_common.yaml"
    common = _read(common_path) if common_path.is_file() else {}
    if not isinstance(common, dict):
        raise CatalogueError(f"{common_path.name}: must be a mapping")
    common.setdefault("fieldsets", {})
    common.setdefault("signature_sets", {})
    default, refusal, confirm, straddle = _policies(common.get("policies"), common_path.name)
    types: dict[str, DocType] = {}
    for path in sorted(directory.glob("*.yaml")):
        if path.name.startswith("_"):
            continue
        raw = _read(path)
        if not isinstance(raw, dict) or not isinstance(raw.get("types"), list):
            raise CatalogueError(f"{path.name}: must be a mapping with a list of types")
        for item in raw["types"]:
            doc_type = _doc_type(item, path.name, common)
            if doc_type.code in types:
                raise CatalogueError(
                    f"{path.name} type {doc_type.code}: duplicate code (also in {types[doc_type.code].file})"
                )
            types[doc_type.code] = doc_type
    _check_fills(types)
    order = list(STAGES)
    ordered = sorted(types.values(), key=lambda t: order.index(t.stage))  # stable: file order within a stage
    return Catalogue(
        types={t.code: t for t in ordered},
        refusal_default_min=default,
        refusal_rules=refusal,
        amendment_confirmation=confirm,
        straddle_seal=straddle,
    )


def _check_fills(types: dict[str, DocType]) -> None:
    """A fill names a type and field that exist, so a typo cannot silently fill nothing."""
    for t in types.values():
        for f in t.fields:
            for source in f.fill:
                if source == "party":
                    if f.type not in ("person", "choice"):
                        raise CatalogueError(
                            f"{t.file} type {t.code}: field {f.key}: fill party needs a person"
                        )
                    continue
                code, key = source.split(".")
                other = types.get(code)
                if other is None or (key != "number" and key not in {g.key for g in other.fields}):
                    raise CatalogueError(
                        f"{t.file} type {t.code}: field {f.key}: fill {source} names nothing"
                    )


@cache
def catalogue() -> Catalogue:
    return load_dir(DATA_DIR)


def doc_type(code: str) -> DocType:
    return catalogue().get(code)
