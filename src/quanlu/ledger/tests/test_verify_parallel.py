"""``verify(parallel=True)`` (what `quanlu ledger verify` runs) compares the records in a
forked process on its own connection: it must name exactly what the in-process comparison
names. It forks only where another connection sees the same rows: not inside a transaction,
not on an in-memory SQLite database."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from quanlu.ledger.verify import Report, _rows_in_child, verify
from quanlu.testing import factories as f
from quanlu.testing.tamper import tamper

pytestmark = pytest.mark.tampers  # a row is edited behind the services


def _named(report: Report) -> list[tuple[str, object, object]]:
    return sorted((p.kind, p.item.get("row"), p.item.get("fields")) for p in report.problems)


def test_the_parallel_comparison_names_what_the_in_process_one_names(transactional_db):
    w = f.world()
    case = w.open_case()
    tamper(case, "cause", "改过的案由")
    alone = verify(blobs=False)
    forked = verify(blobs=False, parallel=True)
    assert ("row_changed", f"cases.case/{case.public_id}", "cause") in _named(alone)
    assert _named(forked) == _named(alone)
    assert forked.rows == alone.rows > 0
    assert forked.warnings == alone.warnings


def test_it_forks_only_where_another_connection_sees_the_same_rows(transactional_db):
    w = f.world()
    w.open_case()
    with transaction.atomic():
        assert _rows_in_child() is None  # this transaction's rows are invisible elsewhere
    join = _rows_in_child()
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        assert join is None  # another connection would see another, empty database
        return
    assert join is not None
    report = Report()
    join(report, {})
    assert report.rows > 0
    assert report.ok, [p.message for p in report.problems]
