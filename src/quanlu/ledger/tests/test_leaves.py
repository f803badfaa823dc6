"""The bulk spelling of an event's entry must be byte-for-byte Event.canonical_bytes()."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from quanlu.ledger.leaves import ENTRY_COLUMNS, canonical_json, entry_from_row
from quanlu.ledger.models import Event, Pending
from quanlu.ledger.services import record_event

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.text(alphabet=st.characters(codec="utf-8"), max_size=12)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(alphabet=st.characters(codec="utf-8"), max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(value=json_values)
def test_the_fast_spelling_is_rfc8785(value):
    try:
        expected = rfc8785.dumps(value)
    except rfc8785.CanonicalizationError:  # RFC 8785 refuses it (e.g. an integer beyond 2^53)
        with pytest.raises(rfc8785.CanonicalizationError):
            canonical_json(value)
        return
    assert canonical_json(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        {"\U0001f600": 1, "\ufb01": 2, "a": 3},  # UTF-16 order differs from code-point order
        {"s": '\x00\x1f"\\\u2028\u007f\U0001f600'},
        {"n": 2**53 - 1, "m": -(2**53 - 1)},
        [True, False, None, "", {}],
    ],
)
def test_known_corner_cases_match_rfc8785(value):
    assert canonical_json(value) == rfc8785.dumps(value)


def test_integers_beyond_double_precision_are_refused_at_write_time(db):
    from django.db import transaction

    from quanlu.cases import events as case_events

    with pytest.raises(Exception, match=r"(?i)integer|range|domain"), transaction.atomic():
        record_event(type=case_events.CASE_OPENED, actor=None, agency=None, payload={"n": 2**60})
    assert not Event.objects.exists()


def test_bulk_entries_equal_the_model_canonical_bytes(world):
    case = world.open_case()
    world.grant_gate(case, "initiation")
    events = list(Event.objects.select_related("actor", "agency").order_by("seq"))
    assert len(events) > 10
    rows = {seq: rest for seq, *rest in Event.objects.values_list("seq", *ENTRY_COLUMNS)}
    queued = dict(Pending.objects.values_list("event_seq", "leaf_hash"))
    for event in events:
        assert entry_from_row(tuple(rows[event.seq])) == event.canonical_bytes()
        assert bytes(queued[event.seq]) == event.leaf_hash()


def test_the_queue_takes_the_leaf_hash_of_the_event_as_written(db):
    from django.db import transaction

    from quanlu.cases import events as case_events

    at = dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    case_uid = uuid.uuid4()
    with transaction.atomic():
        event = record_event(
            type=case_events.CASE_OPENED,
            actor=None,
            agency=None,
            case_uid=case_uid,
            payload={"x": "中文", "n": 3},
            at=at,
        )
    fresh = Event.objects.get(seq=event.seq)
    assert bytes(Pending.objects.get(event_seq=event.seq).leaf_hash) == fresh.leaf_hash()
    assert b'"at":"2026-01-01T19:04:05.678901Z"' in fresh.canonical_bytes()


TRICKY = [
    {},
    {"\U0001f600": 1, "\ufb01": "ﬁ", "a": [1, {"b": None}], "sha256": "0" * 64},
    {"s": '\x01\x1f"\\\u2028\u007f\U0001f600 中文', "n": 2**53 - 1, "m": -(2**53 - 1), "t": True},
    {"nested": {"deep": [[[]]], "empty": ""}, "amount": "12.50"},
]


@pytest.mark.parametrize("payload", TRICKY, ids=range(len(TRICKY)))
def test_raw_rows_give_the_model_canonical_bytes(db, payload):
    from django.db import connection, transaction

    from quanlu.cases import events as case_events
    from quanlu.ledger.leaves import RawEntries, raw_entry_sql

    at = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC)  # whole seconds: SQLite keeps no fraction
    with transaction.atomic():
        first = record_event(type=case_events.CASE_OPENED, actor=None, agency=None, payload=payload, at=at)
        second = record_event(
            type=case_events.CASE_OPENED, actor=None, agency=None, case_uid=uuid.uuid4(), payload=payload
        )
    raw = RawEntries(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(raw_entry_sql(connection.vendor))
        rows = {row[0]: row for row in cursor.fetchall()}
    for event in (first, second):
        fresh = Event.objects.select_related("actor", "agency").get(seq=event.seq)
        row = rows[event.seq]
        assert raw.entry(row, raw.payload(row[7])) == fresh.canonical_bytes()


@settings(max_examples=300, deadline=None)
@given(
    payload=st.dictionaries(st.text(max_size=5), json_values, max_size=4),
    micro=st.integers(0, 999_999),
    type_=st.text(max_size=20),
)
def test_raw_entry_spelling_equals_the_general_one(payload, micro, type_):
    from quanlu.ledger.leaves import RawEntries, entry_bytes

    raw = RawEntries("sqlite")
    uid, case = uuid.uuid4(), uuid.uuid4()
    at = dt.datetime(2026, 1, 2, 3, 4, 5, micro)
    row = (1, uid.hex, type_, at, None, uid.hex, case, None)
    try:
        expected = entry_bytes(
            uid=uid,
            type=type_,
            at=at.replace(tzinfo=dt.UTC),
            actor=None,
            agency=uid,
            case=case,
            payload=payload,
        )
    except rfc8785.CanonicalizationError:
        with pytest.raises(rfc8785.CanonicalizationError):
            raw.entry(row, payload)
        return
    assert raw.entry(row, payload) == expected
    text_row = (1, uid.hex, type_, str(at), None, uid.hex, case.hex.upper(), None)
    assert raw.entry(text_row, payload) == expected
