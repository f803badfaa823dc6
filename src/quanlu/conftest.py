"""Shared fixtures: the append-only ledger in every test database, and personas."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from quanlu.ledger import triggers
from quanlu.testing import factories

OUTPUT_DIR = Path(__file__).resolve().parents[2] / "test-output"


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    # Personas are many; a deliberately slow password hash would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def db(db: None) -> None:
    # A transactional test before this one may have lifted the triggers for its
    # flush; make sure this test sees an append-only ledger.
    triggers.install(connection)
    return


@pytest.fixture
def transactional_db(transactional_db: None) -> Iterator[None]:
    triggers.install(connection)
    yield
    # pytest-django empties every table after a transactional test; the triggers
    # would (rightly) refuse that for the ledger, so lift them for the flush only.
    triggers.uninstall(connection)


@pytest.fixture(autouse=True)
def _blob_dir(settings: Any, tmp_path: Path) -> None:
    # Every test stores its blobs in its own folder.
    settings.QUANLU_BLOB_DIR = tmp_path / "blobs"


@pytest.fixture
def world(db: None) -> factories.World:
    return factories.world()


@pytest.fixture
def output_dir() -> Path:
    OUTPUT_DIR.mkdir(exist_ok=True)
    return OUTPUT_DIR
