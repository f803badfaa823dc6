"""`quanlu rulebooks list|coverage [--format json]`."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from quanlu.rulebooks.coverage import all_coverage
from quanlu.rulebooks.loader import all_rulebooks


class Command(BaseCommand):
    help = "规则集：list 列出规则集，coverage 显示对需求条目的覆盖情况。"

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        for name in ("list", "coverage"):
            p = sub.add_parser(name)
            p.add_argument("--format", choices=["json", "text"], default="text")
            if name == "coverage":
                p.add_argument("--verbose", action="store_true", help="逐条列出每个需求条目的归类及依据")

    def handle(self, *args: Any, **options: Any) -> None:
        as_json = options["format"] == "json"
        if options["action"] == "list":
            rows = [
                {
                    "id": b.id,
                    "version": b.version,
                    "title": b.title,
                    "issuer": b.issuer,
                    "effective_from": b.effective_from.isoformat() if b.effective_from else None,
                    "supersedes": b.supersedes,
                    "rules": len(b.rules),
                }
                for versions in all_rulebooks().values()
                for b in versions
            ]
            if as_json:
                self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            else:
                for r in rows:
                    since = r["effective_from"] or "发布之日"
                    self.stdout.write(
                        f"{r['id']} v{r['version']}  {r['title']}（{since}起施行，{r['rules']}条规则）"
                    )
            return
        report = [c.as_dict() for c in all_coverage()]
        if as_json:
            self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
            return
        for c in report:
            n = c["counts"]
            self.stdout.write(
                f"{c['rulebook']} {c['title']}\n  已编码 {n['encoded']} · 系统机制 {n['mechanism']} · "
                f"不可由软件判断 {n['not_checkable']} · 缺失 {n['missing']}"
            )
            if options["verbose"]:
                for label, key in (
                    ("已编码", "encoded"),
                    ("系统机制", "mechanism"),
                    ("不可由软件判断", "not_checkable"),
                ):
                    for row, how in c[key].items():
                        detail = "、".join(how) if isinstance(how, list) else how
                        self.stdout.write(f"  [{label}] {row}：{detail}")
            for d in c["deadlines"]:
                self.stdout.write(
                    f"  [期限] {d['rule']}：{d['within']}，自「{d['anchor']}」起算（{d['article']}：{d['quote']}）"
                )
            for d in c["no_limits"]:
                self.stdout.write(f"  [未设期限] {d['rule']}（{d['article']}：{d['quote']}）")
            for row in c["missing"]:
                why = c["missing_reasons"].get(row, "尚无规则，也未说明原因")
                self.stdout.write(f"  [缺失] {row}：{why}")
