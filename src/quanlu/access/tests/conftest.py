import pytest
from django.test import Client

from quanlu.org.services import api_token_create
from quanlu.records.sample import Staff
from quanlu.rulebooks.sample import Builder
from quanlu.testing.factories import PASSWORD


def bearer(officer):
    _, raw = api_token_create(actor=officer, officer=officer, label="测试")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def logged_in(officer):
    client = Client()
    assert client.login(username=officer.username, password=PASSWORD)
    return client


def scan(world, case, type_code="inquiry_transcript"):
    staff = Staff(world.officer, world.officer2, world.reviewer, world.legal, world.approver)
    return Builder(case=case, staff=staff, keeper=world.keeper, scans=True).scan(type_code)


@pytest.fixture
def case(world):
    return world.open_case()
