"""`quanlu supervision refresh [--agency CODE]`: rebuild the compliance projection."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from quanlu.org.models import Agency
from quanlu.supervision.compliance import compliance_rebuild


class Command(BaseCommand):
    help = "执法监督：refresh 重新检查全部案件（或某机关及其下级的案件），重建合规检查结果。"

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        refresh = sub.add_parser("refresh", help="重建合规检查结果（规则集变更后、或修复时）")
        refresh.add_argument("--agency", help="机关代码：只重建该机关及其下级机关的案件")

    def handle(self, *args: Any, **options: Any) -> None:
        agency = None
        if options.get("agency"):
            agency = Agency.objects.filter(code=options["agency"]).first()
            if agency is None:
                raise CommandError(f"没有代码为 {options['agency']} 的机关。")
        started = time.monotonic()
        count = compliance_rebuild(agency=agency)
        where = f"{agency.name}及其下级机关" if agency is not None else "全部机关"
        self.stdout.write(f"已重新检查{where}的 {count} 件案件（{time.monotonic() - started:.1f} 秒）。")
