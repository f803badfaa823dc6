"""What the ledger needs from blobs: which rows it commits (quanlu.ledger.records), and
the bytes it re-hashes (quanlu.ledger.contents)."""

from __future__ import annotations

from typing import BinaryIO

from quanlu.ledger import contents
from quanlu.ledger.records import cover


class Contents:
    """The content store as ``quanlu ledger verify`` reads it (ledger.contents.ContentStore)."""

    def open(self, sha256: str) -> BinaryIO:
        from quanlu.blobs.store import BlobError, get_store

        try:
            return get_store().open(sha256)
        except BlobError as exc:
            raise FileNotFoundError(sha256) from exc

    def exists(self, sha256: str) -> bool:
        from quanlu.blobs.store import get_store

        return get_store().exists(sha256)

    def registered(self, shas: list[str]) -> dict[str, tuple[int, str]]:
        from quanlu.blobs.models import Blob

        return {
            sha: (size, sm3)
            for sha, size, sm3 in Blob.objects.filter(sha256__in=shas).values_list("sha256", "size", "sm3")
        }


def bind() -> None:
    from quanlu.blobs.models import Blob, Tombstone

    cover(Blob, key="sha256")
    cover(Tombstone, key="blob")
    contents.register(Contents())
