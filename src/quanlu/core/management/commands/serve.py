"""`quanlu serve`: the production-shaped server (gunicorn, threads) on QUANLU_BIND."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from gunicorn.app.base import BaseApplication

from quanlu.config.wsgi import application


class _Server(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return application


class Command(BaseCommand):
    help = "运行 Web 服务（gunicorn）。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--bind", default=settings.QUANLU_BIND)
        parser.add_argument("--workers", type=int, default=settings.QUANLU_WORKERS)
        parser.add_argument(
            "--no-jobs", dest="jobs", action="store_false", help="do not start `quanlu worker`"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"全录已启动：http://{options['bind']}/  （Ctrl+C 停止）")
        _Server(
            {
                "bind": options["bind"],
                "workers": options["workers"],
                "threads": settings.QUANLU_THREADS,
                "worker_class": "gthread",
                "accesslog": "-",
                # Large media uploads stream for minutes on poor networks.
                "timeout": 3600,
            }
        ).run()
