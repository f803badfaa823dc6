"""``blob_store``: put bytes into the content store and register them, ledgered.

The bytes are written (and fsynced) before the database row: a crash between
the two leaves an unregistered file, never a row without its bytes. Storing the
same bytes again registers nothing new and returns the existing blob.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from quanlu.blobs import events
from quanlu.blobs.models import Blob, Tombstone
from quanlu.blobs.store import PutResult, check_sha256, get_store
from quanlu.core.errors import Conflict, InvalidInput, NotFound
from quanlu.ledger.services import record_event

if TYPE_CHECKING:  # names only: the blob store sits below the organisation
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
            record_event(type=events.BLOB_STORED, actor=actor, agency=agency, payload=payload, rows=[blob])
    return blob, created


def blob_store_bytes(*, actor: Officer | None, agency: Agency | None, data: bytes) -> tuple[Blob, bool]:
    return blob_store(actor=actor, agency=agency, chunks=[data])


def blob_dispose(
    *,
    actor: Officer | None,
    agency: Agency | None,
    sha256: str,
    reason: str,
    authority: dict[str, Any],
) -> Tombstone:
    """Write the tombstone of a blob and ledger its disposal; the bytes are removed by
    ``blob_dispose_bytes`` once this transaction has committed.

    Blobs are write-once: this is the only way bytes leave the store, and it is called only
    by the archive's disposition (``archive.services.disposition_execute``), which has checked
    the retention period, legal holds, the two approvals by different people, and that no
    record still in use shares these bytes. ``authority`` must name the disposition and at
    least two distinct approvers; the hashes stay (blob row, tombstone, events) forever.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("blob_dispose must run inside the disposition's transaction")
    sha256 = check_sha256(sha256)
    approvers = authority.get("approvals") if isinstance(authority, dict) else None
    if not authority.get("disposition") or not isinstance(approvers, list) or len(set(approvers)) < 2:
        raise InvalidInput("销毁存储内容须有经两名不同人员批准的处置单。", code="unauthorised_disposal")
    blob = Blob.objects.select_for_update().filter(sha256=sha256).first()
    if blob is None:
        raise NotFound(f"存储中没有内容 {sha256[:12]}…。")
    if Tombstone.objects.filter(blob=blob).exists():
        raise Conflict(f"内容 {sha256[:12]}… 已经销毁。", code="already_disposed")
    tombstone = Tombstone.objects.create(
        blob=blob,
        size=blob.size,
        sm3=blob.sm3,
        sha512=blob.sha512,
        reason=reason[:500],
        authority=authority,
        disposed_by=actor,
        disposed_at=timezone.now(),
    )
    record_event(
        type=events.BLOB_DISPOSED,
        actor=actor,
        agency=agency,
        at=tombstone.disposed_at,
        payload={
            "sha256": blob.sha256,
            "size": blob.size,
            "sm3": blob.sm3,
            "sha512": blob.sha512,
            "reason": tombstone.reason,
            "authority": authority,
        },
        rows=[tombstone],
    )
    return tombstone


def blob_dispose_bytes(tombstone: Tombstone) -> bool:
    """Remove the bytes of a committed tombstone (after ``blob_dispose``'s transaction).
    Idempotent: True if bytes were removed now, False if they were already gone."""
    committed = Tombstone.objects.filter(pk=tombstone.pk).first()
    if committed is None:
        raise NotFound("没有该内容的销毁记录。")
    return get_store().dispose(committed.blob_id, tombstone=committed)
