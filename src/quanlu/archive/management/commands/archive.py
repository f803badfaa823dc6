"""`quanlu archive verify [--bag-only] DIR [--format text|json] [--completeness-only]`.

Exit status 0 when the bag (or package) is valid, 1 when it is not; every failure is named
with its file, line and rule. ``--bag-only`` judges any bag against BagIt (RFC 8493 / 0.97);
without it the quanlu package profile is checked on top (SM3 list, required bag-info labels).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from quanlu.archive import bagit
from quanlu.archive.package import verify_package


class Command(BaseCommand):
    help = "档案：verify 校验 BagIt 包或档案包（--bag-only 只查 BagIt 层）。"
    # Verifying a package reads only the package: it must work on a machine whose site is not
    # (or no longer) configured, so the project's system checks are not run first.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="校验包；无效时以非零状态退出并列出每一项问题")
        verify.add_argument("directory", help="包所在目录")
        verify.add_argument("--bag-only", action="store_true", help="只检查 BagIt 层（适用于任何 BagIt 包）")
        verify.add_argument(
            "--completeness-only",
            action="store_true",
            help="只检查完整性，不核对校验值（RFC 8493 §3 complete）",
        )
        verify.add_argument("--format", choices=["text", "json"], default="text")
        verify.add_argument("--workers", type=int, default=None, help="并行读取的线程数")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["completeness_only"]:
            report = bagit.validate_bag(
                options["directory"], completeness_only=True, workers=options["workers"]
            )
            ok = report.complete
        else:
            report = verify_package(
                options["directory"], bag_only=options["bag_only"], workers=options["workers"]
            )
            ok = report.valid
        if options["format"] == "json":
            body = report.as_dict()
            body["profile"] = "bagit" if options["bag_only"] else "quanlu"
            self.stdout.write(json.dumps(body, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(bagit.format_report(report))
        if not ok:
            raise SystemExit(1)
