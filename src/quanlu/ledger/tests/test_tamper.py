"""An insider with database (and file) access changes the record; `quanlu ledger verify`
names each tampered item, says what differs, and exits non-zero."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from quanlu.blobs.services import blob_store_bytes
from quanlu.blobs.store import get_store
from quanlu.ledger import note, sequencer, triggers
from quanlu.ledger import services as ledger
from quanlu.ledger.models import Checkpoint, Cosignature, Event, Key, Leaf, Log

# Every test here edits rows behind the services on purpose.
pytestmark = pytest.mark.tampers


@contextmanager
def tampering() -> Iterator[Any]:
    """Lift the append-only triggers (as a superuser could), then put them back."""
    triggers.uninstall(connection)
    try:
        with connection.cursor() as cursor:
            yield cursor
    finally:
        triggers.install(connection)


def run_verify() -> tuple[int, dict[str, Any]]:
    out = io.StringIO()
    try:
        call_command("ledger", "verify", "--format", "json", stdout=out)
        code = 0
    except CommandError as exc:
        code = exc.returncode
    return code, json.loads(out.getvalue())


def kinds(report: dict[str, Any]) -> set[str]:
    return {p["kind"] for p in report["problems"]}


def problems(report: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [p for p in report["problems"] if p["kind"] == kind]


@pytest.fixture
def ledgered(world):
    """A case with some history, a stored document, everything integrated and clean."""
    case = world.open_case()
    world.grant_gate(case, "initiation")
    blob, _ = blob_store_bytes(
        actor=world.officer, agency=world.agency, data=b"%PDF-1.7 inquiry transcript " * 50
    )
    ledger.ledger_integrate()
    code, report = run_verify()
    assert code == 0, report["problems"]
    assert report["ok"]
    world.case = case
    world.blob = blob
    return world


def _case_event(world, index=0):
    return Event.objects.filter(case_uid=world.case.public_id).order_by("seq")[index]


def _set_payload(cursor, seq: int, payload: str) -> None:
    cast = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    cursor.execute(f"UPDATE ledger_event SET payload = {cast} WHERE seq = %s", [payload, seq])


def test_a_clean_ledger_verifies(ledgered):
    code, report = run_verify()
    assert code == 0
    assert report["ok"]
    assert report["events"] == Event.objects.count() - 1  # the run itself records one event afterwards
    assert report["blobs"] == 1
    assert report["cosignatures"] >= 1


def test_a_changed_payload_byte_is_named(ledgered):
    event = _case_event(ledgered)
    with tampering() as cursor:
        cursor.execute("SELECT payload FROM ledger_event WHERE seq = %s", [event.seq])
        raw = cursor.fetchone()[0]
        payload = json.loads(raw) if isinstance(raw, str) else raw
        assert payload["cause"].startswith("某公司")
        payload["cause"] = payload["cause"].replace("某公司", "某工司", 1)  # one character
        _set_payload(cursor, event.seq, json.dumps(payload))
    code, report = run_verify()
    assert code == 1
    assert not report["ok"]
    [p] = problems(report, "event_changed")
    assert p["event_seq"] == event.seq
    assert p["event_uid"] == str(event.uid)
    assert p["event_type"] == event.type
    assert p["expected"] == event.leaf_hash().hex()
    assert p["actual"] != p["expected"]
    assert f"#{event.seq}" in p["message"]
    assert kinds(report) == {"event_changed"}  # the tree and the checkpoints are intact


def test_a_deleted_event_row_is_named(ledgered):
    event = _case_event(ledgered, 1)
    with tampering() as cursor:
        cursor.execute("DELETE FROM ledger_event WHERE seq = %s", [event.seq])
    code, report = run_verify()
    assert code == 1
    [p] = problems(report, "event_deleted")
    assert (p["event_seq"], p["event_uid"], p["event_type"]) == (event.seq, str(event.uid), event.type)


def test_a_deleted_event_and_its_leaf_are_caught_by_the_signed_tree(ledgered):
    event = _case_event(ledgered, 1)
    leaf = Leaf.objects.get(event_seq=event.seq)
    with tampering() as cursor:
        cursor.execute("DELETE FROM ledger_event WHERE seq = %s", [event.seq])
        cursor.execute("DELETE FROM ledger_leaf WHERE event_seq = %s", [event.seq])
    code, report = run_verify()
    assert code == 1
    [gap] = problems(report, "leaf_missing")
    assert gap["index"] == leaf.index
    assert gap["log"] == leaf.log.origin
    assert problems(report, "checkpoint_beyond_tree") or problems(report, "checkpoint_root")


def test_two_reordered_events_are_named(ledgered):
    a, b = _case_event(ledgered, 0), _case_event(ledgered, 1)
    with tampering() as cursor:
        cursor.execute("UPDATE ledger_event SET seq = %s WHERE seq = %s", [-1, a.seq])
        cursor.execute("UPDATE ledger_event SET seq = %s WHERE seq = %s", [a.seq, b.seq])
        cursor.execute("UPDATE ledger_event SET seq = %s WHERE seq = %s", [b.seq, -1])
    code, report = run_verify()
    assert code == 1
    swapped = {(p["event_seq"], p["swapped_with"]) for p in problems(report, "event_reordered")}
    assert swapped == {(a.seq, b.seq), (b.seq, a.seq)}


def test_an_event_written_around_the_log_is_named(ledgered):
    from django.utils import timezone

    sneaky = Event.objects.create(type="case:case:opened", occurred_at=timezone.now(), payload={"x": 1})
    code, report = run_verify()
    assert code == 1
    [p] = problems(report, "event_not_logged")
    assert p["event_seq"] == sneaky.seq


def _blob_path(world):
    path = get_store().local_path(world.blob.sha256)
    os.chmod(path, 0o644)
    return path


def test_a_flipped_bit_in_a_stored_blob_is_named(ledgered):
    path = _blob_path(ledgered)
    data = bytearray(path.read_bytes())
    data[100] ^= 0x01
    path.write_bytes(bytes(data))
    code, report = run_verify()
    assert code == 1
    [p] = problems(report, "blob_changed")
    assert p["blob"] == ledgered.blob.sha256
    assert p["actual"] != ledgered.blob.sha256
    assert ledgered.blob.sha256 in p["message"]


def test_a_replaced_blob_is_named(ledgered):
    path = _blob_path(ledgered)
    path.write_bytes(b"a different document altogether")
    code, report = run_verify()
    assert code == 1
    [p] = problems(report, "blob_changed")
    assert p["blob"] == ledgered.blob.sha256
    assert "31 字节" in p["message"]


def test_a_missing_blob_and_a_changed_blob_row_are_named(ledgered):
    with tampering() as cursor:
        cursor.execute("UPDATE blobs_blob SET size = size + 1 WHERE sha256 = %s", [ledgered.blob.sha256])
    _blob_path(ledgered).unlink()
    code, report = run_verify()
    assert code == 1
    assert kinds(report) >= {"blob_row_changed", "blob_missing"}


def test_a_forged_checkpoint_is_named(ledgered):
    log = Log.objects.get(agency=ledgered.agency)
    real = sequencer.latest_checkpoint(log)
    forger = note.generate_ed25519(log.origin)  # same name, the forger's own key
    body = note.Checkpoint(log.origin, real.size + 1, b"\x66" * 32).body()
    forged = Checkpoint.objects.create(
        log=log, size=real.size + 1, root=b"\x66" * 32, note=note.sign_note(body, [forger]).render()
    )
    code, report = run_verify()
    assert code == 1
    [p] = problems(report, "checkpoint_signature")
    assert p["checkpoint"] == str(forged.public_id)
    assert "签名" in p["message"]


def test_an_edited_checkpoint_is_named(ledgered):
    log = Log.objects.get(agency=ledgered.agency)
    real = sequencer.latest_checkpoint(log)
    with tampering() as cursor:
        cursor.execute(
            "UPDATE ledger_checkpoint SET note = %s WHERE id = %s",
            [real.note.replace(f"\n{real.size}\n", f"\n{real.size + 1}\n"), real.pk],
        )
    code, report = run_verify()
    assert code == 1
    assert problems(report, "checkpoint_signature")[0]["checkpoint"] == str(real.public_id)


def test_two_checkpoints_of_one_size_with_different_roots_are_named(ledgered):
    log = Log.objects.get(agency=ledgered.agency)
    real = sequencer.latest_checkpoint(log)
    # Even signed with the log's real key (an insider who holds it), a fork shows.
    twin = sequencer.checkpoint_sign(log, real.size, b"\x77" * 32)
    code, report = run_verify()
    assert code == 1
    [fork] = problems(report, "fork")
    assert fork["size"] == real.size
    assert str(real.public_id) in fork["checkpoints"]
    assert str(twin.public_id) in fork["checkpoints"]
    assert problems(report, "checkpoint_root")[0]["checkpoint"] == str(twin.public_id)


def test_a_changed_tree_node_is_named(ledgered):
    log = Log.objects.get(agency=ledgered.agency)
    with tampering() as cursor:
        cursor.execute(
            "UPDATE ledger_node SET hash = %s WHERE log_id = %s AND level = 2 AND idx = 0",
            [b"\x01" * 32, log.pk],
        )
    code, report = run_verify()
    assert code == 1
    [p] = problems(report, "node_changed")
    assert (p["level"], p["index"], p["log"]) == (2, 0, log.origin)


def test_a_replaced_public_key_in_the_database_is_named(ledgered):
    log = Log.objects.get(agency=ledgered.agency)
    attacker = note.generate_ed25519(log.origin)
    with tampering() as cursor:
        cursor.execute("UPDATE ledger_key SET vkey = %s WHERE log_id = %s", [attacker.vkey, log.pk])
    code, report = run_verify()
    assert code == 1
    [p] = problems(report, "key_mismatch")
    assert p["actual"] == attacker.vkey


def test_a_forged_cosignature_is_named(ledgered):
    cos = (
        Cosignature.objects.select_related("checkpoint")
        .filter(checkpoint__log__agency=ledgered.agency)
        .first()
    )
    line = cos.line
    forged = line[:-10] + ("A" if line[-10] != "A" else "B") + line[-9:]
    with tampering() as cursor:
        cursor.execute("UPDATE ledger_cosignature SET line = %s WHERE id = %s", [forged, cos.pk])
    code, report = run_verify()
    assert code == 1
    [p] = problems(report, "cosignature")
    assert p["checkpoint"] == str(cos.checkpoint.public_id)


def test_the_text_report_names_items_and_a_scheduled_run_alerts(ledgered, caplog):
    from quanlu.ledger.models import Verification
    from quanlu.ledger.tasks import verify_and_alert

    event = _case_event(ledgered)
    with tampering() as cursor:
        cursor.execute("DELETE FROM ledger_event WHERE seq = %s", [event.seq])
    out = io.StringIO()
    with pytest.raises(CommandError) as info:
        call_command("ledger", "verify", stdout=out)
    assert info.value.returncode == 1
    assert f"事件 #{event.seq}" in out.getvalue()
    assert "结论：发现" in out.getvalue()
    assert verify_and_alert() is False
    assert any(r.levelname == "CRITICAL" and f"#{event.seq}" in r.getMessage() for r in caplog.records)
    last = Verification.objects.order_by("-finished_at").first()
    assert last is not None
    assert not last.ok
    assert last.problems[0]["event_seq"] == event.seq
    assert Key.objects.exists()
