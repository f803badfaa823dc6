"""What the sections share: who may act as the case's archivist, row locks, and
integrating the ledger before a seal or an export."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from quanlu.archive.bagwriter import BagWriteError, PayloadFile, WrittenBag, write_bag
from quanlu.archive.models import Dossier
from quanlu.archive.selectors import is_archivist
from quanlu.blobs.models import Blob
from quanlu.cases.models import Case
from quanlu.core.errors import Conflict, InvalidInput, PermissionDenied
from quanlu.ledger.services import ledger_integrate
from quanlu.org.models import Officer

log = logging.getLogger("quanlu.archive")

MAX_ITEMS = 100_000


def _require_archivist(actor: Officer, case: Case, action: str) -> None:
    if actor.agency_id != case.agency_id:
        # Supervisors above see the dossier but may not act on it.
        raise PermissionDenied(f"只有本案办案机关的档案管理人员可以{action}。")
    if not is_archivist(actor, case.agency):
        raise PermissionDenied(f"{action}需要档案管理人员角色。")


def _lock_case(case: Case) -> Case:
    return Case.objects.select_for_update().select_related("agency").get(pk=case.pk)


def _lock_dossier(dossier: Dossier) -> Dossier:
    return Dossier.objects.select_for_update().select_related("case", "agency").get(pk=dossier.pk)


def _integrate() -> None:

    ledger_integrate()


def _blob_file(blob: Blob, source: Path | None, rel: str) -> PayloadFile:
    """A stored blob as a payload file, with every digest the store computed at ingest
    (SHA-256, SM3, SHA-512): the bag reuses them, the bytes are copied and hashed by nobody."""
    known = {"sha256": blob.sha256}
    if blob.sm3:
        known["sm3"] = blob.sm3
    if blob.sha512:
        known["sha512"] = blob.sha512
    return PayloadFile(source, rel, known, size=blob.size)


def _write_bag(
    target: str | Path, files: list[PayloadFile], bag_info: Iterable[tuple[str, str]], **options: Any
) -> WrittenBag:
    """``write_bag``, its refusals as the services' errors."""
    try:
        return write_bag(target, files, bag_info, **options)
    except BagWriteError as exc:
        if exc.code == "target_exists":
            raise Conflict(exc.message, code="archive_target_exists") from exc
        raise InvalidInput(exc.message, code=f"archive_{exc.code}") from exc
