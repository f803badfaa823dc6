"""`quanlu org import FILE [--dry-run]` and `quanlu org export FILE [--agency CODE]`:
agencies and officers in bulk, in one XLSX/CSV format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from quanlu.core.errors import DomainError
from quanlu.org import selectors, services, spreadsheet
from quanlu.org.models import Agency


class Command(BaseCommand):
    help = "机关和人员：import 从 XLSX/CSV 批量导入（--dry-run 只检查）；export 按同一格式导出。"

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="批量导入（全部无误才写入）")
        imp.add_argument("file")
        imp.add_argument("--dry-run", action="store_true", help="只检查并列出每行的错误，不写入")
        exp = sub.add_parser("export", help="导出为 .xlsx（或 .csv：只含人员）")
        exp.add_argument("file")
        exp.add_argument("--agency", help="机关代码：该机关及其下级；默认全部顶层机关")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "import":
            self._import(Path(options["file"]), options["dry_run"])
        else:
            self._export(Path(options["file"]), options.get("agency"))

    def _import(self, path: Path, dry_run: bool) -> None:
        try:
            sheets = spreadsheet.read(path.read_bytes(), path.name)
        except OSError as exc:
            raise CommandError(f"无法读取 {path}：{exc}") from exc
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        report = services.org_import(actor=None, sheets=sheets, dry_run=dry_run)
        for error in report.errors:
            self.stderr.write(str(error))
        if not report.ok:
            raise CommandError(f"发现 {len(report.errors)} 处错误，未导入任何数据。")
        verb = "检查通过，可导入" if dry_run else "已导入"
        self.stdout.write(f"{verb} {report.agencies} 个机关、{report.officers} 名人员。")

    def _export(self, path: Path, code: str | None) -> None:
        if code:
            roots = list(Agency.objects.filter(code=code))
            if not roots:
                raise CommandError(f"机关 {code} 不存在。")
        else:
            roots = list(Agency.objects.filter(parent__isnull=True).order_by("path"))
        agencies: list[list[str]] = []
        officers: list[list[str]] = []
        for root in roots:
            a, o = selectors.export_rows(root)
            agencies += a
            officers += o
        if path.suffix.lower() == ".csv":
            path.write_bytes(spreadsheet.write_csv(spreadsheet.OFFICER_COLUMNS, officers))
        else:
            path.write_bytes(spreadsheet.write_xlsx(agencies, officers))
        self.stdout.write(f"已导出 {len(agencies)} 个机关、{len(officers)} 名人员到 {path}。")
