"""Phase 1: blobs to a package, the building block of exports."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from django.db import transaction

from quanlu.archive import events
from quanlu.archive.bagwriter import WrittenBag
from quanlu.archive.services.common import MAX_ITEMS, _blob_file, _write_bag
from quanlu.blobs.models import Blob
from quanlu.blobs.store import BlobError, check_sha256, local_files
from quanlu.core.errors import InvalidInput, NotFound, PermissionDenied
from quanlu.ledger.services import record_event
from quanlu.org.models import Officer, Role


def package_write(
    *,
    actor: Officer,
    target_dir: str | Path,
    items: Sequence[tuple[str, str]],
    bag_info: Sequence[tuple[str, str]],
) -> WrittenBag:
    """Write the blobs ``items`` = [(sha256, path under data/)] as a new bag at ``target_dir``.

    Every digest the blob store computed at ingest (SHA-256, SHA-512, SM3) is reused: the bytes
    are copied by the kernel and hashed by nobody. The bag is written (all or nothing, renamed
    into place at the end), then its event is recorded in a short transaction; if that fails
    the new bag is removed again, so there is never a package without its event.
    """
    if not actor.has_role(Role.ARCHIVIST):
        raise PermissionDenied("只有档案管理人员可以写出档案包。")
    if not isinstance(items, Sequence) or isinstance(items, str) or not items:
        raise InvalidInput("档案包至少要有一个文件。", field_name="items")
    if len(items) > MAX_ITEMS:
        raise InvalidInput(f"一个档案包最多 {MAX_ITEMS} 个文件。", field_name="items")
    shas: list[str] = []
    for entry in items:
        if not (
            isinstance(entry, tuple | list) and len(entry) == 2 and all(isinstance(x, str) for x in entry)
        ):
            raise InvalidInput("每个文件应为（SHA-256，包内路径）。", field_name="items")
        try:
            shas.append(check_sha256(entry[0]))
        except BlobError as exc:
            raise InvalidInput(exc.message, field_name="items") from exc
    blobs = Blob.objects.in_bulk(set(shas))
    missing = sorted(set(shas) - set(blobs))
    if missing:
        raise NotFound(f"存储中没有这些内容：{'、'.join(m[:12] + '…' for m in missing)}。")
    with local_files(shas) as paths:  # the blobs themselves, or private copies from S3
        files = []
        for sha, (_, rel) in zip(shas, items, strict=True):
            source = paths.get(sha)
            if source is None:
                raise InvalidInput(f"内容 {sha[:12]}… 的字节不在存储中，无法写包。", field_name="items")
            files.append(_blob_file(blobs[sha], source, rel))
        written = _write_bag(target_dir, files, bag_info)
    info = dict(bag_info)
    try:
        with transaction.atomic():
            record_event(
                type=events.PACKAGE_WRITTEN,
                actor=actor,
                agency=actor.agency,
                payload={
                    "target": written.path.name,
                    "external_identifier": info.get("External-Identifier", ""),
                    "bag_group_identifier": info.get("Bag-Group-Identifier", ""),
                    "payload_oxum": written.payload_oxum,
                    "seal": written.seal,
                    "files": [{"path": p, "sha256": d["sha256"]} for p, d in sorted(written.digests.items())],
                },
            )
    except BaseException:
        shutil.rmtree(written.path, ignore_errors=True)
        raise
    return written
