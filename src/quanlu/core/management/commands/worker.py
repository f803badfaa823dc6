"""`quanlu worker`: run the registered periodic jobs until stopped."""

from __future__ import annotations

import os
import signal
from typing import Any

from django.core.management.base import BaseCommand

from quanlu.core import jobs


class Command(BaseCommand):
    help = "运行后台定时任务（日志封装、期限预警等）。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="run every job once and exit")
        parser.add_argument(
            "--parent",
            type=int,
            default=0,
            help="stop when the process with this id is gone (`quanlu serve` passes its own)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            for name in jobs.run_due(now=float("inf")):
                self.stdout.write(f"已运行：{name}")
            return
        stopping = False

        def stop(*_: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        parent = options["parent"]

        def orphaned() -> bool:
            # The server was killed outright (no SIGTERM reached us): we were re-parented.
            return bool(parent) and os.getppid() != parent

        names = "、".join(j.name for j in jobs.registered()) or "（无）"
        self.stdout.write(f"后台任务已启动：{names}")
        jobs.run_forever(stop=lambda: stopping or orphaned())
