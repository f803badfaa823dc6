import datetime as dt
import hashlib

import pytest
from django.test import Client

from quanlu.blobs.models import Blob
from quanlu.ledger.models import Event
from quanlu.media import samples
from quanlu.media.models import Gap, MediaRecord
from quanlu.media.tests.helpers import ago, bearer, device_for, ingest, nothing_stored, upload, video
from quanlu.testing.factories import PASSWORD


def logged_in(officer):
    client = Client(enforce_csrf_checks=True)
    assert client.login(username=officer.username, password=PASSWORD)
    return client


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


def test_content_serves_ranges_and_traces_playback_and_download(world, backend):
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
