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


@pytest.fixture
def make_store(backend: str, request: pytest.FixtureRequest) -> Callable[..., StagingStore]:
    """``make_store(root, extra_digests=())``: a store of this test's backend staging in ``root``."""

    def make(root: Path, extra_digests: tuple[str, ...] = ()) -> StagingStore:
        if backend == "s3":
            from quanlu.blobs.s3 import S3BlobStore

            return S3BlobStore(root, extra_digests, config=request.getfixturevalue("s3_config"))
        return LocalBlobStore(root, extra_digests)

    return make
