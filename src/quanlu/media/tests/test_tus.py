"""Resumable uploads (tus): the protocol over the test client, and a real client on a real server."""

import base64
import hashlib
import os
import socket
import struct
import time
from urllib.parse import urlsplit

import pytest
from django.test import Client
from tusclient import client as tus

from quanlu.ledger.models import Event
from quanlu.media import samples
from quanlu.media.models import MediaRecord, Upload
from quanlu.media.tests.helpers import ago, bearer, meta, tus_headers, video
from quanlu.org.services import api_token_create
from quanlu.testing.serve import Serve, database_url

# ---------------------------------------------------------------- tus over the test client


def test_tus_protocol_with_checksums_termination_and_errors(world, settings):
    case = world.open_case()
    auth = bearer(world.officer)
    client = Client()
    options = client.options("/api/v1/media/tus/")
    assert options.status_code == 204
    assert options["Tus-Version"] == "1.0.0"
    assert "checksum" in options["Tus-Extension"]
    data = video(ago(hours=1))
    created = client.post(
        "/api/v1/media/tus/",
        **tus_headers(
            auth,
            **{
                "Upload-Length": str(len(data)),
                "Upload-Metadata": meta(case=str(case.public_id), filename="a.mp4"),
            },
        ),
    )
    assert created.status_code == 201, created.content
    url = urlsplit(created["Location"]).path
    assert created["Upload-Expires"]
    head = client.head(url, **tus_headers(auth))
    assert (head.status_code, head["Upload-Offset"], head["Upload-Length"]) == (200, "0", str(len(data)))

    def patch(offset, chunk, checksum=None, who=auth):
        headers = {"Upload-Offset": str(offset)}
        if checksum:
            headers["Upload-Checksum"] = checksum
        return client.generic(
            "PATCH", url, chunk, content_type="application/offset+octet-stream", **tus_headers(who, **headers)
        )

    half = len(data) // 2
    bad = patch(0, data[:half], "sha1 " + base64.b64encode(b"x" * 20).decode())
    assert bad.status_code == 460
    assert "校验值不一致" in bad.json()["message"]
    assert client.head(url, **tus_headers(auth))["Upload-Offset"] == "0"
    sha1 = base64.b64encode(hashlib.new("sha1", data[:half], usedforsecurity=False).digest()).decode()
    ok = patch(0, data[:half], f"sha1 {sha1}")
    assert (ok.status_code, ok["Upload-Offset"]) == (204, str(half))
    assert MediaRecord.objects.count() == 0  # an incomplete upload is no record
    conflict = patch(0, data[half:])
    assert conflict.status_code == 409
    assert "偏移量不一致" in conflict.json()["message"]
    other = patch(half, data[half:], who=bearer(world.officer2))
    assert other.status_code == 404  # someone else's upload
    wrong_type = client.generic(
        "PATCH", url, b"x", content_type="text/plain", **tus_headers(auth, **{"Upload-Offset": str(half)})
    )
    assert wrong_type.status_code == 415
    too_long = patch(half, data[half:] + b"extra")
    assert too_long.status_code == 413
    done = patch(half, data[half:])
    assert done.status_code == 204
    record = MediaRecord.objects.get()
    assert done["Quanlu-Record"] == str(record.public_id)
    assert record.sha256 == hashlib.sha256(data).hexdigest()
    assert record.via == "tus"
    assert client.head(url, **tus_headers(auth))["Upload-Offset"] == str(len(data))
    # Termination of an unfinished upload removes its bytes.
    second = client.post(
        "/api/v1/media/tus/",
        **tus_headers(
            auth,
            **{"Upload-Length": "1000", "Upload-Metadata": meta(case=str(case.public_id), filename="b.mp4")},
        ),
    )
    url2 = urlsplit(second["Location"]).path
    client.generic(
        "PATCH",
        url2,
        b"y" * 100,
        content_type="application/offset+octet-stream",
        **tus_headers(auth, **{"Upload-Offset": "0"}),
    )
    assert client.delete(url2, **tus_headers(auth)).status_code == 204
    assert client.head(url2, **tus_headers(auth)).status_code == 410
    assert not list((settings.QUANLU_BLOB_DIR / "partial").iterdir())
    assert Event.objects.filter(type="media:upload:terminated").count() == 1
    assert client.post("/api/v1/media/tus/", **auth).status_code == 412  # no Tus-Resumable


