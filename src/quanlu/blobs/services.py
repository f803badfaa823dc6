"""``blob_store``: put bytes into the content store and register them, ledgered.

The bytes are written (and fsynced) before the database row: a crash between
the two leaves an unregistered file, never a row without its bytes. Storing the
same bytes again registers nothing new and returns the existing blob.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from quanlu.blobs import events
from quanlu.blobs.models import Blob
from quanlu.blobs.store import PutResult, get_store
from quanlu.ledger.services import record_event
from quanlu.org.models import Agency, Officer


def blob_store(
    *,
    actor: Officer | None,
    agency: Agency | None,
    chunks: Iterable[bytes],
    expected_sha256: str | None = None,
    max_size: int | None = None,
) -> tuple[Blob, bool]:
    """Returns (blob, created). ``created`` is False for bytes already stored."""
    result = get_store().put_stream(chunks, expected_sha256=expected_sha256, max_size=max_size)
    return blob_register(actor=actor, agency=agency, result=result)


def blob_register(*, actor: Officer | None, agency: Agency | None, result: PutResult) -> tuple[Blob, bool]:
    """Register bytes already committed to the store (by ``put_stream`` or a
    writer's ``commit``); the first registration of a content is ledgered."""
    with transaction.atomic():
        blob, created = Blob.objects.get_or_create(
            sha256=result.sha256,
            defaults={
                "size": result.size,
                "sm3": result.digests.get("sm3", ""),
                "sha512": result.digests.get("sha512", ""),
            },
        )
        if created:
            payload = {"sha256": blob.sha256, "size": blob.size, "sm3": blob.sm3}
            if blob.sha512:
                payload["sha512"] = blob.sha512
            record_event(type=events.BLOB_STORED, actor=actor, agency=agency, payload=payload)
    return blob, created


def blob_store_bytes(*, actor: Officer | None, agency: Agency | None, data: bytes) -> tuple[Blob, bool]:
    return blob_store(actor=actor, agency=agency, chunks=[data])
