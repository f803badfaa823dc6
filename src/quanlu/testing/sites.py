"""Whole quanlu sites for end-to-end tests: a data folder and a database, set up by the
real commands (`quanlu migrate`, `quanlu demo`) in subprocesses, on the same database
engine as the test run (SQLite by default, PostgreSQL when QUANLU_DATABASE_URL names one).

The demo is the slowest thing to load, so a test session loads it once (the
``demo_site`` fixture) and tests that need to change it work on copies (``Site.copy``).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quanlu.ledger.triggers import TABLES

QUANLU = [sys.executable, "-m", "quanlu"]

# The append-only triggers of quanlu.ledger.triggers, as a superuser would drop them.
LEDGER_TABLES = TABLES


def _pg_admin_url(url: str) -> str:
    return url.rsplit("/", 1)[0] + "/postgres"


def _pg_execute(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(_pg_admin_url(url), autocommit=True) as con:
        con.execute(sql)


@dataclass
class Site:
    data_dir: Path
    database_url: str | None  # None: SQLite in data_dir
    output: str = ""  # what `quanlu demo` printed, for a demo site

    @property
    def env(self) -> dict[str, str]:
        env = {**os.environ, "QUANLU_DATA_DIR": str(self.data_dir)}
        env.pop("QUANLU_DATABASE_URL", None)
        env.pop("QUANLU_BLOB_DIR", None)
        env.pop("QUANLU_KEY_DIR", None)
        if self.database_url:
            env["QUANLU_DATABASE_URL"] = self.database_url
        return env

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "quanlu.sqlite3"

    def run(self, *args: str, check: bool = True, timeout: float = 900) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*QUANLU, *args], env=self.env, check=check, timeout=timeout, capture_output=True, text=True
        )

    def json(self, *args: str) -> tuple[int, Any]:
        done = self.run(*args, check=False)
        try:
            return done.returncode, json.loads(done.stdout)
        except json.JSONDecodeError as exc:
            raise AssertionError(f"quanlu {' '.join(args)}: {done.stdout}\n{done.stderr}") from exc

    def copy(self, target: Path) -> Site:
        """A copy to change: its own database and keys; blobs hard-linked (replace a blob
        file before writing to it: ``own_blob``)."""
        target.mkdir(parents=True)
        for item in self.data_dir.iterdir():
            if item.name == "blobs":
                shutil.copytree(item, target / "blobs", copy_function=os.link)
            elif item.is_dir():
                shutil.copytree(item, target / item.name)
            else:
                shutil.copy2(item, target / item.name)
        url = None
        if self.database_url:
            name = f"quanlu_copy_{uuid.uuid4().hex[:12]}"
            _pg_execute(
                self.database_url,
                f'CREATE DATABASE "{name}" TEMPLATE "{self.database_url.rsplit("/", 1)[1]}"',
            )
            url = self.database_url.rsplit("/", 1)[0] + "/" + name
        return Site(target, url)

    def own_blob(self, sha256: str) -> Path:
        """The blob's file, no longer shared with the site it was copied from."""
        path = next((self.data_dir / "blobs").rglob(sha256))
        data = path.read_bytes()
        path.unlink()
        path.write_bytes(data)
        return path

    def sql(
        self, statements: Sequence[str | tuple[str, Sequence[Any]]], *, lift_triggers: bool = False
    ) -> None:
        """Run SQL on the site's database directly, as an insider would."""
        if self.database_url:
            import psycopg

            with psycopg.connect(self.database_url, autocommit=False) as con:
                if lift_triggers:
                    for t in LEDGER_TABLES:
                        con.execute(f"DROP TRIGGER IF EXISTS {t}_no_update_delete ON {t}")
                for s in statements:
                    sql, params = (s, ()) if isinstance(s, str) else s
                    con.execute(sql.replace("?", "%s"), params)
            return
        import sqlite3

        lite = sqlite3.connect(self.sqlite_path)
        try:
            if lift_triggers:
                for t in LEDGER_TABLES:
                    lite.execute(f"DROP TRIGGER IF EXISTS {t}_no_update")
                    lite.execute(f"DROP TRIGGER IF EXISTS {t}_no_delete")
            for s in statements:
                sql, params = (s, ()) if isinstance(s, str) else s
                lite.execute(sql, params)
            lite.commit()
        finally:
            lite.close()

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if self.database_url:
            import psycopg

            with psycopg.connect(self.database_url) as con:
                return list(con.execute(sql.replace("?", "%s"), params).fetchall())
        import sqlite3

        lite = sqlite3.connect(self.sqlite_path)
        try:
            return list(lite.execute(sql, params).fetchall())
        finally:
            lite.close()

    def drop(self) -> None:
        if self.database_url:
            with contextlib.suppress(Exception):
                name = self.database_url.rsplit("/", 1)[1]
                _pg_execute(self.database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(self.data_dir, ignore_errors=True)


def new_site(data_dir: Path) -> Site:
    """An empty, migrated site on the test run's database engine."""
    url = os.environ.get("QUANLU_DATABASE_URL", "")
    database_url = None
    if url.startswith("postgres"):
        name = f"quanlu_site_{uuid.uuid4().hex[:12]}"
        _pg_execute(url, f'CREATE DATABASE "{name}"')
        database_url = url.rsplit("/", 1)[0] + "/" + name
    site = Site(data_dir, database_url)
    data_dir.mkdir(parents=True, exist_ok=True)
    site.run("migrate", "--noinput", "-v0", timeout=300)
    return site
