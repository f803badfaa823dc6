"""`quanlu check CASE [--format json]`: judge a case against its rulebook."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from quanlu.cases.models import Case
from quanlu.rulebooks.evaluator import STATUS_LABELS, Status, evaluate, rulebook_for


def find_case(ref: str) -> Case:
    case = Case.objects.filter(number=ref).first()
    if case is None:
        try:
            case = Case.objects.filter(public_id=ref).first()
        except Exception:  # not a UUID
            case = None
    if case is None:
        raise CommandError(f"未找到案件：{ref}（可用案号或标识）")
    return case


class Command(BaseCommand):
    help = "按本机关规则集检查案件，列出每条规则的符合情况及依据条文。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("case", help="案号或案件标识")
        parser.add_argument("--format", choices=["json", "text"], default="text")

    def handle(self, *args: Any, **options: Any) -> None:
        case = find_case(options["case"])
        results = evaluate(case)
        if options["format"] == "json":
            body = {
                "case": str(case.public_id),
                "number": case.number,
                "stage": case.stage,
                "results": [r.as_dict() for r in results],
            }
            self.stdout.write(json.dumps(body, ensure_ascii=False, indent=2))
        else:
            book = rulebook_for(case)
            self.stdout.write(
                f"{case.number}（{case.get_stage_display()}）依《{book.title}》第{book.version}版："
            )
            for r in results:
                mark = {Status.MET: "✓", Status.UNMET: "✗", Status.NOT_APPLICABLE: "–"}[r.status]
                level = "阻断" if r.rule.severity == "block" else "提示"
                self.stdout.write(
                    f"{mark} [{STATUS_LABELS[r.status]}·{level}] {r.rule.id} {r.rule.citation.article}："
                    f"{r.outcome.message}"
                )
                if r.status == Status.UNMET:
                    self.stdout.write(f"    依据：「{r.rule.citation.quote}」")
                    if r.outcome.satisfy:
                        self.stdout.write(f"    如何满足：{r.outcome.satisfy}")
        if any(r.blocking for r in results):
            raise SystemExit(1)
