"""Database triggers that make the event table append-only, even to raw SQL.

Installed by migration. A superuser can still drop them; that is what the Merkle
log and ``quanlu ledger verify`` are for.
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

TABLE = "ledger_event"
MESSAGE = "ledger events are append-only"
# Everything the Merkle log learns is append-only too (leaves, nodes, checkpoints,
# cosignatures, logs, witnesses, anchors, verification runs); only the pending queue
# (ledger_pending) is emptied as the sequencer integrates it.
TABLES = (
    TABLE,
    "ledger_log",
    "ledger_witness",
    "ledger_key",
    "ledger_leaf",
    "ledger_node",
    "ledger_checkpoint",
    "ledger_cosignature",
    "ledger_anchor",
    "ledger_verification",
    "ledger_rowstate",
)


def _sqlite_install(table: str) -> list[str]:
    return [
        f"""CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table}
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
        f"""CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table}
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    ]


def _sqlite_uninstall(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {table}_no_update", f"DROP TRIGGER IF EXISTS {table}_no_delete"]


_PG_FUNCTION = f"""CREATE OR REPLACE FUNCTION {TABLE}_refuse() RETURNS trigger AS $$
        BEGIN RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'insufficient_privilege'; END;
        $$ LANGUAGE plpgsql"""


def _pg_install(table: str) -> list[str]:
    return [
        f"""CREATE OR REPLACE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION {TABLE}_refuse()""",
        f"""CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
        FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_refuse()""",
    ]


def _pg_uninstall(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {table}_no_update_delete ON {table}",
        f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
    ]


def _statements(connection: BaseDatabaseWrapper, *, install: bool) -> list[str]:
    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"no append-only triggers for {vendor}")
    # Only the tables that exist: migration 0002 runs before the log's tables are made.
    existing = set(connection.introspection.table_names())
    tables = [t for t in TABLES if t in existing]
    out: list[str] = []
    if vendor == "postgresql" and install:
        out.append(_PG_FUNCTION)
    for table in tables:
        if vendor == "sqlite":
            out += _sqlite_install(table) if install else _sqlite_uninstall(table)
        else:
            out += _pg_install(table) if install else _pg_uninstall(table)
    return out


def install(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        for sql in _statements(connection, install=True):
            cursor.execute(sql)


def uninstall(connection: BaseDatabaseWrapper) -> None:
    """Only for test teardown (flushing the test database) and tamper tests."""
    with connection.cursor() as cursor:
        for sql in _statements(connection, install=False):
            cursor.execute(sql)
