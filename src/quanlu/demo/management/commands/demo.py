"""`quanlu demo`: load the demo data (idempotent) and print the logins; with ``--scale N``,
N synthetic cases in bulk for measurements (quanlu.demo.scale)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from quanlu.core.errors import Conflict
from quanlu.demo import loader
from quanlu.org.models import Role


class Command(BaseCommand):
    help = (
        "载入演示数据（可重复执行）并列出演示账号。"
        "加 --scale N 则批量生成 N 件合成案件（含当事人、阶段、审批、文书、期限、预警、整改通知及约 20 条日志事件/件），"
        "仅供性能测量，切勿用于生产站点：站点已有真实案件时拒绝执行（除非 --force），合成数据均有标记。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scale", type=int, metavar="N", help="生成 N 件合成案件（批量写入，不经业务服务）"
        )
        parser.add_argument(
            "--agencies", type=int, default=100, metavar="K", help="合成执法机关数（默认 100）"
        )
        parser.add_argument("--seed", type=int, default=1, metavar="S", help="随机种子（默认 1）")
        parser.add_argument("--force", action="store_true", help="站点已有真实案件时仍然写入合成数据")
        parser.add_argument(
            "--no-integrate", action="store_true", help="不立即将事件并入默克尔日志（留给定时任务）"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["scale"] is not None:
            self._scale(options)
            return
        people = loader.load()
        self.stdout.write(f"演示账号（密码均为 {loader.DEMO_PASSWORD}）：")
        for username, officer in sorted(people.items(), key=lambda kv: (kv[1].agency_id or 0, kv[0])):
            roles = "、".join(Role(r).label for r in sorted(officer.role_set()))
            agency = officer.agency.name if officer.agency else ""
            self.stdout.write(f"  {username:<16} {officer.full_name:<4} {agency} · {roles}")

    def _scale(self, options: dict[str, Any]) -> None:
        from django.db import connection

        from quanlu.demo import scale

        n = options["scale"]
        if n < 1 or options["agencies"] < 3:
            raise CommandError("--scale 须为正整数，--agencies 不少于 3。")
        try:
            summary = scale.build(
                n,
                agencies=options["agencies"],
                seed=options["seed"],
                force=options["force"],
                integrate=not options["no_integrate"],
                progress=lambda line: self.stderr.write(line),
            )
        except Conflict as exc:  # a site with real cases (no --force)
            raise CommandError(str(exc)) from exc
        rows = summary.total_rows
        bulk = summary.seconds["bulk"]
        self.stdout.write(f"已生成合成数据：案件 {summary.cases}，日志事件 {summary.events}，共 {rows} 行。")
        for table, count in sorted(summary.rows.items()):
            self.stdout.write(f"  {table:<36} {count}")
        self.stdout.write(
            "用时（秒）："
            + "，".join(f"{k} {v}" for k, v in summary.seconds.items())
            + f"；批量写入 {rows / bulk if bulk else 0:,.0f} 行/秒"
        )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
                self.stdout.write(f"数据库大小：{cursor.fetchone()[0]}")
        self.stdout.write(f"登录账号（密码均为 {loader.DEMO_PASSWORD}）：")
        for label, officer in scale.logins().items():
            self.stdout.write(
                f"  {label:<10} {officer.username:<28} {officer.agency.name if officer.agency else ''}"
            )
