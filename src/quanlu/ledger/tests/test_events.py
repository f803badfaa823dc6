import hashlib
import uuid

import pytest
from django.db import DatabaseError, connection, transaction

from quanlu.cases import events as case_events
from quanlu.ledger.models import Event
from quanlu.ledger.services import record_event
from quanlu.ledger.types import EventType, all_types, event_type
from quanlu.testing import factories


def _one_event(world):
    world.open_case()
    return Event.objects.filter(type="case:case:opened").latest("seq")


def test_raw_sql_update_of_an_event_is_refused(world):
    event = _one_event(world)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE ledger_event SET type = 'x:y:z' WHERE seq = %s", [event.seq])
    event.refresh_from_db()
    assert event.type == "case:case:opened"


def test_raw_sql_delete_of_an_event_is_refused(world):
    event = _one_event(world)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM ledger_event WHERE seq = %s", [event.seq])
    assert Event.objects.filter(seq=event.seq).exists()


def test_orm_update_and_delete_are_refused(world):
    event = _one_event(world)
    with pytest.raises(DatabaseError), transaction.atomic():
        Event.objects.filter(seq=event.seq).update(payload={"forged": True})
    with pytest.raises(DatabaseError), transaction.atomic():
        event.delete()
    event.refresh_from_db()
    assert "forged" not in event.payload


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's")
def test_truncate_is_refused_on_postgresql(transactional_db):
    _one_event(factories.world())
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("TRUNCATE ledger_event CASCADE")


def test_record_event_outside_a_transaction_is_refused(transactional_db):
    with pytest.raises(RuntimeError, match="inside the service"):
        record_event(type=case_events.CASE_OPENED, actor=None, agency=None)


def test_unregistered_event_type_is_refused(db):
    with pytest.raises(ValueError, match="unregistered"), transaction.atomic():
        record_event(type=EventType("x:y:z", "伪造"), actor=None, agency=None)


def test_event_types_are_shaped_source_subject_action():
    with pytest.raises(ValueError, match="source:subject:action"):
        event_type("case-opened", "x")
    assert all(t.name.count(":") == 2 and t.label for t in all_types())


def test_leaf_hash_is_rfc9162_over_canonical_bytes(world):
    event = _one_event(world)
    fresh = Event.objects.select_related("actor", "agency").get(seq=event.seq)
    data = fresh.canonical_bytes()
    assert fresh.leaf_hash() == hashlib.sha256(b"\x00" + data).digest()
    # Canonical bytes are reproducible from the stored row, key order and all.
    assert data.startswith(b'{"actor":"')
    assert str(world.officer.public_id).encode() in data
    assert fresh.canonical_bytes() == Event.objects.get(seq=event.seq).canonical_bytes()


def test_payload_rejects_floats(db):
    with pytest.raises(TypeError, match="floats"), transaction.atomic():
        record_event(type=case_events.CASE_OPENED, actor=None, agency=None, payload={"amount": 1.5})


def test_event_uids_are_unique(world):
    world.open_case()
    world.open_case()
    uids = list(Event.objects.values_list("uid", flat=True))
    assert len(uids) == len(set(uids))
    assert all(isinstance(u, uuid.UUID) for u in uids)
