"""`quanlu check CASE [--format json] [--as USER]`: judge a case against its rulebook.

Without a case (or with Django's options: --deploy, --tag, --list-tags, --fail-level,
--database, or app labels) it is Django's own `check`, which this command replaces
by name: `quanlu check --deploy` still runs the deployment checks."""

from __future__ import annotations

import json
from typing import Any

from django.apps import apps
from django.core.management.base import CommandError
from django.core.management.commands.check import Command as SystemCheckCommand

from quanlu.access.redaction import result_dict, results_for
from quanlu.access.selectors import content_view
from quanlu.cases.cli import case_named, officer_named
from quanlu.rulebooks.evaluator import STATUS_LABELS, Status, evaluate, rulebook_for
from quanlu.rulebooks.providers import gather


class Command(SystemCheckCommand):
    help = (
        "quanlu check 案号：按本机关规则集检查案件，列出每条规则的符合情况及依据条文。"
        "不带案号（或带 --deploy、--tag 等选项、应用名）时运行 Django 的系统检查。"
    )

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        for action in parser._actions:  # Django's positional app labels take the case too
            if action.dest == "args":
                action.metavar = "案号|app_label"
                action.help = "案号或案件标识；或 Django 系统检查的应用名"
        parser.add_argument("--format", choices=["json", "text"], default="text", help="案件检查的输出格式")
        parser.add_argument(
            "--as",
            dest="as_user",
            help="以该人员的查看权限显示（涉及涉密记录的检查结果，默认只显示标注，不显示内容）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not self._checks_a_case(args, options):
            super().handle(*args, **options)
            return
        self.check_case(args[0], options)

    def _checks_a_case(self, args: tuple[str, ...], options: dict[str, Any]) -> bool:
        labels = {config.label for config in apps.get_app_configs()}
        if all(arg in labels for arg in args):  # none at all, or app labels: Django's check
            return False
        system = (
            options.get("deploy")
            or options.get("list_tags")
            or options.get("tags")
            or options.get("databases")
            or options.get("fail_level", "ERROR") != "ERROR"
        )
        if system:
            raise CommandError(
                "--deploy、--tag 等是系统检查的选项，不能与案号同用；系统检查请运行 quanlu check --deploy。"
            )
        if len(args) != 1:
            raise CommandError("一次检查一个案件：quanlu check 案号。")
        return True

    def check_case(self, ref: str, options: dict[str, Any]) -> None:
        case = case_named(ref)
        results = evaluate(gather(case))
        # The shell is no content reader: findings quoting a marked record show its mark
        # only, unless run --as someone the one content rule lets read it.
        view = content_view(officer_named(options.get("as_user")), cases=[case])
        shown = results_for(view, results)
        if options["format"] == "json":
            body = {
                "case": str(case.public_id),
                "number": case.number,
                "stage": case.stage,
                "results": [result_dict(view, r) for r in results],
            }
            self.stdout.write(json.dumps(body, ensure_ascii=False, indent=2))
        else:
            book = rulebook_for(case)
            self.stdout.write(
                f"{case.number}（{case.get_stage_display()}）依《{book.title}》第{book.version}版："
            )
            for r in shown:
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
