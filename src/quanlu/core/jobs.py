"""Periodic background jobs (ledger sequencing, deadline sweeps, verification).

Each domain registers its jobs in its AppConfig.ready(); `quanlu worker` runs them
(and `quanlu serve` starts one worker beside the web server), so the embedded
default needs no extra server. A job must be idempotent and safe to run from
several processes at once; it takes its own locks where that matters.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import close_old_connections

log = logging.getLogger("quanlu.jobs")


@dataclass
class Job:
    name: str
    every: float  # seconds
    func: Callable[[], object]
    next_run: float = field(default=0.0)


_JOBS: dict[str, Job] = {}


def register(name: str, *, every: float, func: Callable[[], object]) -> None:
    if every <= 0:
        raise ValueError("a job's interval must be positive")
    _JOBS[name] = Job(name=name, every=every, func=func)


def registered() -> list[Job]:
    return sorted(_JOBS.values(), key=lambda j: j.name)


def run_due(now: float | None = None) -> list[str]:
    """Run every job that is due; return the names run. A failing job is logged
    and retried at its next interval; it never stops the others."""
    now = time.monotonic() if now is None else now
    ran: list[str] = []
    for job in registered():
        if now < job.next_run:
            continue
        job.next_run = now + job.every
        close_old_connections()
        try:
            job.func()
        except Exception:
            log.exception("job %s failed", job.name)
        ran.append(job.name)
    return ran


def run_forever(stop: Callable[[], bool] = lambda: False, tick: float = 1.0) -> None:
    while not stop():
        run_due()
        time.sleep(tick)
