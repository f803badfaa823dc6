"""The ledger's scheduled work, registered with ``quanlu.core.jobs`` in ``apps.py``.

``run_once()`` integrates the queue (every QUANLU_LEDGER_INTERVAL seconds);
``verify_and_alert()`` runs the full verification (every QUANLU_LEDGER_VERIFY_HOURS)
and logs each problem at CRITICAL on the ``quanlu.ledger.alert`` logger. Both are
safe to call from several processes: the sequencer takes its lock.
"""

from __future__ import annotations

import logging

from quanlu.ledger.sequencer import IntegrateResult, LedgerError

log = logging.getLogger("quanlu.ledger")
alert_log = logging.getLogger("quanlu.ledger.alert")


def run_once() -> IntegrateResult:
    from quanlu.ledger.services import ledger_integrate

    try:
        result = ledger_integrate()
    except LedgerError as exc:
        alert_log.critical("ledger: integration stopped: %s", exc.message)
        raise
    if result.integrated:
        log.info(
            "ledger: integrated %d events, %d checkpoints, %d cosignatures",
            result.integrated,
            len(result.checkpoints),
            result.cosignatures,
        )
    for warning in result.warnings:
        alert_log.critical("ledger: %s", warning)
    return result


def verify_and_alert() -> bool:
    from quanlu.ledger.services import verification_run

    run, report = verification_run(actor=None)
    if report.ok:
        log.info(
            "ledger: verification %s passed (%d events, %.1f s)", run.public_id, report.events, report.seconds
        )
        return True
    alert_log.critical(
        "ledger: verification %s FAILED with %d problems (see quanlu ledger verify)",
        run.public_id,
        len(report.problems),
    )
    for problem in report.problems[:100]:
        alert_log.critical("ledger: [%s] %s", problem.kind, problem.message)
    return False
