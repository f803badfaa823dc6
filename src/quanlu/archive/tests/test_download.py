"""The archivist downloads the exported package from the browser as one tar: streamed, named
by 档号 (RFC 5987), its SHA-256 shown on the page and equal to the download's, extracting to a
bag bagit-python validates; ledgered; no server path on the page; HEAD and cut-off requests
leave no file behind; supervisors and officers 403, outsiders 404; a changed folder refused."""

from __future__ import annotations

import hashlib
import shutil
import tarfile
from pathlib import Path
from urllib.parse import quote

import bagit as bagit_python
import pytest
from django.conf import settings as django_settings
from django.test import Client

from quanlu.archive import events
from quanlu.archive.models import PackageExport
from quanlu.archive.tests import helpers as h
from quanlu.ledger.models import Event
from quanlu.testing.factories import PASSWORD


def login(officer) -> Client:
    client = Client()
    assert client.login(username=officer.username, password=PASSWORD)
    return client


def files_under(*roots: Path) -> set[Path]:
    """Every path under ``roots`` but the test database's own (SQLite's -wal and -shm come
    and go with its writes)."""
    return {p for root in roots if root.exists() for p in root.rglob("*") if ".sqlite3" not in p.name}


@pytest.fixture
def exported(world, settings, tmp_path):
    settings.QUANLU_ARCHIVE_EXPORT_DIR = tmp_path / "exports"
    case, dossier = h.archived(world, documents=1)
    web = login(world.archivist)
    page = web.post(f"/archive/dossiers/{dossier.public_id}/export/", follow=True).content.decode()
    export = PackageExport.objects.get(dossier=dossier)
    return web, case, dossier, export, page


def downloads() -> int:
    return Event.objects.filter(type=events.PACKAGE_DOWNLOADED.name).count()


def test_the_archivist_downloads_the_package_as_one_tar_that_validates(exported, world, tmp_path):
    web, _case, dossier, export, page = exported
    assert "已导出档案包" in page
    assert export.tar_sha256 in page  # in the message and beside the download link
    assert export.path not in page
    assert str(django_settings.QUANLU_ARCHIVE_EXPORT_DIR) not in page
    url = f"/archive/exports/{export.public_id}/package.tar"
    assert url in page
    response = web.get(url)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/x-tar"
    assert int(response["Content-Length"]) == export.tar_bytes
    assert f"filename*=utf-8''{quote(dossier.archive_number + '.tar')}" in response["Content-Disposition"]
    target = tmp_path / "download.tar"
    digest = hashlib.sha256()
    with target.open("wb") as f:
        for chunk in response.streaming_content:
            digest.update(chunk)
            f.write(chunk)
    assert digest.hexdigest() == export.tar_sha256
    assert target.stat().st_size == export.tar_bytes
    with tarfile.open(target) as tar:
        tar.extractall(tmp_path / "x", filter="data")
    [bag] = (tmp_path / "x").iterdir()
    bagit_python.Bag(str(bag)).validate()
    assert any(p.suffix == ".mp4" for p in (bag / "data").rglob("*"))
    [event] = Event.objects.filter(type=events.PACKAGE_DOWNLOADED.name)
    assert event.payload["tar"] == {"sha256": export.tar_sha256, "bytes": export.tar_bytes}
    assert event.actor_id == world.archivist.pk

    # A HEAD and a download cut off after its first chunk leave no file anywhere.
    roots = (Path(django_settings.QUANLU_ARCHIVE_EXPORT_DIR), Path(django_settings.DATA_DIR), tmp_path)
    before = files_under(*roots)
    head = web.head(url)
    assert head.status_code == 200
    assert int(head["Content-Length"]) == export.tar_bytes
    assert b"".join(head.streaming_content) == b""
    assert downloads() == 1  # a HEAD is no download
    response = web.get(url)
    assert len(next(response.streaming_content)) > 0
    # The browser went away after the first chunk: the server closes the response (the
    # test client's wrapper closes it, and the tar generator and its open file with it).
    response._iterator.close()  # the client's closing wrapper: what a WSGI server calls
    assert files_under(*roots) == before
    assert downloads() == 2


def test_only_the_archivist_downloads_and_only_the_package_as_exported(exported, world):
    _web, _case, _dossier, export, _page = exported
    url = f"/archive/exports/{export.public_id}/package.tar"
    for who, status in (
        ("superior_supervisor", 403),
        ("justice_supervisor", 403),
        ("officer", 403),
        ("outsider", 404),
    ):
        web = login(getattr(world, who))
        assert web.get(url).status_code == status, who
        assert web.head(url).status_code == status, who
        assert web.post(url).status_code in (status, 405), who
    web = login(world.archivist)
    assert web.get("/archive/exports/not-a-uuid/package.tar").status_code == 404
    assert web.get("/archive/exports/00000000-0000-0000-0000-000000000000/package.tar").status_code == 404
    assert downloads() == 0

    # The folder changed on the server (a payload file's size) or gone: refused, saying why.
    video = next(p for p in Path(export.path).rglob("*.mp4"))
    with video.open("ab") as f:
        f.write(b"tampered")
    page = web.get(url, follow=True).content.decode()
    assert "与导出时不一致" in page
    shutil.rmtree(export.path)
    page = web.get(url, follow=True).content.decode()
    assert "已不在服务器的导出目录中" in page
    assert downloads() == 0
