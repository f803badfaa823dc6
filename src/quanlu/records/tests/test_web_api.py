"""Every view and endpoint: outsiders get 404, supervisors read but cannot write,
uploads refuse what is not a PDF or an image, too large, or cut off half-way."""

import base64
import io
import json
import shutil
import subprocess
import uuid

import pytest
from django.core.management import call_command
from django.test import Client

from quanlu.blobs.models import Blob
from quanlu.ledger.models import Event
from quanlu.org.services import api_token_create
from quanlu.records.models import Document, Refusal, Signature
from quanlu.records.sample import handwriting_png, make_document, sample_pdf, sign_all
from quanlu.records.selectors import current_version
from quanlu.testing.factories import PASSWORD


def login(officer):
    client = Client()
    assert client.login(username=officer.username, password=PASSWORD)
    return client


def bearer(officer):
    _, raw = api_token_create(actor=officer, officer=officer, label="测试")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def doc(world, staff, case):
    return make_document(case, "inquiry_transcript", staff)


def pages(case, doc, refusal=None):
    d, c = doc.public_id, case.public_id
    return {
        "new": f"/cases/{c}/documents/new/",
        "new_type": f"/cases/{c}/documents/new/?type=inquiry_transcript",
        "upload": f"/cases/{c}/documents/upload/",
        "detail": f"/documents/{d}/",
        "pdf": f"/documents/{d}/file/?format=pdf",
        "docx": f"/documents/{d}/file/?format=docx",
        "amend": f"/documents/{d}/amend/",
    }


POSTS = ["sign", "capture", "refuse", "amend", "new_type", "upload"]


def post_urls(case, doc, refusal):
    d, c = doc.public_id, case.public_id
    return {
        "sign": f"/documents/{d}/sign/",
        "capture": f"/documents/{d}/capture/",
        "refuse": f"/documents/{d}/refuse/",
        "amend": f"/documents/{d}/amend/",
        "new_type": f"/cases/{c}/documents/new/?type=inquiry_transcript",
        "upload": f"/cases/{c}/documents/upload/",
        "attest": f"/refusals/{refusal.public_id}/attest/",
    }


@pytest.fixture
def refusal(world, doc):
    from quanlu.records import services

    return services.refusal_record(
        actor=world.officer,
        document=doc,
        slot="interviewee",
        person_name="王某某",
        reason="拒签",
        signature_method="password",
    )


def test_outsiders_get_404_on_every_page_and_action(world, case, doc, refusal):
    client = login(world.outsider)
    for url in pages(case, doc).values():
        assert client.get(url).status_code == 404, url
    for url in post_urls(case, doc, refusal).values():
        assert client.post(url, {"password": PASSWORD}).status_code == 404, url
    assert Signature.objects.count() == 0


@pytest.mark.parametrize("who", ["superior_supervisor", "justice_supervisor"])
def test_supervisors_read_but_cannot_write(world, case, doc, refusal, who):
    client = login(getattr(world, who))
    for name in ("detail", "pdf", "docx"):
        assert client.get(pages(case, doc)[name]).status_code == 200, name
    for name in ("new", "new_type", "upload", "amend"):
        assert client.get(pages(case, doc)[name]).status_code == 403, name
    for url in post_urls(case, doc, refusal).values():
        assert client.post(url, {"password": PASSWORD, "slot": "officers"}).status_code == 403, url
    case_page = client.get(f"/cases/{case.public_id}/").content.decode()
    assert "询问笔录" in case_page
    assert "/documents/new/" not in case_page


def test_pages_need_login(case, doc):
    assert Client().get(f"/documents/{doc.public_id}/").status_code == 302


