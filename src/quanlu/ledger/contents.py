"""The stored bytes, as far as ``quanlu ledger verify`` needs them: events name content
by SHA-256, and verify re-hashes it. The content store belongs to ``quanlu.blobs``
(which writes through the ledger); it registers itself here at start, so the ledger
reads bytes without importing the app that stores them.
"""

from __future__ import annotations

from typing import BinaryIO, Protocol


class ContentStore(Protocol):
    def open(self, sha256: str) -> BinaryIO:
        """The bytes; raises FileNotFoundError when they are not there."""

    def exists(self, sha256: str) -> bool: ...

    def registered(self, shas: list[str]) -> dict[str, tuple[int, str]]:
        """The registry's (size, SM3) of each content it knows."""


_store: ContentStore | None = None


def register(store: ContentStore) -> None:
    global _store  # set once, by blobs' AppConfig.ready()
    _store = store


def current() -> ContentStore | None:
    return _store
