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

    config.addinivalue_line(
        "markers",
        "tampers: edits rows behind the services on purpose (skips the check that every row written "
        "during the test was committed by its event)",
    )

    # Personas are many; a deliberately slow password hash would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _uses_db(item: pytest.Item) -> bool:
    names = getattr(item, "fixturenames", ())
    return "db" in names or "transactional_db" in names or item.get_closest_marker("django_db") is not None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    """After every test that wrote to the database: each covered row must be committed
    by the event of the service that wrote it (quanlu.ledger.records), as
    ``quanlu ledger verify`` will demand in production. A service that forgets to name
    a row it wrote fails here, in the test that exercised it."""
    result = yield
    # A test whose code closed the connection inside its transaction (jobs.run_due does,
    # as the worker must) has nothing left to check: its writes were rolled back.
    if _uses_db(item) and item.get_closest_marker("tampers") is None and not connection.closed_in_transaction:
        from quanlu.ledger.verify import verify_records

        report = verify_records()
        if report.problems:
            lines = "\n".join(f"  [{p.kind}] {p.message}" for p in report.problems[:20])
            raise AssertionError(f"rows written without their ledger commitment:\n{lines}")
    return result


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


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A whole site with the demo loaded by the real commands, once per test session
    (`quanlu migrate`, `quanlu demo`, `quanlu ledger integrate`, as `make run` does).
    Tests that change it work on ``demo_site.copy(tmp_path / ...)``."""
    from quanlu.testing.sites import new_site

    site = new_site(tmp_path_factory.mktemp("demo-site") / "var")
    site.output = site.run("demo").stdout
    site.run("ledger", "integrate")
    yield site
    site.drop()


@pytest.fixture(scope="session")
def rgw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A real S3 server (Ceph RADOS Gateway, quanlu.testing.rgw) for the tests marked ``s3``,
    started once per session and installed first when missing. If it cannot start, the
    tests that need it error with the reason: none is skipped."""
    from quanlu.testing import rgw as server

    folder = tmp_path_factory.mktemp("rgw")
    started = server.start(folder)
    yield started
    server.stop(folder)


@pytest.fixture
def s3_config(rgw: Any, request: pytest.FixtureRequest) -> Any:
    """Settings of an S3 store of its own for this test: one bucket per session, a fresh
    key prefix per test (objects under Object Lock cannot be cleaned up, by design)."""
    import uuid

    from quanlu.blobs.s3 import S3Config

    return S3Config(
        bucket="quanlu-tests",
        endpoint_url=rgw.endpoint,
        access_key=rgw.access_key,
        secret_key=rgw.secret_key,
        region=rgw.region,
        prefix=f"{uuid.uuid4().hex}/",
        retain_days=1,
    )


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def backend(request: pytest.FixtureRequest, settings: Any) -> str:
    """The storage backend of this test, local folder and S3 (marked ``s3``): get_store()
    answers it. A test that takes this fixture runs on both."""
    if request.param == "s3":
        from quanlu.testing.rgw import use_s3

        use_s3(settings, request.getfixturevalue("s3_config"))
    return str(request.param)


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
