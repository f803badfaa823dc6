"""The store tests run on both backends: the local folder, and S3 on a real Ceph RADOS Gateway
(marked ``s3``; the server starts once per session)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from quanlu.blobs.store import LocalBlobStore, StagingStore


def read(store: Any, sha256: str) -> bytes:
    with store.open(sha256) as fh:
        return bytes(fh.read())


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def backend(request: pytest.FixtureRequest, settings: Any) -> str:
    """The storage backend of this test; for ``s3``, get_store() answers it too."""
    if request.param == "s3":
        use_s3(settings, request.getfixturevalue("s3_config"))
    return str(request.param)


def use_s3(settings: Any, config: Any) -> None:
    """Point the settings (and so get_store()) at the S3 store ``config`` describes."""
    settings.QUANLU_STORAGE = "s3"
    settings.QUANLU_S3_BUCKET = config.bucket
    settings.QUANLU_S3_ENDPOINT_URL = config.endpoint_url
    settings.QUANLU_S3_ACCESS_KEY = config.access_key
    settings.QUANLU_S3_SECRET_KEY = config.secret_key
    settings.QUANLU_S3_REGION = config.region
    settings.QUANLU_S3_PREFIX = config.prefix
    settings.QUANLU_S3_RETAIN_DAYS = config.retain_days


@pytest.fixture
def make_store(backend: str, request: pytest.FixtureRequest) -> Callable[..., StagingStore]:
    """``make_store(root, extra_digests=())``: a store of this test's backend staging in ``root``."""

    def make(root: Path, extra_digests: tuple[str, ...] = ()) -> StagingStore:
        if backend == "s3":
            from quanlu.blobs.s3 import S3BlobStore

            return S3BlobStore(root, extra_digests, config=request.getfixturevalue("s3_config"))
        return LocalBlobStore(root, extra_digests)

    return make
