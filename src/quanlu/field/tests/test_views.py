"""The field app's pages and JSON: the shell, its worker and manifest, who may enroll,
take out, sync and revoke, and the case page's 已离线."""

import json

import pytest

from quanlu.core.middleware import CONTENT_SECURITY_POLICY
from quanlu.field.models import DeviceRevocation, Takeout
from quanlu.field.tests.helpers import setup, spki
from quanlu.org.models import Role
from quanlu.testing import factories as f

pytestmark = pytest.mark.django_db


def test_the_shell_worker_and_manifest(client, world):
    assert client.get("/field/api/hello").status_code == 401
    client.force_login(world.officer)
    page = client.get("/field/")
    assert page.status_code == 200
    # The site's policy, plus compiling WebAssembly (hash-wasm) on these pages only.
    assert page["Content-Security-Policy"] == CONTENT_SECURITY_POLICY.replace(
        "script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'"
    )
    assert "unsafe-eval'" not in page["Content-Security-Policy"].replace("'wasm-unsafe-eval'", "")
    sw = client.get("/field/sw.js")
    assert sw["Content-Type"].startswith("text/javascript")
    text = sw.content.decode()
    assert 'modulePathPrefix: "/static/field/vendor/workbox"' in text
    assert "googleapis" not in text, "nothing from a CDN"
    assert "https://" not in text
    manifest = json.loads(client.get("/field/manifest.webmanifest").content)
    assert manifest["name"] == "全录·现场"
    assert manifest["scope"] == "/field/"


def test_a_colleague_enrolls_only_with_their_password(client, world):
    client.force_login(world.officer)
    from cryptography.hazmat.primitives.asymmetric import ec

    key = spki(ec.generate_private_key(ec.SECP256R1()))
    body = {
        "device": "6f1c0d52-8f3e-4d0e-9a55-0d7f7b9d1a01",
        "public_key": key,
        "username": world.officer2.username,
    }
    wrong = client.post("/field/api/enroll", {**body, "password": "nope"}, content_type="application/json")
    assert wrong.status_code == 403
    assert "密码" in wrong.json()["message"]
    ok = client.post("/field/api/enroll", {**body, "password": f.PASSWORD}, content_type="application/json")
    assert ok.status_code == 200
    assert ok.json()["officer"]["name"] == world.officer2.full_name
    outsider = client.post(
        "/field/api/enroll",
        {**body, "username": world.outsider.username, "password": f.PASSWORD},
        content_type="application/json",
    )
    assert outsider.status_code == 403


def test_taking_out_shows_on_the_case_page_and_outsiders_see_no_device(client, world):
    device = setup(world)
    client.force_login(world.officer)
    page = client.get(f"/cases/{device.case.public_id}/").content.decode()
    assert "已离线" in page
    assert "执法记录手机1" in page
    client.force_login(world.outsider)
    sync = client.post(
        "/field/api/sync",
        {"device": str(device.uid), "record": device.transcript()},
        content_type="application/json",
    )
    assert sync.status_code == 404
    take = client.post(
        "/field/api/takeout",
        {"device": str(device.uid), "case": str(device.case.public_id)},
        content_type="application/json",
    )
    assert take.status_code == 404
    assert Takeout.objects.count() == 1
    assert client.post(f"/field/devices/{device.uid}/revoke/", {"reason": "x"}).status_code == 404


def test_the_administrator_revokes_a_device_from_its_page(client, world):
    device = setup(world)
    client.force_login(world.officer)
    client.post(f"/field/devices/{device.uid}/revoke/", {"reason": "手机遗失"})
    assert not DeviceRevocation.objects.exists(), "an officer may not"
    admin = f.officer(world.agency, Role.ADMINISTRATOR, certificate=False, name="管理员")
    client.force_login(admin)
    assert "吊销该设备" in client.get("/field/devices/").content.decode()
    client.post(f"/field/devices/{device.uid}/revoke/", {"reason": "手机遗失"})
    assert DeviceRevocation.objects.get().reason == "手机遗失"
    assert "已吊销" in client.get("/field/devices/").content.decode()


def test_the_new_case_pack_needs_a_known_device_and_an_officer(client, world):
    device = setup(world)
    client.force_login(world.officer)
    ok = client.get(f"/field/api/new-case?device={device.uid}")
    assert ok.status_code == 200
    assert ok.json()["pack"]["document_types"][0]["code"] == "inspection_transcript"
    assert client.get("/field/api/new-case?device=6f1c0d52-8f3e-4d0e-9a55-0d7f7b9d1a01").status_code == 404
    client.force_login(world.outsider)
    assert client.get(f"/field/api/new-case?device={device.uid}").status_code == 404
    client.force_login(world.archivist)
    assert client.get(f"/field/api/new-case?device={device.uid}").status_code == 403
