import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from quanlu.core.errors import Conflict, InvalidInput, PermissionDenied
from quanlu.devices import selectors as ds
from quanlu.devices import services
from quanlu.devices.models import DeviceStatus, Incident
from quanlu.ledger.models import Event
from quanlu.org.services import api_token_create
from quanlu.testing.factories import PASSWORD


def register(world, **kw):
    fields = {"kind": "body_worn_recorder", "purpose": "现场执法音像记录"}
    fields.update(kw)
    return services.device_register(actor=world.keeper, **fields)


def checkout(world, device, officer=None, **kw):
    fields = {"battery_percent": 95, "storage_free_mb": 30000}
    fields.update(kw)
    return services.device_checkout(
        actor=world.keeper, device=device, officer=officer or world.officer, **fields
    )


def test_it_numbers_devices_uniformly_and_ledgers_registration(world):
    a = register(world)
    b = register(world)
    c = register(world, kind="camera", device_no="ZH-CAM-01", serial_no="SN-1")
    code = world.agency.region.code
    assert (a.device_no, b.device_no) == (f"{code}-ZFJLY-0001", f"{code}-ZFJLY-0002")
    assert c.device_no == "ZH-CAM-01"
    assert a.keeper == world.keeper
    assert a.status == DeviceStatus.AVAILABLE
    assert Event.objects.filter(type="device:device:registered").count() == 3
    with pytest.raises(Conflict, match="已登记"):
        register(world, device_no="ZH-CAM-01")
    with pytest.raises(Conflict, match="序列号"):
        register(world, serial_no="SN-1")
    with pytest.raises(InvalidInput, match="设备编号"):
        register(world, device_no="../x")
    with pytest.raises(InvalidInput, match="执法用途"):
        register(world, purpose="")


def test_only_the_agencys_device_keeper_registers_and_manages(world):
    for who in (world.officer, world.outsider, world.superior_supervisor):
        with pytest.raises(PermissionDenied):
            services.device_register(actor=who, kind="camera", purpose="取证")
    device = register(world)
    with pytest.raises(PermissionDenied):
        services.device_checkout(
            actor=world.officer, device=device, officer=world.officer, battery_percent=90, storage_free_mb=1
        )


def test_checkout_records_the_battery_and_storage_check_and_blocks_a_second(world):
    device = register(world)
    with pytest.raises(InvalidInput, match="电池电量"):
        checkout(world, device, battery_percent=120)
    with pytest.raises(InvalidInput, match="剩余存储空间"):
        checkout(world, device, storage_free_mb=-1)
    with pytest.raises(InvalidInput, match="执法证件"):
        checkout(world, device, officer=world.archivist)
    with pytest.raises(InvalidInput, match="本机关"):
        checkout(world, device, officer=world.outsider)
    c = checkout(world, device)
    device.refresh_from_db()
    assert device.status == DeviceStatus.CHECKED_OUT
    assert (c.battery_percent, c.storage_free_mb) == (95, 30000)
    with pytest.raises(Conflict, match="不能领用"):
        checkout(world, device, officer=world.officer2)
    assert ds.open_checkout(device) == c


def test_return_with_acceptance_check_and_covering_periods(world):
    device = register(world)
    t0 = timezone.now() - dt.timedelta(hours=5)
    c = checkout(world, device, at=t0)
    assert list(ds.checkouts_covering(device, t0 + dt.timedelta(hours=1))) == [c]
    assert list(ds.checkouts_covering(device, t0 - dt.timedelta(hours=1))) == []
    with pytest.raises(InvalidInput, match="说明"):
        services.device_return(
            actor=world.keeper, checkout=c, condition="faulty", battery_percent=10, storage_free_mb=5
        )
    services.device_return(
        actor=world.keeper,
        checkout=c,
        condition="good",
        battery_percent=40,
        storage_free_mb=100,
        at=t0 + dt.timedelta(hours=3),
    )
    device.refresh_from_db()
    assert device.status == DeviceStatus.AVAILABLE
    assert list(ds.checkouts_covering(device, t0 + dt.timedelta(hours=2))) == [c]
    assert list(ds.checkouts_covering(device, t0 + dt.timedelta(hours=4))) == []
    with pytest.raises(Conflict, match="已交回"):
        services.device_return(
            actor=world.keeper, checkout=c, condition="good", battery_percent=1, storage_free_mb=1
        )


