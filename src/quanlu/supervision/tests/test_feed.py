"""The change feed (/api/v1/feed): a supervisor's platform pulls every event of its tree
page by page, resumes from a cursor while writes go on, and never sees another tree."""

from __future__ import annotations

import pytest
from django.test import Client

from quanlu.cases import services as cases
from quanlu.core.errors import InvalidInput, PermissionDenied
from quanlu.ledger import services as ledger
from quanlu.ledger.models import Event, Leaf
from quanlu.org.services import api_token_create
from quanlu.supervision.feed import decode_cursor, encode_cursor, feed_page
from quanlu.testing import factories as f


def bearer(officer):
    _, raw = api_token_create(actor=officer, officer=officer, label="平台")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def pull(client, headers, cursor="", limit=4):
    """Every page from ``cursor`` on; the items and the last cursor."""
    items = []
    while True:
        resp = client.get("/api/v1/feed", {"cursor": cursor, "limit": limit}, **headers)
        assert resp.status_code == 200, resp.content
        body = resp.json()
        items += body["items"]
        assert len(body["items"]) <= limit
        cursor = body["cursor"]
        if not body["has_more"]:
            return items, cursor


def test_the_feed_pages_through_the_tree_and_resumes_without_gaps_or_duplicates(db):
    w = f.world(f.R002)
    case = w.open_case()
    w.open_case(actor=w.outsider)  # another province's agency: never in this feed
    ledger.ledger_integrate()
    client = Client()
    sup = bearer(w.superior_supervisor)

    first, cursor = pull(client, sup)
    # The same cursor again: nothing new yet, and the cursor holds.
    again = client.get("/api/v1/feed", {"cursor": cursor}, **sup).json()
    assert again == {"items": [], "cursor": cursor, "has_more": False}

    # Writes go on; an event not yet integrated waits for a later page.
    cases.party_add(
        actor=w.officer,
        case=case,
        kind="person",
        name="王某",
        id_type="resident_id",
        id_number=f.resident_id(),
    )
    assert client.get("/api/v1/feed", {"cursor": cursor}, **sup).json()["items"] == []
    w.open_case()
    ledger.ledger_integrate()
    second, _ = pull(client, sup, cursor)
    assert second

    seen = [(i["log"], i["index"]) for i in first + second]
    assert len(seen) == len(set(seen))  # no duplicates
    tree = {w.agency.pk, w.superior.pk}
    expected = Leaf.objects.filter(log__agency__in=tree)
    assert sorted(seen) == sorted((leaf.log.origin, leaf.index) for leaf in expected)  # no gaps
    ids = {i["id"] for i in first + second}
    assert {str(u) for u in Event.objects.filter(agency__in=tree).values_list("uid", flat=True)} == ids
    outsiders = Event.objects.filter(agency=w.other).values_list("uid", flat=True)
    assert outsiders
    assert not {str(u) for u in outsiders} & ids
    party = next(i for i in second if i["type"] == "case:party:added")
    assert party["case"] == str(case.public_id)
    assert party["label"] != party["type"]  # the Chinese label, for people reading the feed
    assert party["agency"] == str(w.agency.public_id)


def test_only_supervisors_and_administrators_read_the_feed_and_each_only_their_tree(db):
    w = f.world(f.R001)
    w.open_case()
    w.open_case(actor=w.outsider)
    ledger.ledger_integrate()
    client = Client()
    assert client.get("/api/v1/feed").status_code == 401
    for officer in (w.officer, w.approver, w.outsider):
        resp = client.get("/api/v1/feed", **bearer(officer))
        assert resp.status_code == 403, officer
        assert "执法监督人员" in resp.json()["message"]
    # The justice bureau sees the enforcement agencies of its region, not the other province.
    items, _ = pull(client, bearer(w.justice_supervisor), limit=100)
    assert items
    assert {i["agency"] for i in items} <= {str(w.agency.public_id), str(w.superior.public_id)}


def test_a_cursor_that_was_not_handed_out_is_refused_clearly(db):
    w = f.world(f.R001)
    client = Client()
    sup = bearer(w.superior_supervisor)
    for bad in ("不是游标", "e30", encode_cursor({"x": -5}), "W10"):  # e30 = {}, W10 = []
        resp = client.get("/api/v1/feed", {"cursor": bad}, **sup)
        if bad == "e30":
            assert resp.status_code == 200  # an empty cursor object is the start
            continue
        assert resp.status_code == 422, bad
        assert "游标无效" in resp.json()["message"]
    with pytest.raises(InvalidInput):
        decode_cursor(encode_cursor({"a": True}))
    assert decode_cursor(encode_cursor({"a": 3})) == {"a": 3}
    with pytest.raises(PermissionDenied):
        feed_page(w.officer)


def test_an_event_about_a_marked_record_shows_the_supervisor_the_mark_only(db):
    from quanlu.access import services as access
    from quanlu.access.redaction import EVENT_KEEP
    from quanlu.access.tests.conftest import scan

    w = f.world(f.R001)
    case = w.open_case()
    doc = scan(w, case)
    access.mark_add(actor=w.officer, item=doc, category="personal_privacy", reason="载有身份证号码。")
    ledger.ledger_integrate()
    items, _ = pull(Client(), bearer(w.superior_supervisor), limit=100)
    about = [i for i in items if i["payload"].get("document") == str(doc.public_id)]
    assert about
    for item in about:
        assert item["payload"]["withheld"]["categories"] == ["personal_privacy"]
        assert set(item["payload"]) <= EVENT_KEEP | {"withheld"}  # metadata and the mark only
