"""Ledger tests: each test signs with its own keys, in its own key folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

# Public vectors vendored with their provenance (testdata/transparency-log/README.md).
VECTORS = Path(__file__).resolve().parents[4] / "testdata" / "transparency-log"


@pytest.fixture(autouse=True)
def key_dir(settings: Any, tmp_path: Path) -> Path:
    settings.QUANLU_KEY_DIR = tmp_path / "keys"
    return settings.QUANLU_KEY_DIR
