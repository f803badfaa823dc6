"""Rulebooks: one YAML file per regulation, validated at load.

A rulebook is the law as data: every rule has a kind (a mechanism in code), its
parameters, a severity, the REQUIREMENTS.md rows it implements and its citation —
the regulation file, the article and the article's words. A bad file is refused
with an error that names the file and the rule.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from quanlu.core.errors import Finding
from quanlu.rulebooks import kinds as _kinds  # noqa: F401  (registers the rule kinds' validators)
from quanlu.rulebooks.params import KINDS, known_kinds
from quanlu.rulebooks.params import parse_duration as parse_duration
from quanlu.rulebooks.terms import NO_LIMIT_SUBJECTS

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"
REGULATIONS_DIR = PACKAGE_DIR / "regulations"
REQUIREMENTS_FILE = PACKAGE_DIR / "requirements.yaml"

SEVERITIES = ("block", "warn")
_ARTICLE_RE = re.compile(r"^第[一二三四五六七八九十百零〇]+条")


class RulebookError(ValueError):
    """A rulebook file is malformed; the message names the file and the rule."""


@dataclass(frozen=True)
class Citation:
    source: str  # regulation file name
    article: str  # 第六条, 第六条第二款, 第十条(一)
    quote: str  # the article's own words

    def label(self) -> str:
        return f"{self.source} {self.article}"


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    params: dict[str, Any]
    severity: str
    requirements: tuple[str, ...]
    citation: Citation
    rulebook_id: str

    def finding(
        self, message: str, *, rule_id: str | None = None, satisfy: str = "", field: str = ""
    ) -> Finding:
        """A finding of this rule, citing its article in the regulation's own words, and
        what would satisfy it (and the form field it is about, for a refused form)."""
        return Finding(
            rule=rule_id or self.id,
            message=message,
            rulebook=self.rulebook_id,
            article=self.citation.label(),
            quote=self.citation.quote,
            source=self.citation.source,
            satisfy=satisfy,
            field=field,
        )


@dataclass(frozen=True)
class Rulebook:
    id: str
    version: int
    title: str
    issuer: str
    source: str
    effective_from: dt.date | None
    supersedes: str | None
    action_types: tuple[str, ...] | None  # None: the regulation does not close the list
    rules: tuple[Rule, ...] = field(default_factory=tuple)
    path: Path | None = None

    def rules_of(self, kind: str) -> list[Rule]:
        return [r for r in self.rules if r.kind == kind]

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)


@cache
def requirement_ids() -> frozenset[str]:
    rows = yaml.safe_load(REQUIREMENTS_FILE.read_text(encoding="utf-8"))
    return frozenset(row["id"] for row in rows)


@cache
def regulation_text(source: str) -> str:
    """The regulation with all whitespace removed (the files carry PDF line breaks)."""
    path = REGULATIONS_DIR / source
    if path.parent != REGULATIONS_DIR or not path.is_file():
        raise FileNotFoundError(source)
    return _squash(path.read_text(encoding="utf-8"))


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _load_rule(raw: Any, *, rulebook_id: str, default_source: str, where: str) -> Rule:
    if not isinstance(raw, dict):
        raise RulebookError(f"{where}: a rule must be a mapping")
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not rule_id:
        raise RulebookError(f"{where}: rule without an id")
    where = f"{where} rule {rule_id}"
    kind = raw.get("kind")
    if kind not in KINDS:
        raise RulebookError(f"{where}: unknown kind {kind!r} (known: {', '.join(known_kinds())})")
    severity = raw.get("severity", "block")
    if severity not in SEVERITIES:
        raise RulebookError(f"{where}: severity must be one of {SEVERITIES}, not {severity!r}")
    reqs = raw.get("requirements") or []
    if not reqs:
        raise RulebookError(f"{where}: names no requirement id")
    unknown = [r for r in reqs if r not in requirement_ids()]
    if unknown:
        raise RulebookError(f"{where}: unknown requirement id(s) {', '.join(map(str, unknown))}")
    cit = raw.get("citation")
    if not isinstance(cit, dict) or not cit.get("article") or not cit.get("quote"):
        raise RulebookError(f"{where}: missing citation (article and quote are required)")
    source = cit.get("source", default_source)
    article = str(cit["article"])
    if not _ARTICLE_RE.match(article):
        raise RulebookError(f"{where}: citation article {article!r} is not like 第六条")
    quote = str(cit["quote"]).strip()
    try:
        text = regulation_text(source)
    except FileNotFoundError as exc:
        raise RulebookError(f"{where}: cited regulation {source!r} is not shipped") from exc
    if _squash(quote) not in text:
        raise RulebookError(f"{where}: the quote is not in {source}: {quote[:40]}…")
    params = raw.get("params") or {}
    if not isinstance(params, dict):
        raise RulebookError(f"{where}: params must be a mapping")
    try:
        KINDS[kind](params)
    except (ValueError, KeyError, TypeError) as exc:
        raise RulebookError(f"{where}: {exc}") from exc
    return Rule(
        id=rule_id,
        kind=kind,
        params=params,
        severity=severity,
        requirements=tuple(reqs),
        citation=Citation(source=source, article=article, quote=quote),
        rulebook_id=rulebook_id,
    )


def load_file(path: Path) -> Rulebook:
    where = path.name
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RulebookError(f"{where}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise RulebookError(f"{where}: must be a mapping")
    for key in ("id", "title", "issuer", "source"):
        if not raw.get(key):
            raise RulebookError(f"{where}: missing {key}")
    effective = raw.get("effective_from")
    if effective is not None and not isinstance(effective, dt.date):
        raise RulebookError(f"{where}: effective_from must be a date (YYYY-MM-DD) or null")
    action_types = raw.get("action_types")
    rules: list[Rule] = []
    seen: set[str] = set()
    for item in raw.get("rules") or []:
        rule = _load_rule(item, rulebook_id=raw["id"], default_source=raw["source"], where=where)
        if rule.id in seen:
            raise RulebookError(f"{where} rule {rule.id}: duplicate rule id")
        seen.add(rule.id)
        rules.append(rule)
    for rule in rules:
        unknown = [r for r in rule.params.get("general_only", ()) if r not in seen]
        if rule.kind == "simplified_path" and unknown:
            raise RulebookError(f"{where} rule {rule.id}: general_only names no rule {', '.join(unknown)}")
    _check_limits(rules, where)
    return Rulebook(
        id=str(raw["id"]),
        version=int(raw.get("version", 1)),
        title=str(raw["title"]),
        issuer=str(raw["issuer"]),
        source=str(raw["source"]),
        effective_from=effective,
        supersedes=raw.get("supersedes"),
        action_types=tuple(action_types) if action_types is not None else None,
        rules=tuple(rules),
        path=path,
    )


def _check_limits(rules: list[Rule], where: str) -> None:
    """A rulebook cannot both set a time limit and say its text sets none."""
    kinds = {r.kind for r in rules}
    for r in rules:
        if r.kind == "no_time_limit" and NO_LIMIT_SUBJECTS[r.params["subject"]][0] in kinds:
            raise RulebookError(
                f"{where} rule {r.id}: no time limit for {r.params['subject']}, "
                f"but a {NO_LIMIT_SUBJECTS[r.params['subject']][0]} rule sets one"
            )


def load_dir(directory: Path) -> dict[str, list[Rulebook]]:
    books: dict[str, list[Rulebook]] = {}
    for path in sorted(directory.glob("*.yaml")):
        book = load_file(path)
        books.setdefault(book.id, []).append(book)
    for versions in books.values():
        versions.sort(key=lambda b: b.version)
    return books


_extra_dirs: list[Path] = []


def add_directory(directory: Path) -> None:
    """Register another folder of rulebooks (deployments, and tests)."""
    _extra_dirs.append(directory)
    all_rulebooks.cache_clear()


@cache
def all_rulebooks() -> dict[str, list[Rulebook]]:
    books = load_dir(DATA_DIR)
    for extra in _extra_dirs:
        for key, versions in load_dir(extra).items():
            books.setdefault(key, []).extend(versions)
    return books


def get_rulebook(rulebook_id: str, *, on: dt.date | None = None) -> Rulebook:
    """The version of a rulebook in force on a date (the latest one without a date)."""
    versions = all_rulebooks().get(rulebook_id)
    if not versions:
        raise KeyError(rulebook_id)
    if on is None:
        return versions[-1]
    in_force = [b for b in versions if b.effective_from is None or b.effective_from <= on]
    return in_force[-1] if in_force else versions[0]


def rulebook_ids() -> Iterable[str]:
    return sorted(all_rulebooks())


def citation_label(article: str, rulebook_id: str) -> str:
    """《规定标题》第X条, for people; ``article`` (as findings, deadlines and the API keep it)
    names the regulation's file. Unknown rulebooks keep the article as it is."""
    try:
        return f"《{get_rulebook(rulebook_id).title}》{article.split(' ')[-1]}"
    except KeyError:
        return article