def test_fill_in_sign_and_refuse_through_the_pages(world, staff, case):
    client = login(world.officer)
    form = client.get(f"/cases/{case.public_id}/documents/new/?type=item_list").content.decode()
    assert "制作《物品清单》" in form
    assert 'name="f_items__0__name"' in form
    party = case.parties.first()
    data = {
        "type": "item_list",
        "client_token": str(uuid.uuid4()),
        "f_party": str(party.public_id),
        "f_items__0__name": "废水样品",
        "f_items__0__quantity": "2瓶",
        "f_listed_at": "2026-11-03T09:30",
    }
    bad = client.post(
        f"/cases/{case.public_id}/documents/new/?type=item_list", {**data, "f_listed_at": "not a time"}
    )
    assert "应为日期和时间" in bad.content.decode()
    response = client.post(f"/cases/{case.public_id}/documents/new/?type=item_list", data)
    assert response.status_code == 302
    doc = Document.objects.get(type_code="item_list")
    assert current_version(doc).fields["items"][0]["name"] == "废水样品"
    page = client.get(response["Location"]).content.decode()
    assert "签署" in page
    assert "canvas" in page
    # The regulations that ask for this document, by title (not by file name).
    from quanlu.rulebooks.loader import get_rulebook

    assert f"《{get_rulebook('002_4fd6fddfbbebbad6').title}》第十条" in page
    assert ".txt 第" not in page

    wrong = client.post(
        f"/documents/{doc.public_id}/sign/", {"slot": "officers", "password": "nope"}, follow=True
    )
    assert "密码不正确" in wrong.content.decode()
    client.post(f"/documents/{doc.public_id}/sign/", {"slot": "officers", "password": PASSWORD})
    login(world.officer2).post(
        f"/documents/{doc.public_id}/sign/", {"slot": "officers", "password": PASSWORD}
    )
    image = "data:image/png;base64," + base64.b64encode(handwriting_png("刘建国")).decode()
    not_image = client.post(
        f"/documents/{doc.public_id}/capture/",
        {
            "slot": "party",
            "signer_name": "刘建国",
            "image": "data:image/png;base64," + base64.b64encode(b"hello").decode(),
        },
        follow=True,
    )
    assert "签名图像应为PNG" in not_image.content.decode().replace(" ", "")
    client.post(
        f"/documents/{doc.public_id}/capture/", {"slot": "party", "signer_name": "刘建国", "image": image}
    )
    text = client.get(f"/documents/{doc.public_id}/").content.decode()
    assert "签署完毕" in text
    pdf = client.get(f"/documents/{doc.public_id}/file/?format=pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")


def test_refusal_with_a_second_officer_on_the_same_device(world, staff, case, doc):
    client = login(world.officer)
    client.post(
        f"/documents/{doc.public_id}/refuse/",
        {
            "slot": "interviewee",
            "person_name": "王某某",
            "reason": "拒绝签字",
            "password": PASSWORD,
            "second_username": world.officer2.username,
            "second_password": PASSWORD,
        },
    )
    refusal = Refusal.objects.get()
    assert {a.officer_id for a in refusal.attestations.all()} == {world.officer.pk, world.officer2.pk}


def test_amend_through_the_page_keeps_the_old_version(world, staff, case, doc):
    client = login(world.officer)
    page = client.get(f"/documents/{doc.public_id}/amend/").content.decode()
    assert "更正理由" in page
    v1 = current_version(doc)
    # Re-post the form as shown, with one field changed.

    from django.http import QueryDict

    data = QueryDict(mutable=True)
    for name, value in serialize(page):
        data.appendlist(name, value)
    data.setlist("f_place", ["更正后的地点"])
    data["reason"] = "地点笔误"
    data["password"] = PASSWORD
    data["base_version"] = "1"
    response = client.post(f"/documents/{doc.public_id}/amend/", {k: data.getlist(k) for k in data})
    assert response.status_code == 302, response.content.decode()[:2000]
    v2 = current_version(doc)
    assert v2.number == 2
    assert "place" in v2.changed_fields
    old = client.get(f"/documents/{doc.public_id}/?version=1").content.decode()
    assert v1.fields["place"] in old
    assert "已被更正" in old


