"""Docking import (`quanlu media import-device`): offload a mounted recorder.

Every regular file under the folder is streamed into the store (hashed on the
way) and ingested as a record of the device; then the stored blob and the source
are both read again and hashed, and only a file whose three digests agree is
reported safe to wipe from the recorder (verify-then-wipe). Files already stored
for the agency are recognised by their digest and not imported twice, so a
re-run after an interruption picks up where it stopped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

from quanlu.blobs.store import CHUNK, get_store, iter_file
from quanlu.cases.models import Case
from quanlu.core.errors import DomainError, InvalidInput
from quanlu.devices.models import Device
from quanlu.media.models import MediaRecord
from quanlu.media.services import Declared, media_ingest


@dataclass
class Imported:
    path: str
    status: str  # imported, already, refused
    message: str = ""
    record: str = ""
    sha256: str = ""
    size: int = 0
    safe_to_wipe: bool = False

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter_file(fh, CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _files(root: Path) -> list[Path]:
    out = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            continue  # the recorder's own housekeeping (.Trashes, ._ files)
        if path.is_symlink() or not path.is_file():
            continue
        out.append(path)
    return out


def import_device(*, directory: Path, device: Device, case: Case | None = None) -> list[Imported]:
    if not directory.is_dir():
        raise InvalidInput(f"目录 {directory} 不存在或不是文件夹。")
    if case is not None and case.agency_id != device.agency_id:
        raise InvalidInput("案件与设备不属于同一机关。")
    results = []
    for path in _files(directory):
        rel = str(path.relative_to(directory))
        results.append(_import_one(path, rel, device, case))
    return results


def _import_one(path: Path, rel: str, device: Device, case: Case | None) -> Imported:
    store = get_store()
    stat = path.stat()
    file_time = dt.datetime.fromtimestamp(stat.st_mtime, tz=dt.UTC)
    writer = store.writer()
    try:
        with path.open("rb") as fh:
            for chunk in iter_file(fh, CHUNK):
                writer.write(chunk)
        digests = writer.seal()
    except OSError as exc:
        writer.abort()
        return Imported(path=rel, status="refused", message=f"读取失败：{exc.strerror or exc}")
    sha256 = digests["sha256"]
    existing = MediaRecord.objects.filter(agency=device.agency, sha256=sha256).first()
    if existing is not None:
        writer.abort()
        status, record, message = "already", existing, "此前已导入。"
    else:
        try:
            record, _ = media_ingest(
                actor=None,
                agency=device.agency,
                case=case,
                staged=writer,
                filename=path.name,
                declared=Declared(device=device),
                via="dock",
                file_time=file_time,
            )
        except DomainError as exc:
            return Imported(path=rel, status="refused", message=exc.message, sha256=sha256, size=stat.st_size)
        status, message = "imported", "；".join(f["message"] for f in record.flags)
    # Verify before anyone wipes the card: the stored bytes and the source, read again.
    stored_ok = False
    if store.exists(record.sha256):
        with store.open(record.sha256) as fh:
            stored = hashlib.sha256()
            for chunk in iter_file(fh, CHUNK):
                stored.update(chunk)
        stored_ok = stored.hexdigest() == record.sha256
    source_ok = _sha256_of(path) == record.sha256
    safe = stored_ok and source_ok and record.sha256 == sha256
    if not safe:
        message = "校验未通过，请勿清除该文件。" + message
    return Imported(
        path=rel,
        status=status,
        message=message,
        record=str(record.public_id),
        sha256=record.sha256,
        size=record.size,
        safe_to_wipe=safe,
    )