def test_tus_creation_is_refused_for_others_cases_bad_names_and_sizes(world):
    case = world.open_case()
    client = Client()

    def create(who, length="100", **m):
        fields = {"case": str(case.public_id), "filename": "a.mp4", **m}
        return client.post(
            "/api/v1/media/tus/",
            **tus_headers(bearer(who), **{"Upload-Length": length, "Upload-Metadata": meta(**fields)}),
        )

    assert create(world.outsider).status_code == 404
    assert create(world.superior_supervisor).status_code == 403
    assert "文件名" in create(world.officer, filename="../x.mp4").json()["message"]
    assert "0 字节" in create(world.officer, length="0").json()["message"]
    settings_max = create(world.officer, length=str(10**15))
    assert settings_max.status_code == 422
    assert "文件过大" in settings_max.json()["message"]
    assert create(world.officer, delay_reason="on_water").status_code == 422
    assert Upload.objects.count() == 0


def test_a_failed_final_check_discards_the_upload(world, settings):
    case = world.open_case()
    auth = bearer(world.officer)
    client = Client()
    data = b"this is not a video at all " * 40
    created = client.post(
        "/api/v1/media/tus/",
        **tus_headers(
            auth,
            **{
                "Upload-Length": str(len(data)),
                "Upload-Metadata": meta(case=str(case.public_id), filename="a.mp4"),
            },
        ),
    )
    url = urlsplit(created["Location"]).path
    final = client.generic(
        "PATCH",
        url,
        data,
        content_type="application/offset+octet-stream",
        **tus_headers(auth, **{"Upload-Offset": "0"}),
    )
    assert final.status_code == 422
    assert final.json()["code"] == "not_media"
    assert client.head(url, **tus_headers(auth)).status_code == 410
    assert MediaRecord.objects.count() == 0
    assert not list((settings.QUANLU_BLOB_DIR / "partial").iterdir())
    assert Event.objects.filter(type="media:upload:failed").count() == 1


def test_expired_uploads_are_removed(world, settings):
    from django.core.management import call_command

    case = world.open_case()
    auth = bearer(world.officer)
    client = Client()
    created = client.post(
        "/api/v1/media/tus/",
        **tus_headers(
            auth,
            **{"Upload-Length": "500", "Upload-Metadata": meta(case=str(case.public_id), filename="a.mp4")},
        ),
    )
    Upload.objects.update(expires_at=ago(hours=1))
    url = urlsplit(created["Location"]).path
    late = client.generic(
        "PATCH",
        url,
        b"z",
        content_type="application/offset+octet-stream",
        **tus_headers(auth, **{"Upload-Offset": "0"}),
    )
    assert late.status_code == 410
    call_command("media", "expire-uploads")
    assert Upload.objects.get().status == "expired"
    assert not list((settings.QUANLU_BLOB_DIR / "partial").iterdir())


# ---------------------------------------------------------------- a real client on a real server


class _Gunicorn(Serve):
    """`quanlu serve` (gunicorn, gthread) in a subprocess on the test database: the
    production path, where request bodies are read straight from the socket. Without
    the background jobs: these tests are about the request path."""

    def __init__(self, blob_dir) -> None:
        env = {"QUANLU_DATABASE_URL": database_url(), "QUANLU_BLOB_DIR": str(blob_dir)}
        super().__init__(env=env, jobs=False)


@pytest.fixture(params=["django", "gunicorn"])
def server(request, transactional_db, settings):
    if request.param == "django":
        yield request.getfixturevalue("live_server")
        return
    settings.QUANLU_BLOB_DIR.mkdir(parents=True, exist_ok=True)
    running = _Gunicorn(settings.QUANLU_BLOB_DIR)
    yield running
    running.stop()


