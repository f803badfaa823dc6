"""``quanlu ledger verify``: recompute everything from the rows and the bytes, and name
every item that does not match.

1. Keys: the public keys the database lists must be those of the private key files
   (an attacker who swaps a public key in the database to re-sign history is named);
   signatures are checked against the key files' keys where present.
2. Events: every row's canonical bytes are recomputed and hashed, and compared with
   the leaf (or the queue entry) written when the event was recorded. A changed row,
   a deleted row (its leaf remains), a row that never entered the log, and two rows
   whose contents were swapped are each named by sequence number, id and type.
3. Trees: each log's tree is rebuilt from its leaves; every stored node is compared.
4. Checkpoints: every signature and cosignature is verified; every signed root must
   be the rebuilt root at its size; two checkpoints of one size with different roots
   (a fork) are named; successive checkpoints must be consistent (RFC 9162 proof).
5. Blobs: every blob an event names (a payload value under a key ``sha256``) is
   re-hashed in the store (SHA-256, and SM3 when recorded) and its size checked
   against the ``blob:blob:stored`` event. A blob whose disposal is ledgered
   (``blob:blob:disposed``, naming a disposition and two distinct approvers) is
   counted as disposed when its bytes are gone, not as tampered.
6. Records: every row of every covered model (``ledger.records``) is read as it is now
   and compared with the digest the latest event naming it committed; a changed row
   is named with its fields (from ``ledger.RowState``), a row no event committed and a
   committed row that is gone without a removing event are named too.
7. The queue: each waiting entry's code (``ledger.queue``) must match, and an entry
   older than QUANLU_LEDGER_STALE_SECONDS means the sequencer is not running.
"""

from __future__ import annotations

import json
import multiprocessing
import time
from collections.abc import Callable
from multiprocessing.connection import Connection

from django.db import connection, connections

from quanlu.ledger import records
from quanlu.ledger.models import Log
from quanlu.ledger.verify.blobs import check_blobs
from quanlu.ledger.verify.events import check_events
from quanlu.ledger.verify.keys import trusted_keys
from quanlu.ledger.verify.report import Problem, Report, raw_rows
from quanlu.ledger.verify.rows import check_rows
from quanlu.ledger.verify.trees import check_log

__all__ = ["Problem", "Report", "verify", "verify_records"]


def verify_records() -> Report:
    """Only the record comparison (6.), reading just the events that commit rows: for the
    test suite, which checks after every test that the services committed what they wrote,
    and for the process ``verify(parallel=True)`` forks."""
    report = Report()
    check_rows(report, committed_rows())
    return report


def committed_rows() -> dict[str, tuple[str | None, int]]:
    """Each covered row's key → (the digest the latest event naming it committed, or None
    when that event removed it; the event's sequence number)."""
    latest: dict[str, tuple[str | None, int]] = {}
    sql = "SELECT seq, payload FROM ledger_event WHERE payload LIKE %s ORDER BY seq"
    if connection.vendor == "postgresql":
        sql = "SELECT seq, payload::text FROM ledger_event WHERE payload::text LIKE %s ORDER BY seq"
    for seq, text in raw_rows(sql, ['%"rows"%']):
        payload = json.loads(text) if isinstance(text, str | bytes) else text
        committed = payload.get(records.ROWS_KEY) if isinstance(payload, dict) else None
        if isinstance(committed, dict):
            for key, digest in committed.items():
                latest[key] = (digest if isinstance(digest, str) else None, seq)
    return latest


def verify(*, blobs: bool = True, rows: bool = True, parallel: bool = False) -> Report:
    """Check everything; never raises for what it finds (it reports it). ``rows=False``
    leaves out the record comparison (6.), for the benchmark's ledger-only baseline.
    ``parallel=True`` (the command) compares the records in a forked process on its own
    connection while this one checks the ledger: on two cores the full check then takes
    about as long as the ledger's alone."""
    started = time.monotonic()
    report = Report()
    join_rows = _rows_in_child() if rows and parallel else None
    logs = list(Log.objects.select_related("agency").order_by("pk"))
    report.logs = len(logs)
    origins = {lg.pk: lg.origin for lg in logs}
    log_keys, witness_keys = trusted_keys(report)
    seen = check_events(report, origins)
    for log_row in logs:
        check_log(report, log_row, log_keys.get(log_row.pk, []), witness_keys)
    if join_rows is not None:
        join_rows(report, seen.rows)
    elif rows:
        check_rows(report, seen.rows)
    if blobs:
        check_blobs(report, seen.refs, seen.stored)
    report.seconds = round(time.monotonic() - started, 3)
    return report


def _rows_in_child() -> Callable[[Report, dict[str, tuple[str | None, int]]], None] | None:
    """Start the record comparison (6.) in a forked process; return what adds its findings
    to the report. None where another connection would not see the same rows: inside a
    transaction (its writes are invisible elsewhere) or on an in-memory database."""
    in_memory = connection.vendor == "sqlite" and connection.is_in_memory_db()  # type: ignore[attr-defined]  # the SQLite wrapper's
    if connection.in_atomic_block or in_memory:
        return None
    connections.close_all()  # a forked child must not share this process's connections
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_rows_child, args=(send,), daemon=True)
    child.start()
    send.close()

    def join(report: Report, latest: dict[str, tuple[str | None, int]]) -> None:
        try:
            outcome = receive.recv()
        except EOFError:
            outcome = ("error", "比对进程意外退出")
        finally:
            receive.close()
            child.join()
        if outcome[0] != "ok":
            # The comparison did not finish there: do it here rather than report nothing.
            report.warnings.append(f"并行比对记录未完成（{outcome[1]}），已在本进程重新比对。")
            check_rows(report, latest)
            return
        _, problems, warnings, counted = outcome
        report.problems.extend(problems)
        report.warnings.extend(warnings)
        report.rows += counted

    return join


def _rows_child(send: Connection) -> None:
    try:
        found = verify_records()
        send.send(("ok", found.problems, found.warnings, found.rows))
    except Exception as exc:  # sent to the parent, which then compares by itself
        send.send(("error", repr(exc)))
    finally:
        connections.close_all()
        send.close()
