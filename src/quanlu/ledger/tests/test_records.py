"""Records bound to the ledger (ledger/records.py), and the authenticated queue
(ledger/queue.py): rows people read are compared with the events that wrote them."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from quanlu.ledger import queue, records, sequencer
from quanlu.ledger import services as ledger
from quanlu.ledger.models import Pending, RowState
from quanlu.ledger.tests.test_tamper import run_verify, tampering
from quanlu.ledger.verify import verify, verify_records
from quanlu.org import services as org
from quanlu.org.models import Officer, Region

# --- the registry ------------------------------------------------------------------------


def test_every_model_of_every_quanlu_app_is_covered_or_exempt_with_a_reason():
    covered = {c.model for c in records.covered()}
    exempt = {e.model for e in records.exempted()}
    assert not covered & exempt
    missing = [
        m._meta.label
        for m in apps.get_models()
        if m.__module__.startswith("quanlu.") and m not in covered and m not in exempt
    ]
    assert missing == [], f"models holding rows neither bound to the ledger nor exempted: {missing}"
    assert all(e.reason.strip() for e in records.exempted())


def test_case_content_is_covered_not_exempted():
    labels = {c.label for c in records.covered()}
    for label in (
        "cases.case",
        "cases.party",
        "records.document",
        "records.version",
        "records.signature",
        "media.mediarecord",
        "media.medialink",
        "blobs.blob",
        "archive.dossier",
        "archive.dossieritem",
        "access.confidentialitymark",
        "supervision.deadline",
        "supervision.rectificationorder",
        "devices.checkout",
        "org.officer",
    ):
        assert label in labels


def test_a_model_cannot_be_committed_unless_covered(world):
    from django.db import transaction

    from quanlu.org import events

    with pytest.raises(ValueError, match="not bound to the ledger"), transaction.atomic():
        ledger.record_event(
            type=events.REGION_CREATED,
            actor=None,
            agency=None,
            rows=[Pending(event_seq=1)],
        )


# --- canonical content ---------------------------------------------------------------------


def test_content_spells_each_value_one_way_and_leaves_out_none_and_defaults():
    spec = records.spec_for(Officer)
    assert spec is not None
    assert "password" not in spec.columns
    assert "last_login" not in spec.columns
    row = dict.fromkeys(spec.columns)
    row.update(
        id=7,
        username="zh",
        full_name="张三",
        is_active=True,  # default True: left out
        is_staff=False,  # default False: left out
        date_joined=dt.datetime(2026, 1, 2, 11, 4, 5, 6, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        certificate_valid_until=dt.date(2027, 1, 1),
        public_id=uuid.UUID(int=1),
    )
    content = records.content_of(spec, [row[c] for c in spec.columns])
    assert content == {
        "id": 7,
        "username": "zh",
        "full_name": "张三",
        "date_joined": "2026-01-02T03:04:05.000006Z",
        "certificate_valid_until": "2027-01-01",
        "public_id": "00000000-0000-0000-0000-000000000001",
    }
    # A value other than the default is always spelled, so the mapping stays one-to-one.
    row["is_active"] = False
    assert records.content_of(spec, [row[c] for c in spec.columns])["is_active"] is False
    assert records.content_bytes(content).decode() == json.dumps(
        content, ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )


def test_other_values():
    assert records.content_value(memoryview(b"\x00\xff")) == "00ff"
    assert records.content_value(decimal.Decimal("1.50")) == "1.50"
    assert records.content_value(0.1) == "0.1"
    assert records.content_value(dt.datetime(2026, 1, 1)) == "2026-01-01T00:00:00.000000Z"  # naive = UTC
    assert records.content_value({"字段": [1, dt.date(2026, 1, 1)]}) == {"字段": [1, "2026-01-01"]}


# --- round trip through a service and the verifier ------------------------------------------


def _region():
    from django.db import transaction

    with transaction.atomic():
        return org.region_create(actor=None, code="T999001", name="测试区")


def test_the_event_commits_the_row_as_read_back_and_keeps_its_content(db):
    region = _region()
    event = ledger.Event.objects.order_by("-seq").first()
    key = f"org.region/{region.public_id}"
    assert set(event.payload["rows"]) == {key}
    state = RowState.objects.get(event_seq=event.seq, key=key)
    content = json.loads(state.content)
    assert content["name"] == "测试区"
    assert content["path"] == region.path
    assert records.digest_of(content) == event.payload["rows"][key]
    assert verify_records().ok


@pytest.mark.tampers
def test_a_row_edited_in_the_database_is_named_with_its_field_and_event(db):
    region = _region()
    seq = ledger.Event.objects.order_by("-seq").values_list("seq", flat=True).first()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE org_region SET name = %s WHERE id = %s", ["改过的名字", region.pk])
    report = verify_records()
    [problem] = report.problems
    assert problem.kind == "row_changed"
    assert problem.item["table"] == "org_region"
    assert problem.item["row"] == f"org.region/{region.public_id}"
    assert problem.item["fields"] == "name"
    assert problem.item["event_seq"] == seq
    assert "名称（name）" in problem.message


@pytest.mark.tampers
def test_with_its_copy_also_edited_the_change_is_still_found(db):
    region = _region()
    with tampering() as cursor:
        cursor.execute("UPDATE org_region SET name = %s WHERE id = %s", ["改过的名字", region.pk])
        cursor.execute("UPDATE ledger_rowstate SET content = REPLACE(content, '测试区', '改过的名字')")
    [problem] = verify_records().problems
    assert problem.kind == "row_changed"
    assert problem.item["fields"] == ""
    assert "无法指出具体字段" in problem.message


@pytest.mark.tampers
def test_a_row_no_event_wrote_and_a_row_deleted_are_named(db):
    region = _region()
    Region.objects.create(code="T999002", name="偷偷加的", path="/x/")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM org_region WHERE id = %s", [region.pk])
    kinds = {p.kind: p for p in verify_records().problems}
    assert set(kinds) == {"row_unrecorded", "row_deleted"}
    assert kinds["row_deleted"].item["row"] == f"org.region/{region.public_id}"


# --- the authenticated queue ------------------------------------------------------------------


def test_each_queued_event_carries_a_code_under_the_key_file(db, settings):
    _region()
    entry = Pending.objects.order_by("-event_seq").first()
    key = queue.queue_key(create=False)
    assert queue.valid(key, entry.event_seq, entry.event_uid, bytes(entry.leaf_hash), bytes(entry.mac))
    path = settings.QUANLU_KEY_DIR / queue.QUEUE_KEY_FILE
    assert path.stat().st_mode & 0o777 == 0o600


@pytest.mark.tampers
def test_an_event_rewritten_with_its_queued_hash_is_refused_and_named(db):
    """The attack the queue key stops: payload and queued leaf hash rewritten together
    before the sequencer runs. Without the key the code cannot be made to match."""
    from quanlu.ledger.leaves import ENTRY_COLUMNS, entry_from_row, leaf_hash_of

    _region()
    seq = Pending.objects.order_by("-event_seq").values_list("event_seq", flat=True).first()
    with tampering() as cursor:
        cast = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
        event = ledger.Event.objects.get(seq=seq)
        payload = dict(event.payload, name="伪造")
        cursor.execute(f"UPDATE ledger_event SET payload = {cast} WHERE seq = %s", [json.dumps(payload), seq])
        row = ledger.Event.objects.filter(seq=seq).values_list(*ENTRY_COLUMNS).get()
        forged = leaf_hash_of(entry_from_row(row))
        cursor.execute("UPDATE ledger_pending SET leaf_hash = %s WHERE event_seq = %s", [forged, seq])
    report = verify()
    assert "queue_forged" in {p.kind for p in report.problems}
    assert not any(
        p.kind == "event_changed" for p in report.problems
    )  # the hash matches: only the code tells
    with pytest.raises(sequencer.LedgerError, match="认证码不符"):
        ledger.ledger_integrate()
    assert Pending.objects.filter(event_seq=seq).exists()  # nothing was signed


def test_an_event_left_waiting_too_long_is_reported(db, settings):
    _region()
    settings.QUANLU_LEDGER_STALE_SECONDS = 60
    assert "pending_stale" not in {p.kind for p in verify().problems}
    later = timezone.now() + dt.timedelta(minutes=5)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(timezone, "now", lambda: later)
        kinds = {p.kind for p in verify().problems}
    assert "pending_stale" in kinds
    ledger.ledger_integrate()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(timezone, "now", lambda: later)
        assert "pending_stale" not in {p.kind for p in verify().problems}


def test_the_command_reports_row_problems_as_json(db):
    _region()
    ledger.ledger_integrate()
    code, report = run_verify()
    assert code == 0, report["problems"]
    assert report["rows"] >= 1
    call_command("ledger", "integrate")
