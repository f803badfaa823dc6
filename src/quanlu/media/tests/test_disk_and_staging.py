"""A full disk is a 507 with a Chinese message and leaves nothing half-stored; staging
files of uploads that will never finish are swept by the uploads job (and at its start)."""

import errno
import os
import time
import uuid
from io import StringIO
from urllib.parse import urlsplit

from django.core.management import call_command
from django.test import Client

from quanlu.blobs import pump as pump_module
from quanlu.blobs import store as store_module
from quanlu.blobs.models import Blob
from quanlu.blobs.store import get_store
from quanlu.core import jobs
from quanlu.core.errors import StorageFull
from quanlu.media import services
from quanlu.media.models import MediaRecord, Upload
from quanlu.media.tests.helpers import ago, bearer, meta, nothing_stored, tus_headers, upload, video

FULL = "服务器存储空间已满"


def _disk_fills_up(monkeypatch):
    """The next write reaches the disk in part, then ENOSPC: what write(2) does."""
    real = pump_module._write_all

    def full(fd, data):
        real(fd, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(pump_module, "_write_all", full)
    return real


def test_a_full_disk_during_a_multipart_upload_is_a_507_and_stores_nothing(world, settings, monkeypatch):
    case = world.open_case()
    _disk_fills_up(monkeypatch)
    response = upload(Client(), case, video(ago(hours=1)), auth=bearer(world.officer))
    assert response.status_code == 507
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"code": "storage_full", "message": StorageFull.MESSAGE}
    assert FULL in response.json()["message"]
    assert nothing_stored(settings)
    assert not MediaRecord.objects.exists()
    assert not Blob.objects.exists()


def _tus_upload(world, case, length):
    auth = bearer(world.officer)
    created = Client().post(
        "/api/v1/media/tus/",
        **tus_headers(
            auth,
            **{
                "Upload-Length": str(length),
                "Upload-Metadata": meta(case=str(case.public_id), filename="a.mp4"),
            },
        ),
    )
    assert created.status_code == 201
    return urlsplit(created["Location"]).path, auth


def _patch(url, auth, offset, data):
    return Client().generic(
        "PATCH",
        url,
        data,
        content_type="application/offset+octet-stream",
        **tus_headers(auth, **{"Upload-Offset": str(offset)}),
    )


def test_a_full_disk_during_a_tus_chunk_is_a_507_that_keeps_nothing_of_the_chunk(world, monkeypatch):
    case = world.open_case()
    data = video(ago(hours=1))
    url, auth = _tus_upload(world, case, len(data))
    half = len(data) // 2
    assert _patch(url, auth, 0, data[:half]).status_code == 204
    real = _disk_fills_up(monkeypatch)
    response = _patch(url, auth, half, data[half:])
    assert response.status_code == 507  # not the 400 that tells a client to resume at once
    assert response["Tus-Resumable"] == "1.0.0"
    assert response.json()["code"] == "storage_full"
    head = Client().head(url, **tus_headers(auth))
    assert head["Upload-Offset"] == str(half)  # no half-written chunk
    assert Upload.objects.get().status == "open"
    # Space freed: the client resumes where it was.
    monkeypatch.setattr(pump_module, "_write_all", real)
    done = _patch(url, auth, half, data[half:])
    assert done.status_code == 204
    assert str(MediaRecord.objects.get().public_id) == done["Quanlu-Record"]


def test_a_full_disk_when_a_tus_upload_completes_fails_it_whole(world, settings, monkeypatch):
    case = world.open_case()
    data = video(ago(hours=1))
    url, auth = _tus_upload(world, case, len(data))

    def no_room(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(store_module.os, "link", no_room)  # putting the blob in place needs a new entry
    response = _patch(url, auth, 0, data)
    assert response.status_code == 507
    assert response.json()["message"] == StorageFull.MESSAGE
    upload = Upload.objects.get()
    assert (upload.status, upload.error) == ("failed", StorageFull.MESSAGE)
    root = settings.QUANLU_BLOB_DIR
    assert not any((root / "partial").iterdir())
    assert not any((root / "tmp").iterdir())
    assert not [p for p in (root / "sha256").rglob("*") if p.is_file()]
    assert not MediaRecord.objects.exists()


def _age(path, hours):
    then = time.time() - hours * 3600
    os.utime(path, (then, then))


def test_the_uploads_job_sweeps_abandoned_staging_files_and_keeps_open_uploads(world, settings):
    case = world.open_case()
    store = get_store()
    killed = store.writer()  # a form upload whose server was killed
    killed.write(b"half a video")
    killed._fh.close()
    _age(killed.path, 7)
    fresh = store.writer()  # a form upload in progress
    fresh.write(b"coming")
    upload = services.upload_start(actor=world.officer, case=case, length=100, filename="a.mp4", declared={})
    open_partial = store.partial(upload.public_id.hex)
    _age(open_partial.path, 7)  # idle, but open until it expires
    orphan = store.partial(uuid.uuid4().hex)  # its upload row never committed
    orphan.create()
    _age(orphan.path, 7)

    names = {job.name: job for job in jobs.registered()}
    assert names["media.uploads_clean"].func is services.uploads_clean
    assert services.uploads_clean() == (0, 2)
    assert not killed.path.exists()
    assert not orphan.path.exists()
    assert fresh.path.exists()
    assert open_partial.path.exists()
    fresh.abort()

    Upload.objects.update(expires_at=ago(hours=1))
    out = StringIO()
    call_command("media", "expire-uploads", stdout=out)
    assert out.getvalue().strip() == "已清除 1 个过期的未完成上传、0 个中断上传遗留的暂存文件。"
    assert not open_partial.path.exists()
