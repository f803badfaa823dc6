"""Real media for the tests, made on the spot with FFmpeg (PyAV) and Pillow."""

from __future__ import annotations

import base64
import datetime as dt

from django.utils import timezone

from quanlu.blobs.store import BlobWriter, get_store
from quanlu.devices import services as devices
from quanlu.media import samples
from quanlu.media.services import clean_declared, media_ingest
from quanlu.org.services import api_token_create


def stage(data: bytes) -> BlobWriter:
    writer = get_store().writer()
    writer.write(data)
    return writer


def ago(**kw: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(**kw)


def ingest(world, data: bytes, *, case=None, actor=None, filename="clip.mp4", **fields):
    actor = actor or world.officer
    case = case if case is not None else world.open_case()
    declared = clean_declared(agency=case.agency, data=fields)
    return media_ingest(
        actor=actor,
        agency=case.agency,
        case=case,
        staged=stage(data),
        filename=filename,
        declared=declared,
        via="test",
    )


def device_for(world, officer=None, *, since: dt.datetime | None = None, serial: str = ""):
    device = devices.device_register(
        actor=world.keeper, kind="body_worn_recorder", purpose="现场执法音像记录", serial_no=serial
    )
    devices.device_checkout(
        actor=world.keeper,
        device=device,
        officer=officer or world.officer,
        battery_percent=90,
        storage_free_mb=20000,
        at=since or ago(hours=6),
    )
    return device


def video(start: dt.datetime, seconds: float = 2.0, **kw) -> bytes:
    return samples.video(seconds=seconds, created=start, **kw)


def bearer(officer) -> dict[str, str]:
    """Request headers with a new API token of ``officer``."""
    _, raw = api_token_create(actor=officer, officer=officer, label="测试")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def upload(client, case, data, name="clip.mp4", auth=None, **fields):
    """A multipart upload to the case's media API."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    body = {**fields, "file": SimpleUploadedFile(name, data, content_type="video/mp4")}
    return client.post(f"/api/v1/cases/{case.public_id}/media/upload", body, **(auth or {}))


def nothing_stored(settings) -> bool:
    """No blob and no staging file left in the store."""
    root = settings.QUANLU_BLOB_DIR
    temp = list((root / "tmp").iterdir()) if (root / "tmp").exists() else []
    return not temp and not (root / "sha256").exists()


def meta(**values: str) -> str:
    """A tus Upload-Metadata header value."""
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def tus_headers(auth: dict[str, str], **extra: str) -> dict[str, str]:
    return {
        "HTTP_TUS_RESUMABLE": "1.0.0",
        **auth,
        **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in extra.items()},
    }
