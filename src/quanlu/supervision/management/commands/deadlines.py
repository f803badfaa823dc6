"""`quanlu deadlines sweep`: open/meet rule deadlines and raise yellow/red alerts."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from quanlu.supervision.services import deadlines_sweep


class Command(BaseCommand):
    help = "期限：sweep 同步各案件期限并发出黄牌、红牌预警。"

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("sweep")

    def handle(self, *args: Any, **options: Any) -> None:
        alerts = deadlines_sweep()
        for a in alerts:
            d = a.deadline
            owner = d.case.number if d.case is not None else d.agency.name
            self.stdout.write(f"{a.get_level_display()}：{owner} {d.title}（期限 {d.due_at:%Y-%m-%d %H:%M}）")
        self.stdout.write(f"新预警 {len(alerts)} 条。")
