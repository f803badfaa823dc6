"""The ledger over the API: who may see which proofs, and the proofs verify offline."""

from __future__ import annotations

import base64

import pytest
from django.test import Client

from quanlu.ledger import merkle, tlogproof
from quanlu.ledger import services as ledger
from quanlu.ledger.models import Event, Log
from quanlu.org.services import api_token_create


@pytest.fixture
def client():
    return Client()


def bearer(officer):
    _, raw = api_token_create(actor=officer, officer=officer, label="测试")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def logged(world):
    case = world.open_case()
    ledger.ledger_integrate()
    world.case = case
    world.event = Event.objects.filter(case_uid=case.public_id).order_by("seq").first()
    world.log = Log.objects.get(agency=world.agency)
    return world


def test_the_ledger_routes_are_in_the_openapi_document(client, db):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/ledger/events/{event_id}/proof" in paths
    assert "/api/v1/ledger/logs/{log_id}/consistency" in paths


@pytest.mark.parametrize(
    "url",
    ["/api/v1/ledger/logs", "/api/v1/ledger/events/{event}/proof", "/api/v1/ledger/logs/{log}/checkpoint"],
)
def test_without_a_token_it_is_401(client, logged, url):
    response = client.get(url.format(event=logged.event.uid, log=logged.log.public_id))
    assert response.status_code == 401


@pytest.mark.parametrize("who", ["officer", "archivist", "superior_supervisor", "justice_supervisor"])
def test_whoever_may_see_the_case_gets_a_proof_that_verifies_offline(client, logged, who):
    response = client.get(f"/api/v1/ledger/events/{logged.event.uid}/proof", **bearer(getattr(logged, who)))
    assert response.status_code == 200, response.content
    body = response.json()
    entry = base64.b64decode(body["entry"])
    assert entry == logged.event.canonical_bytes()
    assert merkle.leaf_hash(entry).hex() == body["leaf_hash"]
    result = tlogproof.verify_tlog_proof(body["proof"], entry, body["vkeys"], origin=logged.log.origin)
    assert result.index == body["index"]


def test_the_proof_file_is_plain_c2sp_text(client, logged):
    response = client.get(
        f"/api/v1/ledger/events/{logged.event.uid}/proof.tlog-proof", **bearer(logged.officer)
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode().startswith("c2sp.org/tlog-proof@v1\nindex ")
    assert ".tlog-proof" in response["Content-Disposition"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/ledger/events/{event}/proof",
        "/api/v1/ledger/events/{event}/proof.tlog-proof",
        "/api/v1/ledger/logs/{log}/checkpoint",
        "/api/v1/ledger/logs/{log}/consistency?old=1",
    ],
)
def test_an_outsider_gets_404(client, logged, url):
    response = client.get(
        url.format(event=logged.event.uid, log=logged.log.public_id), **bearer(logged.outsider)
    )
    assert response.status_code == 404
    assert response.json()["message"] == "未找到该对象，或您无权查看。"


def test_an_outsider_sees_only_its_own_agencys_logs(client, logged):
    listed = client.get("/api/v1/ledger/logs", **bearer(logged.outsider)).json()
    assert str(logged.log.public_id) not in {row["id"] for row in listed}
    own = client.get("/api/v1/ledger/logs", **bearer(logged.officer)).json()
    assert str(logged.log.public_id) in {row["id"] for row in own}


@pytest.mark.parametrize("event_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_unknown_or_malformed_ids_are_404(client, logged, event_id):
    response = client.get(f"/api/v1/ledger/events/{event_id}/proof", **bearer(logged.officer))
    assert response.status_code == 404


def test_a_not_yet_integrated_event_is_409_in_chinese(client, logged):
    logged.grant_gate(logged.case, "initiation")
    fresh = Event.objects.filter(case_uid=logged.case.public_id).order_by("-seq").first()
    response = client.get(f"/api/v1/ledger/events/{fresh.uid}/proof", **bearer(logged.officer))
    assert response.status_code == 409
    assert "尚未入树" in response.json()["message"]


def test_checkpoint_and_consistency_between_two_checkpoints(client, logged):
    auth = bearer(logged.superior_supervisor)
    first = client.get(f"/api/v1/ledger/logs/{logged.log.public_id}/checkpoint", **auth).json()
    logged.grant_gate(logged.case, "initiation")
    ledger.ledger_integrate()
    second = client.get(f"/api/v1/ledger/logs/{logged.log.public_id}/checkpoint", **auth).json()
    assert second["size"] > first["size"]
    assert second["witnesses"]
    response = client.get(
        f"/api/v1/ledger/logs/{logged.log.public_id}/consistency?old={first['size']}&new={second['size']}",
        **auth,
    )
    assert response.status_code == 200, response.content
    body = response.json()
    proof = [base64.b64decode(h) for h in body["proof"]]
    assert merkle.verify_consistency(
        first["size"], second["size"], proof, bytes.fromhex(first["root"]), bytes.fromhex(second["root"])
    )


@pytest.mark.parametrize(
    ("query", "status"), [("old=0", 422), ("old=abc", 422), ("old=999999", 404), ("", 422)]
)
def test_bad_consistency_questions_are_refused_in_chinese(client, logged, query, status):
    response = client.get(
        f"/api/v1/ledger/logs/{logged.log.public_id}/consistency?{query}", **bearer(logged.officer)
    )
    assert response.status_code == status
    assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json()["message"])
