import base64
import datetime as dt
import hashlib
import os
import socket
import struct
import time
from urllib.parse import urlsplit

import pytest
from django.test import Client
from tusclient import client as tus

from quanlu.blobs.models import Blob
from quanlu.ledger.models import Event
from quanlu.media import samples
from quanlu.media.models import Gap, MediaRecord, Upload
from quanlu.media.tests.helpers import ago, device_for, ingest, video
from quanlu.org.services import api_token_create
from quanlu.testing.factories import PASSWORD
from quanlu.testing.serve import Serve, database_url


def bearer(officer):
    _, raw = api_token_create(actor=officer, officer=officer, label="测试")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def logged_in(officer):
    client = Client(enforce_csrf_checks=True)
    assert client.login(username=officer.username, password=PASSWORD)
    return client


def upload(client, case, data, name="clip.mp4", auth=None, **fields):
    from django.core.files.uploadedfile import SimpleUploadedFile

    body = {**fields, "file": SimpleUploadedFile(name, data, content_type="video/mp4")}
    return client.post(f"/api/v1/cases/{case.public_id}/media/upload", body, **(auth or {}))


def nothing_stored(settings):
    root = settings.QUANLU_BLOB_DIR
    temp = list((root / "tmp").iterdir()) if (root / "tmp").exists() else []
    return not temp and not (root / "sha256").exists()


# ---------------------------------------------------------------- multipart