def test_a_lost_device_names_the_holder_liable_and_faults_go_through_repair(world):
    device = register(world)
    c = checkout(world, device)
    services.device_return(actor=world.keeper, checkout=c, condition="lost", note="执法途中遗失。")
    device.refresh_from_db()
    assert device.status == DeviceStatus.LOST
    lost = Incident.objects.get(device=device)
    assert (lost.kind, lost.liable_officer) == ("lost", world.officer)

    other = register(world)
    # Any officer of the agency reports a fault at once (001 第二十六条); the keeper handles repair.
    services.device_incident_record(
        actor=world.officer2, device=other, kind="fault", description="无法开机。"
    )
    other.refresh_from_db()
    assert other.status == DeviceStatus.FAULTY
    with pytest.raises(PermissionDenied):
        services.device_incident_record(
            actor=world.officer2, device=other, kind="repair_started", description="送修"
        )
    with pytest.raises(PermissionDenied):
        services.device_incident_record(actor=world.outsider, device=other, kind="fault", description="坏了")
    with pytest.raises(Conflict, match="不能领用"):
        checkout(world, other)
    services.device_incident_record(
        actor=world.keeper,
        device=other,
        kind="repair_started",
        description="送厂维修。",
        repairer="某维修中心",
    )
    with pytest.raises(Conflict, match="不能记录"):
        services.device_incident_record(
            actor=world.keeper, device=other, kind="fault", description="再次故障"
        )
    services.device_incident_record(actor=world.keeper, device=other, kind="repaired", description="已修复。")
    other.refresh_from_db()
    assert other.status == DeviceStatus.AVAILABLE
    assert Event.objects.filter(type="device:incident:recorded").count() == 4


def test_devices_list_json_cli(world):
    register(world, serial_no="S-9")
    out = StringIO()
    call_command("devices", "list", "--format", "json", stdout=out)
    rows = json.loads(out.getvalue())
    assert rows[0]["number"].endswith("-ZFJLY-0001")
    assert {k: rows[0][k] for k in ("kind", "agency", "keeper", "status")} == {
        "kind": "body_worn_recorder",
        "agency": world.agency.name,
        "keeper": world.keeper.full_name,
        "status": "available",
    }


def logged_in(officer):
    client = Client()
    assert client.login(username=officer.username, password=PASSWORD)
    return client


def test_device_pages_for_keepers_and_readers_and_outsiders_get_404(world):
    device = register(world)
    keeper = logged_in(world.keeper)
    page = keeper.get("/devices/")
    assert page.status_code == 200
    assert device.device_no in page.content.decode()
    assert "登记设备" in page.content.decode()
    detail = keeper.get(f"/devices/{device.public_id}/")
    assert "发放" in detail.content.decode()
    response = keeper.post(
        f"/devices/{device.public_id}/checkout/",
        {"officer": world.officer.public_id, "battery_percent": 80, "storage_free_mb": 1000},
    )
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.status == DeviceStatus.CHECKED_OUT
    response = keeper.post(
        f"/devices/{device.public_id}/return/",
        {"condition": "good", "battery_percent": 50, "storage_free_mb": 900},
    )
    device.refresh_from_db()
    assert device.status == DeviceStatus.AVAILABLE
    # A supervisor above reads; an officer may report a fault but not register.
    assert logged_in(world.superior_supervisor).get(f"/devices/{device.public_id}/").status_code == 200
    officer = logged_in(world.officer)
    assert "登记设备" not in officer.get("/devices/").content.decode()
    assert officer.post("/devices/", {"kind": "camera", "purpose": "x"}).status_code == 404
    outsider = logged_in(world.outsider)
    assert device.device_no not in outsider.get("/devices/").content.decode()
    for url in (f"/devices/{device.public_id}/", f"/devices/{device.public_id}/checkout/"):
        assert outsider.get(url).status_code in (404, 405)
    assert (
        outsider.post(
            f"/devices/{device.public_id}/incident/", {"kind": "fault", "description": "x"}
        ).status_code
        == 404
    )
    assert Client().get("/devices/").status_code == 302


def test_device_api_with_token_and_outsider_404(world):
    _, raw = api_token_create(actor=world.keeper, officer=world.keeper, label="t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    client = Client()
    made = client.post(
        "/api/v1/devices",
        data=json.dumps({"kind": "camera", "purpose": "取证拍照"}),
        content_type="application/json",
        **auth,
    )
    assert made.status_code == 201
    device_id = made.json()["id"]
    out = client.post(
        f"/api/v1/devices/{device_id}/checkouts",
        data=json.dumps(
            {"officer": str(world.officer.public_id), "battery_percent": 88, "storage_free_mb": 500}
        ),
        content_type="application/json",
        **auth,
    )
    assert out.status_code == 201
    back = client.post(
        f"/api/v1/checkouts/{out.json()['id']}/return",
        data=json.dumps({"condition": "good", "battery_percent": 60, "storage_free_mb": 400}),
        content_type="application/json",
        **auth,
    )
    assert back.status_code == 201
    assert back.json()["condition"] == "good"
    _, other = api_token_create(actor=world.outsider, officer=world.outsider, label="t")
    assert client.get(f"/api/v1/devices/{device_id}", HTTP_AUTHORIZATION=f"Bearer {other}").status_code == 404
    assert client.get("/api/v1/devices", HTTP_AUTHORIZATION=f"Bearer {other}").json() == []
