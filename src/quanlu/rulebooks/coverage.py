"""Which REQUIREMENTS.md rows each rulebook encodes, which the system enforces by
mechanism for every agency, which are not software-checkable, and which are missing."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

import yaml

from quanlu.rulebooks.loader import PACKAGE_DIR, Rulebook, all_rulebooks

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

    def as_dict(self) -> dict[str, Any]:
        return {
            "rulebook": self.rulebook.id,
            "title": self.rulebook.title,
            "encoded": self.encoded,
            "mechanism": self.mechanism,
            "not_checkable": self.not_checkable,
            "missing": self.missing,
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


@cache
def _classified() -> dict[str, dict[str, str]]:
    raw = yaml.safe_load(COVERAGE_FILE.read_text(encoding="utf-8")) or {}
    return {
        kind: {e["id"]: e["reason"] for e in raw.get(kind, [])} for kind in ("mechanism", "not_checkable")
    }


def coverage(book: Rulebook) -> Coverage:
    seed = book.id.split("_", 1)[0]
    result = Coverage(rulebook=book)
    cited: dict[str, list[str]] = {}
    for rule in book.rules:
        for req in rule.requirements:
            cited.setdefault(req, []).append(rule.id)
    classified = _classified()
    for row in requirement_rows():
        if seed not in row.seeds:
            continue
        if row.id in cited:
            result.encoded[row.id] = cited[row.id]
        elif row.id in classified["mechanism"]:
            result.mechanism[row.id] = classified["mechanism"][row.id]
        elif row.id in classified["not_checkable"]:
            result.not_checkable[row.id] = classified["not_checkable"][row.id]
        else:
            result.missing.append(row.id)
    return result


def all_coverage() -> list[Coverage]:
    return [coverage(versions[-1]) for _, versions in sorted(all_rulebooks().items())]