def test_multipart_api_upload_stores_once_and_answers_in_chinese(world, settings):
    case = world.open_case()
    auth = bearer(world.officer)
    data = video(ago(hours=1))
    first = upload(Client(), case, data, auth=auth, step_label="现场检查")
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["record"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert body["record"]["sm3"] == hashlib.new("sm3", data).hexdigest()
    assert body["record"]["classification"]["cause"] == case.cause
    again = upload(Client(), case, data, name="retry.mp4", auth=auth)
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert "未重复保存" in again.json()["message"]
    assert MediaRecord.objects.count() == 1
    bad = upload(Client(), case, b"plain text " * 100, name="x.mp4", auth=auth)
    assert bad.status_code == 422
    assert bad.json()["code"] == "not_media"
    assert "不是可识别" in bad.json()["message"]
    empty = upload(Client(), case, b"", name="zero.mp4", auth=auth)
    assert empty.status_code == 422
    assert "0 字节" in empty.json()["message"]
    assert Blob.objects.count() == 2  # the video and its poster
    assert not list((settings.QUANLU_BLOB_DIR / "tmp").iterdir())


def raw_upload(case, filename, data, auth, boundary="----qlraw"):
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: video/mp4\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return Client().generic(
        "POST",
        f"/api/v1/cases/{case.public_id}/media/upload",
        body,
        content_type=f"multipart/form-data; boundary={boundary}",
        **auth,
    )


@pytest.mark.parametrize(
    ("filename", "message"),
    [
        ("../../etc/passwd.mp4", "文件名不能包含路径"),
        ("C:\\\\evil\\\\clip.mp4", "文件名不能包含路径"),
        ("clip\x07.mp4", "控制字符"),
        ("clip&#10;.mp4", "控制字符"),
    ],
)
def test_a_path_or_control_character_in_the_file_name_is_refused_not_trimmed(
    world, settings, filename, message
):
    case = world.open_case()
    response = raw_upload(case, filename, video(ago(hours=1)), bearer(world.officer))
    assert response.status_code == 422
    assert message in response.json()["message"]
    assert nothing_stored(settings)


def test_bad_fields_before_the_file_are_refused_before_its_bytes(world, settings):
    case = world.open_case()
    response = upload(Client(), case, video(ago(hours=1)), auth=bearer(world.officer), device="NO-SUCH")
    assert response.status_code == 422
    assert "没有编号为 NO-SUCH" in response.json()["message"]
    assert nothing_stored(settings)


def test_a_multipart_body_without_its_end_is_truncated_and_nothing_is_kept(world, settings):
    case = world.open_case()
    data = video(ago(hours=1))
    boundary = "----quanlu-test"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode() + data[: len(data) // 2]
    response = Client().generic(
        "POST",
        f"/api/v1/cases/{case.public_id}/media/upload",
        body,
        content_type=f"multipart/form-data; boundary={boundary}",
        **bearer(world.officer),
    )
    assert response.status_code == 422
    assert response.json()["code"] == "truncated"
    assert "上传不完整" in response.json()["message"]
    assert nothing_stored(settings)


@pytest.mark.parametrize("who", ["outsider", "superior_supervisor", "justice_supervisor"])
def test_uploads_to_cases_of_others_are_refused(world, settings, who):
    case = world.open_case()
    response = upload(Client(), case, video(ago(hours=1)), auth=bearer(getattr(world, who)))
    assert response.status_code == (404 if who == "outsider" else 403)
    assert response.json()["message"]
    assert nothing_stored(settings)


def test_without_credentials_it_is_401(world):
    response = upload(Client(), world.open_case(), b"x")
    assert response.status_code == 401
    assert "令牌" in response.json()["message"]


# ---------------------------------------------------------------- web pages


def test_the_case_media_page_uploads_from_a_phone_form_with_csrf(world, settings):
    case = world.open_case()
    client = logged_in(world.officer)
    page = client.get(f"/cases/{case.public_id}/media/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'accept="image/*,video/*,audio/*"' in html
    token = client.cookies["csrftoken"].value
    from django.core.files.uploadedfile import SimpleUploadedFile

    photo = samples.photo(taken=ago(hours=1), gps=(39.9, 116.4))
    no_csrf = client.post(
        f"/cases/{case.public_id}/media/upload/", {"file": SimpleUploadedFile("p.jpg", photo, "image/jpeg")}
    )
    assert no_csrf.status_code == 403
    assert "CSRF" in no_csrf.content.decode()
    assert nothing_stored(settings)
    done = client.post(
        f"/cases/{case.public_id}/media/upload/",
        {
            "csrfmiddlewaretoken": token,
            "step_label": "现场检查",
            "file": SimpleUploadedFile("p.jpg", photo, "image/jpeg"),
        },
    )
    assert done.status_code == 302
    record = MediaRecord.objects.get()
    assert done["Location"] == f"/media/{record.public_id}/"
    detail = client.get(done["Location"])
    assert detail.status_code == 200
    text = detail.content.decode()
    for key in ("名称", "记录设备编号", "执法人员信息", "使用时间", "案件当事人", "案由名称", record.sha256):
        assert key in text
    assert Event.objects.filter(type="media:record:viewed", actor=world.officer).count() == 1
    assert client.get(f"/media/{record.public_id}/poster.jpg").status_code == 200


def test_outsiders_get_404_on_every_media_page(world):
    case = world.open_case()
    record, _ = ingest(world, video(ago(hours=1)), case=case)
    outsider = logged_in(world.outsider)
    for url in (
        f"/cases/{case.public_id}/media/",
        f"/media/{record.public_id}/",
        f"/media/{record.public_id}/content",
        f"/media/{record.public_id}/poster.jpg",
    ):
        assert outsider.get(url).status_code == 404, url
    assert outsider.post(f"/cases/{case.public_id}/media/upload/", {}).status_code == 404
    assert outsider.get("/media/inbox/").status_code == 200
    assert record.name not in outsider.get("/media/inbox/").content.decode()
    auth = bearer(world.outsider)
    api = Client()
    assert api.get(f"/api/v1/cases/{case.public_id}/media", **auth).status_code == 404
    assert api.get(f"/api/v1/media/records/{record.public_id}", **auth).status_code == 404
    assert api.get(f"/api/v1/media/records/{record.public_id}/content", **auth).status_code == 404
    # Supervisors above read, and every view is traced.
    sup = logged_in(world.superior_supervisor)
    assert sup.get(f"/media/{record.public_id}/").status_code == 200
    assert Event.objects.filter(type="media:record:viewed", actor=world.superior_supervisor).exists()


def test_content_serves_ranges_and_traces_playback_and_download(world):
    data = video(ago(hours=1), seconds=3)
    record, _ = ingest(world, data)
    client = logged_in(world.officer)
    whole = client.get(f"/media/{record.public_id}/content")
    assert whole.status_code == 200
    assert b"".join(whole.streaming_content) == data
    assert whole["Accept-Ranges"] == "bytes"
    part = client.get(f"/media/{record.public_id}/content", HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 100-199/{len(data)}"
    assert b"".join(part.streaming_content) == data[100:200]
    tail = client.get(f"/media/{record.public_id}/content", HTTP_RANGE="bytes=-10")
    assert b"".join(tail.streaming_content) == data[-10:]
    assert (
        client.get(f"/media/{record.public_id}/content", HTTP_RANGE=f"bytes={len(data)}-").status_code == 416
    )
    download = client.get(f"/media/{record.public_id}/content?download=1")
    assert download["Content-Disposition"].startswith("attachment")
    b"".join(download.streaming_content)
    streamed = Event.objects.filter(type="media:record:streamed").count()
    assert streamed == 1  # from byte 0 only, not every seek
    assert Event.objects.filter(type="media:record:downloaded").count() == 1
    api = Client().get(f"/api/v1/media/records/{record.public_id}/content", **bearer(world.officer2))
    assert b"".join(api.streaming_content) == data


def test_gap_explanation_page_with_two_password_signatures(world):
    case = world.open_case()
    device = device_for(world)
    t = ago(hours=2)
    for i, start in enumerate([t, t + dt.timedelta(minutes=3)]):
        ingest(world, video(start, label=str(i)), case=case, device=device.device_no, step_label="现场检查")
    gap = Gap.objects.get(case=case)
    client = logged_in(world.officer)
    assert "未说明" in client.get(f"/cases/{case.public_id}/media/").content.decode()
    page = client.get(f"/media/gaps/{gap.public_id}/")
    assert page.status_code == 200
    token = client.cookies["csrftoken"].value
    form = {
        "csrfmiddlewaretoken": token,
        "reason": "human_obstruction",
        "detail": "当事人阻挠，无法继续录像。",
        "form": "written",
        "statement": "现场执法结束后书面说明。",
        "signer1": world.officer.public_id,
        "password1": PASSWORD,
        "signer2": world.officer2.public_id,
        "password2": "wrong",
    }
    refused = client.post(f"/media/gaps/{gap.public_id}/", form)
    assert refused.status_code == 422
    assert "密码不正确" in refused.content.decode()
    form["password2"] = PASSWORD
    done = client.post(f"/media/gaps/{gap.public_id}/", form)
    assert done.status_code == 302
    assert gap.explanations.get().signatures.count() == 2
    assert logged_in(world.outsider).get(f"/media/gaps/{gap.public_id}/").status_code == 404


# ---------------------------------------------------------------- tus over the test client


def meta(**values):
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def tus_headers(auth, **extra):
    return {
        "HTTP_TUS_RESUMABLE": "1.0.0",
        **auth,
        **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in extra.items()},
    }


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
