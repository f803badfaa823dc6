"""Scoring sheets (评查标准) are data: sections of items, each with its points and, per
regulation, the article it checks quoted in the regulation's own words and the rulebook
rules whose evaluation pre-fills it. ``validate`` checks a sheet as the rulebook loader
checks a rulebook (every quote is in the regulation's text, every rule exists), and gives
it back in the one shape the services store and the pages read."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from quanlu.core.errors import InvalidInput
from quanlu.rulebooks.loader import all_rulebooks, get_rulebook, regulation_text

DEFAULT_SHEET = Path(__file__).resolve().parent / "sheets" / "default.yaml"
MAX_ITEMS = 200


def _squash(text: str) -> str:
    return "".join(str(text).split())


def _bad(where: str, why: str) -> InvalidInput:
    return InvalidInput(f"评查标准有误（{where}）：{why}", field_name="content")


def _cite(raw: Any, where: str, *, with_rules: bool) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise _bad(where, "引用条款应为映射。")
    regulation = str(raw.get("regulation", ""))
    article = str(raw.get("article", "")).strip()
    quote = str(raw.get("quote", "")).strip()
    if regulation not in all_rulebooks():
        raise _bad(where, f"未知的规定「{regulation}」。")
    if not article.startswith("第") or not quote:
        raise _bad(where, "应写明条款（如第七条）及条文原文。")
    book = get_rulebook(regulation)
    if _squash(quote) not in regulation_text(book.source):
        raise _bad(where, f"条文「{quote[:30]}」不是《{book.title}》的原文。")
    cite: dict[str, Any] = {"regulation": regulation, "article": article, "quote": quote}
    if with_rules:
        rules = raw.get("rules") or []
        if not isinstance(rules, list):
            raise _bad(where, "rules 应为规则编号列表。")
        known = {r.id for r in book.rules}
        unknown = [str(r) for r in rules if r not in known]
        if unknown:
            raise _bad(where, f"《{book.title}》规则集中没有规则 {'、'.join(unknown)}。")
        cite["rules"] = [str(r) for r in rules]
    return cite


def validate(raw: Any) -> dict[str, Any]:
    """The sheet as stored, or a clear error naming the section and item at fault."""
    if not isinstance(raw, dict):
        raise _bad("全文", "应为包含 title 与 sections 的映射。")
    title = str(raw.get("title", "")).strip()
    if not title:
        raise _bad("全文", "缺少名称（title）。")
    sections_raw = raw.get("sections")
    if not isinstance(sections_raw, list) or not sections_raw:
        raise _bad("全文", "至少应有一个类别（sections）。")
    seen: set[str] = set()
    sections = []
    count = 0
    for s_index, s in enumerate(sections_raw, 1):
        where = f"第{s_index}类"
        if not isinstance(s, dict) or not s.get("code") or not s.get("title"):
            raise _bad(where, "类别应有 code 与 title。")
        items = []
        for i_index, item in enumerate(s.get("items") or [], 1):
            at = f"{where}第{i_index}项"
            if not isinstance(item, dict):
                raise _bad(at, "评查项目应为映射。")
            code = str(item.get("code", "")).strip()
            if not code or code in seen:
                raise _bad(at, f"项目编号「{code}」为空或重复。")
            seen.add(code)
            points = item.get("points")
            if not isinstance(points, int) or isinstance(points, bool) or not 0 < points <= 100:
                raise _bad(at, "分值应为 1 至 100 的整数。")
            cites = item.get("cites")
            if not isinstance(cites, list) or not cites:
                raise _bad(at, "应至少引用一条规定的条款（cites）。")
            items.append(
                {
                    "code": code,
                    "title": str(item.get("title", "")).strip() or code,
                    "points": points,
                    "guidance": str(item.get("guidance", "")).strip(),
                    "cites": [_cite(c, f"{at}引用", with_rules=True) for c in cites],
                }
            )
            count += 1
        if not items:
            raise _bad(where, "类别中没有评查项目。")
        sections.append({"code": str(s["code"]), "title": str(s["title"]), "items": items})
    if count > MAX_ITEMS:
        raise _bad("全文", f"评查项目不超过 {MAX_ITEMS} 项。")
    basis = [_cite(b, "评查依据", with_rules=False) for b in raw.get("basis") or []]
    return {"title": title, "basis": basis, "sections": sections}


def parse(text: str) -> dict[str, Any]:
    """A sheet written in YAML (or JSON, which YAML reads)."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"评查标准无法解析：{exc}", field_name="content") from exc
    return validate(raw)


@cache
def default_sheet() -> dict[str, Any]:
    return parse(DEFAULT_SHEET.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Applied:
    """One item of a sheet as it applies to a case of one regulation."""

    section: str
    section_title: str
    code: str
    title: str
    points: int
    guidance: str
    rulebook_id: str
    article: str  # the first article it cites in that regulation (where lost points count)
    articles: str  # every article it cites there, for people
    quote: str
    rules: tuple[str, ...]


def items_for(content: dict[str, Any], rulebook_id: str) -> list[Applied]:
    """The sheet's items that cite the case's regulation (others do not apply to it)."""
    out = []
    for section in content["sections"]:
        for item in section["items"]:
            cites = [c for c in item["cites"] if c["regulation"] == rulebook_id]
            if not cites:
                continue
            articles = list(dict.fromkeys(c["article"] for c in cites))
            out.append(
                Applied(
                    section=section["code"],
                    section_title=section["title"],
                    code=item["code"],
                    title=item["title"],
                    points=item["points"],
                    guidance=item["guidance"],
                    rulebook_id=rulebook_id,
                    article=cites[0]["article"],
                    articles="、".join(articles),
                    quote=cites[0]["quote"],
                    rules=tuple(r for c in cites for r in c["rules"]),
                )
            )
    return out


def total_points(content: dict[str, Any]) -> int:
    return sum(i["points"] for s in content["sections"] for i in s["items"])
