"""`quanlu file_review sheet-import USERNAME FILE`: publish a new version of the scoring
sheet (评查标准) of USERNAME's body from a YAML or JSON file; `sheet-export` writes the
current one (or the shipped default) to standard output, to start from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from django.core.management.base import BaseCommand, CommandError

from quanlu.core.errors import DomainError
from quanlu.file_review import selectors, services, sheets
from quanlu.org.models import Officer


def _officer(username: str) -> Officer:
    officer = Officer.objects.select_related("agency").filter(username=username).first()
    if officer is None:
        raise CommandError(f"用户 {username} 不存在。")
    return officer


class Command(BaseCommand):
    help = (
        "案卷评查标准：sheet-import 以某监督人员的名义发布本机关评查标准新版本；sheet-export 输出现行标准。"
    )

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("sheet-import")
        imp.add_argument("username")
        imp.add_argument("file", type=Path)
        exp = sub.add_parser("sheet-export")
        exp.add_argument("username", nargs="?", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "sheet-export":
            officer = _officer(options["username"]) if options["username"] else None
            current = selectors.current_sheet(officer.agency) if officer and officer.agency else None
            content = current.content if current else sheets.default_sheet()
            self.stdout.write(yaml.safe_dump(content, allow_unicode=True, sort_keys=False, width=200))
            return
        officer = _officer(options["username"])
        try:
            text = options["file"].read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"无法读取 {options['file']}：{exc}") from exc
        try:
            sheet = services.sheet_publish(actor=officer, content=text)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"已发布{sheet.agency.name}评查标准第 {sheet.version} 版：{sheet.title}")