def test_upload_a_scan_and_refuse_bad_uploads(world, staff, case, settings):
    client = login(world.officer)
    url = f"/cases/{case.public_id}/documents/upload/"
    pdf = sample_pdf("鉴定意见书", "某鉴定中心")
    ok = client.post(
        url,
        {
            "type": "expert_opinion",
            "issuer": "某鉴定中心",
            "issued_on": "2026-11-01",
            "file": _file(pdf, "a.pdf"),
        },
    )
    assert ok.status_code == 302
    doc = Document.objects.get(type_code="expert_opinion")
    assert doc.issuer == "某鉴定中心"
    assert current_version(doc).file_sha256
    before = (Document.objects.count(), Blob.objects.count(), Event.objects.count())
    cases = [
        (b"MZ\x90\x00 this is an exe", "只能上传 PDF"),
        (pdf[: len(pdf) // 2], "PDF文件不完整"),
        (b"%PDF-1.7\n%%EOF\n", "PDF文件已损坏"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 100, "不是有效的图像"),
    ]
    for data, message in cases:
        r = client.post(
            url,
            {
                "type": "expert_opinion",
                "issuer": "x",
                "issued_on": "2026-11-01",
                "file": _file(data, "x.pdf"),
            },
        )
        assert message in r.content.decode(), message
    settings.QUANLU_DOCUMENT_MAX_BYTES = 1024 * 1024
    r = client.post(
        url,
        {
            "type": "expert_opinion",
            "issuer": "x",
            "issued_on": "2026-11-01",
            "file": _file(b"%PDF-" + b"0" * (3 * 1024 * 1024), "big.pdf"),
        },
    )
    assert r.status_code == 413
    assert "文件超过允许的大小" in r.content.decode()
    assert (Document.objects.count(), Blob.objects.count(), Event.objects.count()) == before


def _file(data, name):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


# ---------------------------------------------------------------- API


def test_api_outsider_404_and_supervisor_403(world, case, doc, refusal):
    outsider, sup = bearer(world.outsider), bearer(world.superior_supervisor)
    gets = [
        f"/api/v1/cases/{case.public_id}/documents",
        f"/api/v1/documents/{doc.public_id}",
        f"/api/v1/documents/{doc.public_id}/render",
    ]
    posts = [
        (f"/api/v1/cases/{case.public_id}/documents", {"type": "item_list", "fields": {}}),
        (f"/api/v1/documents/{doc.public_id}/amend", {"changes": {"place": "x"}, "reason": "r"}),
        (f"/api/v1/documents/{doc.public_id}/sign", {"slot": "officers"}),
        (
            f"/api/v1/documents/{doc.public_id}/signatures",
            {"slot": "interviewee", "signer_name": "x", "image_base64": ""},
        ),
        (
            f"/api/v1/documents/{doc.public_id}/refusals",
            {"slot": "interviewee", "person_name": "x", "reason": "y"},
        ),
        (f"/api/v1/refusals/{refusal.public_id}/attest", {}),
    ]
    c = Client()
    for url in gets:
        assert c.get(url, **outsider).status_code == 404, url
        assert c.get(url, **sup).status_code == 200, url
    for url, body in posts:
        assert (
            c.post(url, json.dumps(body), content_type="application/json", **outsider).status_code == 404
        ), url
        r = c.post(url, json.dumps(body), content_type="application/json", **sup)
        assert r.status_code == 403, (url, r.content)
        assert "message" in r.json()
    up = c.post(
        f"/api/v1/cases/{case.public_id}/documents/upload?type=expert_opinion&issuer=x&issued_on=2026-11-01",
        b"%PDF",
        content_type="application/pdf",
        **outsider,
    )
    assert up.status_code == 404


def test_api_fill_sign_and_catalogue(world, staff, case):
    c, auth = Client(), bearer(world.officer)
    types = c.get("/api/v1/document-types", **auth).json()
    assert {t["code"] for t in types} >= {"inquiry_transcript", "service_receipt", "hearing_transcript"}
    from quanlu.records.catalogue import catalogue
    from quanlu.records.sample import sample_fields

    fields = sample_fields(catalogue().get("head_approval"), case, staff)
    bad = c.post(
        f"/api/v1/cases/{case.public_id}/documents",
        json.dumps({"type": "head_approval", "fields": {**fields, "approved_on": "明天"}}),
        content_type="application/json",
        **auth,
    )
    assert bad.status_code == 422
    assert "应为日期" in bad.json()["message"]
    r = c.post(
        f"/api/v1/cases/{case.public_id}/documents",
        json.dumps({"type": "head_approval", "fields": fields}),
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 201
    body = r.json()
    assert body["complete"] is False
    assert body["missing"] == ["「负责人签名」尚未签名"]
    signed = c.post(
        f"/api/v1/documents/{body['id']}/sign",
        json.dumps({"slot": "head"}),
        content_type="application/json",
        **bearer(world.approver),
    )
    assert signed.status_code == 201
    assert signed.json()["complete"] is True
    assert Signature.objects.get().method == "token"


def test_api_upload_streams_and_refuses_truncated_and_oversized(world, case, settings):
    c, auth = Client(), bearer(world.officer)
    pdf = sample_pdf("监测报告", "某监测中心")
    url = f"/api/v1/cases/{case.public_id}/documents/upload?type=test_report&issuer=某监测中心&issued_on=2026-11-01"
    ok = c.post(url, pdf, content_type="application/pdf", **auth)
    assert ok.status_code == 201, ok.content
    before = (Document.objects.count(), Blob.objects.count(), Event.objects.count())
    # The client declared more bytes than arrived: the connection dropped half-way.
    cut = c.generic(
        "POST",
        url,
        b"",
        content_type="application/pdf",
        **{"wsgi.input": io.BytesIO(pdf[:1000]), "CONTENT_LENGTH": str(len(pdf))},
        **auth,
    )
    assert cut.status_code == 422
    assert "上传不完整" in cut.json()["message"]
    wrong = c.post(url + "&sha256=" + "0" * 64, pdf, content_type="application/pdf", **auth)
    assert wrong.status_code == 422
    assert "摘要" in wrong.json()["message"]
    settings.QUANLU_DOCUMENT_MAX_BYTES = 1024 * 1024
    # A 200 MB "scan" is refused from its declared length, before a byte is stored.
    huge = c.generic(
        "POST",
        url,
        b"",
        content_type="application/pdf",
        **{"wsgi.input": io.BytesIO(b"%PDF-"), "CONTENT_LENGTH": str(200 * 1024 * 1024)},
        **auth,
    )
    assert huge.status_code == 422
    assert "文件超过允许的大小" in huge.json()["message"]
    streamed = c.post(url, b"%PDF-" + b"0" * (2 * 1024 * 1024), content_type="application/pdf", **auth)
    assert streamed.status_code == 422
    assert "文件超过允许的大小" in streamed.json()["message"]
    assert (Document.objects.count(), Blob.objects.count(), Event.objects.count()) == before


# ---------------------------------------------------------------- CLI and LibreOffice


def test_cli_types_list_and_render(world, staff, case, tmp_path):
    out = io.StringIO()
    call_command("documents", "types", "--format", "json", stdout=out)
    types = json.loads(out.getvalue())
    assert len(types) >= 50
    assert all(t["cited_by"] for t in types)
    doc = sign_all(make_document(case, "service_receipt", staff), staff)
    out = io.StringIO()
    call_command("documents", "list", "--case", case.number, "--format", "json", stdout=out)
    rows = json.loads(out.getvalue())
    assert rows[0]["id"] == str(doc.public_id)
    assert rows[0]["complete"] is True
    call_command(
        "documents",
        "render",
        str(doc.public_id),
        "--format",
        "pdf",
        "-o",
        str(tmp_path / "a.pdf"),
        stdout=io.StringIO(),
    )
    call_command(
        "documents",
        "render",
        str(doc.public_id),
        "--format",
        "docx",
        "-o",
        str(tmp_path / "a.docx"),
        stdout=io.StringIO(),
    )
    assert (tmp_path / "a.pdf").read_bytes().startswith(b"%PDF-")
    assert (tmp_path / "a.pdf").read_bytes() == _blob(current_version(doc).signed_pdf_sha256)


def _blob(sha):
    from quanlu.blobs.store import get_store

    with get_store().open(sha) as fh:
        return fh.read()


@pytest.mark.skipif(not shutil.which("soffice"), reason="make system-deps installs libreoffice-writer-nogui")
def test_the_docx_opens_in_libreoffice(world, staff, case, tmp_path, output_dir):
    for code in ("enforcement_decision", "inquiry_transcript", "initiation_approval"):
        doc = sign_all(make_document(case, code, staff), staff)
        path = tmp_path / f"{code}.docx"
        path.write_bytes(_blob(current_version(doc).signed_docx_sha256))
        subprocess.run(
            [
                "soffice",
                f"-env:UserInstallation=file://{tmp_path}/lo",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(tmp_path),
                str(path),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
        converted = tmp_path / f"{code}.pdf"
        assert converted.stat().st_size > 1000
        text = subprocess.run(
            ["pdftotext", str(converted), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert doc.title.replace("（", "(")[:2] in text.replace("（", "(")


def serialize(html):
    """What a browser submits for the page's doc-form: inputs, checked boxes, selected options, textareas."""
    from html.parser import HTMLParser

    class P(HTMLParser):
        def __init__(self):
            super().__init__()
            self.out, self.select, self.chosen, self.textarea, self.text, self.first = (
                [],
                None,
                None,
                None,
                "",
                None,
            )

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "input" and a.get("name") and a.get("type") not in ("password",):
                if a.get("type") == "checkbox":
                    if "checked" in a:
                        self.out.append((a["name"], a.get("value") or "on"))
                else:
                    self.out.append((a["name"], a.get("value", "")))
            elif tag == "select":
                self.select, self.chosen, self.first = a.get("name"), None, None
            elif tag == "option" and self.select:
                if self.first is None:
                    self.first = a.get("value", "")
                if "selected" in a:
                    self.chosen = a.get("value", "")
            elif tag == "textarea":
                self.textarea, self.text = a.get("name"), ""

        def handle_endtag(self, tag):
            if tag == "select" and self.select:
                self.out.append((self.select, self.chosen if self.chosen is not None else self.first or ""))
                self.select = None
            elif tag == "textarea" and self.textarea:
                self.out.append((self.textarea, self.text))
                self.textarea = None

        def handle_data(self, data):
            if self.textarea:
                self.text += data

    p = P()
    p.feed(html[html.index('class="stack doc-form"') :])
    return [(k, v) for k, v in p.out if k != "csrfmiddlewaretoken"]
