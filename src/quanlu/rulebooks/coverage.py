"""Which REQUIREMENTS.md rows each rulebook encodes, which the system enforces by
mechanism for every agency, which are not software-checkable, and which are missing
(with the reason, where one is known)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

import yaml

from quanlu.rulebooks import evaluator  # noqa: F401  (registers the deadline kinds and their anchors)
from quanlu.rulebooks.judgement import DEADLINE_ANCHORS
from quanlu.rulebooks.loader import PACKAGE_DIR, Rule, Rulebook, all_rulebooks

COVERAGE_FILE = PACKAGE_DIR / "coverage.yaml"


@dataclass(frozen=True)
class Row:
    id: str
    text: str
    seeds: tuple[str, ...]


@dataclass
class Coverage:
    rulebook: Rulebook
    encoded: dict[str, list[str]] = field(default_factory=dict)  # requirement -> rule ids
    mechanism: dict[str, str] = field(default_factory=dict)  # requirement -> how the system enforces it
    not_checkable: dict[str, str] = field(default_factory=dict)  # requirement -> why not
    missing: list[str] = field(default_factory=list)
    missing_reasons: dict[str, str] = field(default_factory=dict)  # requirement -> why still missing
    deadlines: list[dict[str, str]] = field(default_factory=list)  # each deadline and its anchor event
    no_limits: list[dict[str, str]] = field(default_factory=list)  # explicit "no time limit" entries

    def as_dict(self) -> dict[str, Any]:
        return {
            "rulebook": self.rulebook.id,
            "title": self.rulebook.title,
            "encoded": self.encoded,
            "mechanism": self.mechanism,
            "not_checkable": self.not_checkable,
            "missing": self.missing,
            "missing_reasons": self.missing_reasons,
            "deadlines": self.deadlines,
            "no_limits": self.no_limits,
            "counts": {
                "encoded": len(self.encoded),
                "mechanism": len(self.mechanism),
                "not_checkable": len(self.not_checkable),
                "missing": len(self.missing),
            },
        }


@cache
def requirement_rows() -> tuple[Row, ...]:
    rows = yaml.safe_load((PACKAGE_DIR / "requirements.yaml").read_text(encoding="utf-8"))
    return tuple(Row(id=r["id"], text=r["text"], seeds=tuple(r["seeds"])) for r in rows)


CATEGORIES = ("mechanism", "not_checkable", "deferred")


@cache
def _classified() -> dict[str, list[dict[str, Any]]]:
    raw = yaml.safe_load(COVERAGE_FILE.read_text(encoding="utf-8")) or {}
    known = {r.id for r in requirement_rows()}
    out: dict[str, list[dict[str, Any]]] = {}
    for kind in CATEGORIES:
        entries = raw.get(kind) or []
        for e in entries:
            if e.get("id") not in known or not e.get("reason"):
                raise ValueError(f"{COVERAGE_FILE.name}: {kind} entry {e!r} needs a known id and a reason")
        out[kind] = entries
    return out


def _reason(kind: str, row: str, seed: str) -> str | None:
    for e in _classified()[kind]:
        if e["id"] == row and ("seeds" not in e or seed in e["seeds"]):
            return str(e["reason"])
    return None


def _seed(book: Rulebook) -> str:
    """The regulation a rulebook encodes, by its file: ``000_….txt`` is seed 000."""
    return book.source.split("_", 1)[0]


def _entry(rule: Rule, **extra: str) -> dict[str, str]:
    return {
        "rule": rule.id,
        "kind": rule.kind,
        **extra,
        "article": rule.citation.article,
        "quote": rule.citation.quote,
    }


def is_no_limit(rule: Rule) -> bool:
    """An explicit entry saying the regulation sets no time limit (or asks nothing) where
    another regulation does: its kind is named ``no_…`` (the difference kept as data)."""
    return rule.kind.startswith("no_")


def _span(within: object) -> str:
    text = str(within)
    return text[:-1] + {"d": "日", "h": "小时"}.get(text[-1:], text[-1:]) if within else "按期"


def deadline_entries(book: Rulebook) -> list[dict[str, str]]:
    """Each deadline the rulebook sets: how long, and the event it runs from."""
    return [
        _entry(r, within=_span(r.params.get("within")), anchor=DEADLINE_ANCHORS[r.kind])
        for r in book.rules
        if r.kind in DEADLINE_ANCHORS
    ]


def coverage(book: Rulebook) -> Coverage:
    seed = _seed(book)
    result = Coverage(rulebook=book)
    result.deadlines = deadline_entries(book)
    result.no_limits = [_entry(r) for r in book.rules if is_no_limit(r)]
    cited: dict[str, list[str]] = {}
    for rule in book.rules:
        for req in rule.requirements:
            cited.setdefault(req, []).append(rule.id)
    for row in requirement_rows():
        if seed not in row.seeds:
            continue
        if row.id in cited:
            result.encoded[row.id] = cited[row.id]
        elif (why := _reason("mechanism", row.id, seed)) is not None:
            result.mechanism[row.id] = why
        elif (why := _reason("not_checkable", row.id, seed)) is not None:
            result.not_checkable[row.id] = why
        else:
            result.missing.append(row.id)
            deferred = _reason("deferred", row.id, seed)
            if deferred is not None:
                result.missing_reasons[row.id] = deferred
    return result


def all_coverage() -> list[Coverage]:
    return [coverage(versions[-1]) for _, versions in sorted(all_rulebooks().items())]
