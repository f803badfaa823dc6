"""`quanlu serve`: the production-shaped server (gunicorn, threads) on QUANLU_BIND,
with one `quanlu worker` beside it for the periodic jobs (unless ``--no-jobs``)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.core.wsgi import get_wsgi_application
from gunicorn.app.base import BaseApplication

log = logging.getLogger("quanlu.jobs")


class JobRunner:
    """The one `quanlu worker` of a `quanlu serve`: started once gunicorn has bound
    its socket, restarted if it dies, stopped (SIGTERM, then SIGKILL after a grace
    period) once gunicorn has stopped its HTTP workers.

    The worker runs in its own session, so a Ctrl+C at the terminal reaches the
    server alone, which then stops the worker itself (a worker that died of the same
    Ctrl+C would be restarted half-way through the shutdown). ``--parent`` makes it
    stop by itself should the server be killed outright.

    A thread of the gunicorn master watches it: gunicorn's own loop has no hook
    that runs periodically, and its SIGCHLD handler may reap the worker first
    (Popen.poll then reports it gone all the same)."""

    RESTART_DELAY = 3.0  # seconds: a worker that keeps dying is not restarted in a tight loop
    STOP_GRACE = 30.0  # seconds for the job in hand to finish

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def _spawn(self) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "quanlu", "worker", "--parent", str(os.getpid())]
        return subprocess.Popen(command, stdin=subprocess.DEVNULL, start_new_session=True)  # noqa: S603 - our own command

    def start(self, server: object = None) -> None:
        with self._lock:
            if self._thread is not None or self._stopping.is_set():
                return
            self._proc = self._spawn()
            self._thread = threading.Thread(target=self._watch, name="quanlu-jobs", daemon=True)
            self._thread.start()

    def _watch(self) -> None:
        while not self._stopping.wait(1.0):
            with self._lock:
                proc = self._proc
                if proc is None or proc.poll() is None:
                    continue
            log.error(
                "后台任务进程（pid %s）已退出（退出码 %s），%.0f 秒后重启。",
                proc.pid,
                proc.returncode,
                self.RESTART_DELAY,
            )
            if self._stopping.wait(self.RESTART_DELAY):
                return
            with self._lock:
                if not self._stopping.is_set():
                    self._proc = self._spawn()

    def stop(self, server: object = None) -> None:
        with self._lock:
            self._stopping.set()
            proc, self._proc = self._proc, None
        if self._thread is not None:
            self._thread.join()
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=self.STOP_GRACE)
        except subprocess.TimeoutExpired:
            log.error("后台任务进程（pid %s）未在 %.0f 秒内停止，已强制结束。", proc.pid, self.STOP_GRACE)
            proc.kill()
            proc.wait()


class _Server(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        # Built here, in the master before it forks, as quanlu.config.wsgi would: `quanlu`
        # has already set the umask and the settings module that file sets for other servers.
        self.application = get_wsgi_application()
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return self.application


class Command(BaseCommand):
    help = "运行 Web 服务（gunicorn），并在旁运行一个后台任务进程（quanlu worker）。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--bind", default=settings.QUANLU_BIND)
        parser.add_argument("--workers", type=int, default=settings.QUANLU_WORKERS)
        parser.add_argument(
            "--no-jobs",
            dest="jobs",
            action="store_false",
            help="do not start the background jobs (`quanlu worker`)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"全录已启动：http://{options['bind']}/  （Ctrl+C 停止）")
        config: dict[str, Any] = {
            "bind": options["bind"],
            "workers": options["workers"],
            "threads": settings.QUANLU_THREADS,
            "worker_class": "gthread",
            "accesslog": "-",
            # Large media uploads stream for minutes on poor networks.
            "timeout": 3600,
        }
        runner = JobRunner() if options["jobs"] else None
        if runner is not None:
            # In the master only: after the socket is bound, and after the HTTP workers stopped.
            config["when_ready"] = runner.start
            config["on_exit"] = runner.stop
        try:
            _Server(config).run()
        finally:  # gunicorn exits without on_exit when its main loop fails
            if runner is not None:
                runner.stop()
