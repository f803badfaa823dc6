"""An exported package made once per test session: a case archived and exported with the
database rolled back afterwards. Tests that read or tamper with a package copy it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.test import override_settings

from quanlu.archive.tests import helpers as h
from quanlu.ledger import triggers
from quanlu.testing import factories


class _Rollback(Exception):
    pass


@pytest.fixture(scope="session")
def pristine(django_db_setup, django_db_blocker, tmp_path_factory) -> tuple[Path, str]:
    """(package path, the agency log key its 备考表 prints)."""
    root = tmp_path_factory.mktemp("pristine")
    found: dict[str, str] = {}
    with django_db_blocker.unblock(), override_settings(QUANLU_BLOB_DIR=root / "blobs"):
        try:
            with transaction.atomic():
                triggers.install(connection)
                world = factories.world()
                _case, dossier = h.archived(world, documents=2)
                h.export(world, dossier, root / "package")
                found["vkey"] = dossier.checkpoint_key
                raise _Rollback
        except _Rollback:
            pass
    return root / "package", found["vkey"]


@pytest.fixture
def exported(pristine, db, tmp_path) -> Path:
    """A fresh copy of the exported package, to read or tamper with. (``db``: so that the test
    session sets up the test database even when no other test asks for it.)"""
    path = tmp_path / "exported"
    shutil.copytree(pristine[0], path)
    return path
