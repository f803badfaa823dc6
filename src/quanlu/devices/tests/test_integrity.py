"""Device rows are bound to the ledger: a row written by its service and then edited,
deleted or inserted in the database behind the services is named by verify."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from quanlu.devices import services
from quanlu.devices.models import Checkout
from quanlu.ledger.verify import verify_records
from quanlu.testing.tamper import assert_changed, tamper, the_problem

pytestmark = pytest.mark.tampers  # every test here edits rows behind the services


def register(world):
    return services.device_register(actor=world.keeper, kind="body_worn_recorder", purpose="现场执法音像记录")


def checkout(world, device):
    return services.device_checkout(
        actor=world.keeper, device=device, officer=world.officer, battery_percent=95, storage_free_mb=30000
    )


def test_device(world):
    device = checkout(world, register(world)).device
    assert verify_records().ok
    tamper(device, "status", "available")  # checked out, but shown as back in store
    assert_changed(device, "status")


def test_checkout(world):
    c = checkout(world, register(world))
    tamper(c, "battery_percent", 100)
    assert_changed(c, "battery_percent")


def test_device_return(world):
    c = checkout(world, register(world))
    returned = services.device_return(
        actor=world.keeper,
        checkout=c,
        condition="damaged",
        battery_percent=40,
        storage_free_mb=100,
        note="摔裂",
    )
    assert verify_records().ok  # the return and the damage incident it raised
    tamper(returned, "condition", "good")
    assert_changed(returned, "condition")


def test_incident(world):
    device = register(world)
    incident = services.device_incident_record(
        actor=world.officer, device=device, kind="fault", description="无法开机。"
    )
    tamper(incident, "description", "正常。")
    assert_changed(incident, "description")


def test_a_deleted_row_is_reported(world):
    device = register(world)
    incident = services.device_incident_record(
        actor=world.keeper,
        device=device,
        kind="lost",
        description="执法途中遗失。",
        liable_officer=world.officer,
    )
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM devices_incident WHERE id = %s", [incident.pk])
    problem = the_problem()
    assert problem.kind == "row_deleted"
    assert problem.item["row"] == f"devices.incident/{incident.public_id}"


def test_a_row_written_without_an_event_is_reported(world):
    device = register(world)
    # A checkout no keeper issued, written straight into the table.
    c = Checkout.objects.create(
        device=device,
        officer=world.officer,
        issued_by=world.keeper,
        checked_out_at=timezone.now(),
        battery_percent=90,
        storage_free_mb=1000,
    )
    problem = the_problem()
    assert problem.kind == "row_unrecorded"
    assert problem.item["row"] == f"devices.checkout/{c.public_id}"