def _interrupted_patch(url: str, token: str, offset: int, chunk: bytes) -> None:
    """Send a PATCH that claims the whole rest but stops half way and hangs up."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port)) as sock:
        head = (
            f"PATCH {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nTus-Resumable: 1.0.0\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/offset+octet-stream\r\n"
            f"Upload-Offset: {offset}\r\nContent-Length: {len(chunk) * 2}\r\n\r\n"
        )
        sock.sendall(head.encode() + chunk)


def test_tuspy_uploads_is_interrupted_and_resumes_to_the_same_hash(server, settings, tmp_path):
    from quanlu.testing import factories

    world = factories.world()
    case = world.open_case()
    _, token = api_token_create(actor=world.officer, officer=world.officer, label="tus")
    data = samples.video(seconds=8, created=ago(hours=2), size=(640, 480))
    path = tmp_path / "field.mp4"
    path.write_bytes(data)
    client = tus.TusClient(f"{server.url}/api/v1/media/tus/", headers={"Authorization": f"Bearer {token}"})
    chunk = max(len(data) // 5, 1)
    metadata = {"case": str(case.public_id), "filename": "现场检查.mp4", "step_label": "现场检查"}
    first = client.uploader(file_path=str(path), chunk_size=chunk, metadata=metadata, upload_checksum=True)
    first.upload_chunk()
    assert first.offset == chunk
    # The network drops in the middle of the next chunk.
    _interrupted_patch(first.url, token, first.offset, data[first.offset : first.offset + chunk // 2])
    deadline = time.monotonic() + 30
    resumed = None
    while time.monotonic() < deadline:
        resumed = client.uploader(file_path=str(path), url=first.url, chunk_size=chunk, upload_checksum=True)
        if resumed.offset >= first.offset + chunk // 2:
            break
        time.sleep(0.1)
    assert resumed is not None
    assert resumed.offset == first.offset + chunk // 2  # the bytes that arrived are kept
    # The server may still hold the dropped request's lock for a moment (423 Locked,
    # as tus allows); a field client retries, and so does this one.
    resumed.retries, resumed.retry_delay = 20, 0.25
    resumed.upload()
    record = MediaRecord.objects.get()
    assert record.sha256 == hashlib.sha256(data).hexdigest()
    assert record.sm3 == hashlib.new("sm3", data).hexdigest()
    assert record.original_filename == "现场检查.mp4"
    assert record.duration_ms >= 7900
    # The same file again, start to finish: recognised, not stored twice.
    again = client.uploader(file_path=str(path), chunk_size=len(data), metadata=metadata)
    again.upload()
    assert MediaRecord.objects.count() == 1
    assert Upload.objects.filter(status="completed").count() == 2


def test_a_multipart_upload_cut_off_by_the_network_leaves_nothing(server, settings):
    from quanlu.testing import factories

    world = factories.world()
    case = world.open_case()
    _, token = api_token_create(actor=world.officer, officer=world.officer, label="t")
    data = samples.video(seconds=4, created=ago(hours=1))
    boundary = "qlbound"
    body = (
        (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.mp4"\r\n\r\n').encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    parts = urlsplit(server.url)
    with socket.create_connection((parts.hostname, parts.port)) as sock:
        head = (
            f"POST /api/v1/cases/{case.public_id}/media/upload HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        sock.sendall(head.encode() + body[: len(body) // 2])
        sock.shutdown(socket.SHUT_WR)  # the connection drops: no more bytes will come
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 422")
    assert "上传不完整".encode() in answer
    temp = settings.QUANLU_BLOB_DIR / "tmp"
    assert not temp.exists() or not list(temp.iterdir())
    assert not (settings.QUANLU_BLOB_DIR / "sha256").exists()
    assert MediaRecord.objects.count() == 0


def test_a_large_multipart_upload_with_a_field_after_the_file_stores_exactly_the_file(server, settings):
    # Under gunicorn the file part is spliced from the socket into the file and its
    # end found in what was written: bytes that almost make the boundary, and the
    # form going on after the file, must not change what is stored.
    from quanlu.testing import factories

    world = factories.world()
    case = world.open_case()
    _, token = api_token_create(actor=world.officer, officer=world.officer, label="t")
    boundary = "qlbig"
    padding = os.urandom(3 << 20) + f"\r\n--{boundary}"[:-1].encode() + os.urandom(3 << 20)
    data = samples.video(seconds=2, created=ago(hours=1))
    data += struct.pack(">I", 8 + len(padding)) + b"free" + padding  # an MP4 box players skip
    body = (
        (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.mp4"\r\n\r\n').encode()
        + data
        + (
            f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="step_label"\r\n\r\n现场检查'
            f"\r\n--{boundary}--\r\n"
        ).encode()
    )
    parts = urlsplit(server.url)
    with socket.create_connection((parts.hostname, parts.port)) as sock:
        head = (
            f"POST /api/v1/cases/{case.public_id}/media/upload HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        sock.sendall(head.encode() + body)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 201"), answer[:300]
    record = MediaRecord.objects.get()
    assert record.sha256 == hashlib.sha256(data).hexdigest()
    assert record.sm3 == hashlib.new("sm3", data).hexdigest()
    assert record.size == len(data)
    assert record.links.get().step_label == "现场检查"  # the field after the file was read
    assert not list((settings.QUANLU_BLOB_DIR / "tmp").iterdir())
