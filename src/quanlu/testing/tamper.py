"""Helpers for tests that edit rows behind the services, as an insider with database
access would, and check that ``quanlu ledger verify`` names exactly what was touched.
Such tests carry ``@pytest.mark.tampers`` (see conftest.py)."""

from __future__ import annotations

from typing import Any

from django.db import connection

from quanlu.ledger import records
from quanlu.ledger.verify import Problem, verify_records


def tamper(obj: Any, column: str, value: Any) -> None:
    """Set one column of ``obj``'s row with raw SQL (no service, no event)."""
    table, pk = obj._meta.db_table, obj._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(f'UPDATE "{table}" SET "{column}" = %s WHERE "{pk}" = %s', [value, obj.pk])


def the_problem() -> Problem:
    """The one problem the record comparison finds (fails if there is not exactly one)."""
    [problem] = verify_records().problems
    return problem


def assert_changed(obj: Any, column: str) -> None:
    problem = the_problem()
    assert problem.kind == "row_changed"
    spec = records.spec_for(type(obj))
    assert spec is not None
    assert problem.item["row"] == spec.key_of(obj.public_id)
    assert problem.item["fields"] == column
