"""The sequencer, keys, checkpoints, cosignatures, proofs and anchors, on the database."""

from __future__ import annotations

import logging
import os
import stat
import threading

import pytest
from django.db import connection, transaction

from quanlu.core.errors import Conflict
from quanlu.ledger import anchors, keys, merkle, note, proofs, sequencer, sm2, tlogproof
from quanlu.ledger import services as ledger
from quanlu.ledger.models import Checkpoint, Cosignature, Event, Key, Leaf, Log, Pending
from quanlu.ledger.tree import StoredTree
from quanlu.ledger.verify import verify
from quanlu.org.selectors import supervisor_of
from quanlu.testing import factories


def _integrate(**kwargs):
    return ledger.ledger_integrate(**kwargs)


def _log_of(agency):
    return Log.objects.get(agency=agency)


def test_each_event_learns_its_leaf_index_in_its_agencys_log(world):
    world.open_case()
    assert Pending.objects.count() == Event.objects.count()
    result = _integrate()
    assert result.integrated == Event.objects.count()
    assert not Pending.objects.exists()
    for event in Event.objects.all():
        leaf = Leaf.objects.select_related("log").get(event_seq=event.seq)
        assert leaf.log.agency_id == event.agency_id
        assert leaf.event_uid == event.uid
        assert bytes(leaf.leaf_hash) == event.leaf_hash()
    for log in Log.objects.all():
        indices = sorted(Leaf.objects.filter(log=log).values_list("index", flat=True))
        assert indices == list(range(len(indices)))
    system = Log.objects.get(agency__isnull=True)
    assert system.origin == "quanlu.local/ledger/system"
    assert _log_of(world.agency).origin == f"quanlu.local/ledger/{world.agency.public_id}"


def test_each_log_signs_a_c2sp_checkpoint_over_its_leaves(world):
    world.open_case()
    _integrate()
    log = _log_of(world.agency)
    cp = Checkpoint.objects.get(log=log)
    hashes = [
        bytes(h) for h in Leaf.objects.filter(log=log).order_by("index").values_list("leaf_hash", flat=True)
    ]
    assert cp.size == len(hashes)
    assert bytes(cp.root) == merkle.root_from_leaf_hashes(hashes)
    vkey = Key.objects.get(log=log, algorithm="ed25519").vkey
    checkpoint, signers, _ = tlogproof.open_checkpoint(cp.note, [vkey], origin=log.origin)
    assert (checkpoint.size, checkpoint.root) == (cp.size, bytes(cp.root))
    assert signers == (log.origin,)


def test_the_supervising_agency_cosigns_its_subordinates_checkpoints(world):
    world.open_case()
    case_other = factories.world()  # another set of agencies: its "other" agency has no supervisor
    _integrate()
    home = Checkpoint.objects.get(log__agency=world.agency)
    [cos] = home.cosignatures.select_related("witness")
    assert cos.witness.agency == world.superior  # the parent agency
    superior_cp = Checkpoint.objects.filter(log__agency=world.superior).first()
    if superior_cp is not None:  # the superior's own events are witnessed by the region's justice bureau
        assert superior_cp.cosignatures.get().witness.agency == world.justice
    assert supervisor_of(world.superior) == world.justice
    assert supervisor_of(world.other) is None
    assert supervisor_of(case_other.agency) == case_other.superior
    witness_vkey = Key.objects.get(witness=cos.witness).vkey
    _, _, cosigners = tlogproof.open_checkpoint(
        sequencer.checkpoint_note(home),
        Key.objects.filter(log=home.log).values_list("vkey", flat=True),
        witness_keys=[witness_vkey],
        quorum=1,
    )
    assert cosigners == (cos.witness.name,)


def test_batches_restarts_and_every_pair_of_checkpoints_stay_consistent(world):
    world.open_case()
    _integrate(batch_size=3)
    for _ in range(3):
        world.open_case()
        _integrate(batch_size=2)
    log = _log_of(world.agency)
    checkpoints = list(Checkpoint.objects.filter(log=log).order_by("size"))
    assert len(checkpoints) > 3
    hashes = [
        bytes(h) for h in Leaf.objects.filter(log=log).order_by("index").values_list("leaf_hash", flat=True)
    ]
    # A fresh reader (as after a restart) folds the stored nodes to the same root.
    assert (
        StoredTree(log.pk).root(len(hashes))
        == merkle.root_from_leaf_hashes(hashes)
        == bytes(checkpoints[-1].root)
    )
    for old in checkpoints:
        for new in checkpoints:
            if 0 < old.size <= new.size:
                _, _, proof = proofs.consistency(log, old.size, new.size)
                assert merkle.verify_consistency(old.size, new.size, proof, bytes(old.root), bytes(new.root))
    witness_sizes = list(
        Cosignature.objects.filter(checkpoint__log=log).order_by("pk").values_list("size", flat=True)
    )
    assert witness_sizes == sorted(witness_sizes)
    assert len(witness_sizes) == len(checkpoints)


def test_private_keys_are_0600_files_outside_the_database_and_never_logged(world, caplog, key_dir):
    caplog.set_level(logging.DEBUG)
    world.open_case()
    _integrate()
    files = sorted(p.name for p in key_dir.iterdir())
    assert f"log-{world.agency.public_id}.key" in files
    assert "log-system.key" in files
    assert f"witness-{world.superior.public_id}.key" in files
    assert stat.S_IMODE(key_dir.stat().st_mode) == 0o700
    assert "queue.key" in files  # the pending queue's HMAC key (ledger/queue.py)
    for path in key_dir.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert path.name == "queue.key" or path.read_text().startswith("PRIVATE+KEY+")
    secrets = [p.read_text().strip().split("+", 4)[-1] for p in key_dir.iterdir()]
    assert all("PRIVATE" not in k.vkey for k in Key.objects.all())
    assert not any(secret in caplog.text for secret in secrets)
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            if table.startswith("ledger_"):
                cursor.execute(f"SELECT * FROM {table}")
                dump = repr(cursor.fetchall())
                assert "PRIVATE+KEY" not in dump
                assert not any(s in dump for s in secrets)


def test_a_missing_key_file_stops_signing_and_keeps_the_queue(world, key_dir):
    case = world.open_case()
    _integrate()
    (key_dir / f"log-{world.agency.public_id}.key").unlink()
    world.request(case, "initiation")
    with pytest.raises(keys.KeyFileError, match="不会自动生成新密钥"):
        _integrate()
    assert Pending.objects.exists()
    assert not (key_dir / f"log-{world.agency.public_id}.key").exists()


def test_a_swapped_key_file_is_refused(world, key_dir):
    case = world.open_case()
    _integrate()
    log = _log_of(world.agency)
    path = key_dir / f"log-{world.agency.public_id}.key"
    os.chmod(path, 0o600)
    path.write_text(note.generate_ed25519(log.origin).skey)
    world.request(case, "initiation")
    with pytest.raises(sequencer.LedgerError, match="公钥不符"):
        _integrate()


def test_a_tampered_tree_is_not_extended(world):
    from quanlu.ledger import triggers

    case = world.open_case()
    _integrate()
    log = _log_of(world.agency)
    # A stored node on the tree's right border (what the next append builds on).
    level, index = merkle.root_plan(Checkpoint.objects.get(log=log).size)[0]
    if level & 1:  # odd levels are not stored: change its left child instead
        level, index = level - 1, 2 * index
    triggers.uninstall(connection)
    try:
        with connection.cursor() as cursor:
            if level == 0:
                cursor.execute(
                    "UPDATE ledger_leaf SET leaf_hash = %s WHERE log_id = %s AND idx = %s",
                    [b"\x00" * 32, log.pk, index],
                )
            else:
                cursor.execute(
                    "UPDATE ledger_node SET hash = %s WHERE log_id = %s AND level = %s AND idx = %s",
                    [b"\x00" * 32, log.pk, level, index],
                )
            assert cursor.rowcount == 1
    finally:
        triggers.install(connection)
    world.request(case, "initiation")
    with pytest.raises(sequencer.LedgerError) as info:
        _integrate()
    assert info.value.code == "tree_mismatch"


def test_a_witness_refuses_a_checkpoint_inconsistent_with_what_it_cosigned(world):
    world.open_case()
    _integrate()
    log = _log_of(world.agency)
    witness = Cosignature.objects.get(checkpoint__log=log).witness
    # Someone with the log's key signs a bigger tree that does not extend the old one.
    forged = sequencer.checkpoint_sign(log, Checkpoint.objects.get(log=log).size + 5, b"\x42" * 32)
    with pytest.raises(sequencer.LedgerError) as info:
        sequencer.checkpoint_cosign(forged, witness)
    assert info.value.code == "inconsistent"


def test_a_witness_refuses_a_fork_at_the_same_size(world):
    world.open_case()
    _integrate()
    log = _log_of(world.agency)
    cp = Checkpoint.objects.get(log=log)
    witness = cp.cosignatures.get().witness
    forged = sequencer.checkpoint_sign(log, cp.size, b"\x42" * 32)
    with pytest.raises(sequencer.LedgerError, match="分叉") as info:
        sequencer.checkpoint_cosign(forged, witness)
    assert info.value.code == "fork"


def test_ledger_rows_are_append_only(world):
    from django.db import DatabaseError

    world.open_case()
    _integrate()
    for sql in (
        "UPDATE ledger_leaf SET idx = idx + 100",
        "DELETE FROM ledger_node",
        "UPDATE ledger_checkpoint SET size = 1",
        "DELETE FROM ledger_key",
        "DELETE FROM ledger_cosignature",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cur,
        ):
            cur.execute(sql)


@pytest.mark.skipif(not sm2.available(), reason="gmssl-pyx is not installed")
def test_sm2_signs_checkpoints_beside_ed25519_when_enabled(world, settings):
    world.open_case()
    _integrate()
    settings.QUANLU_LEDGER_SM2 = True
    world.open_case()
    _integrate()
    log = _log_of(world.agency)
    sm2_key = Key.objects.get(log=log, algorithm="sm2")
    latest = sequencer.latest_checkpoint(log)
    assert latest is not None
    opened = note.open_note(latest.note, [note.parse_vkey(sm2_key.vkey)])
    assert len(opened.verified) == 1
    assert verify().ok  # old Ed25519-only checkpoints still verify after SM2 is switched on


# --- proofs ------------------------------------------------------------------------------


def test_an_event_proof_verifies_offline_with_the_logs_key(world):
    case = world.open_case()
    _integrate()
    event = Event.objects.filter(case_uid=case.public_id).first()
    proof = proofs.event_prove(event)
    result = tlogproof.verify_tlog_proof(proof.proof, proof.entry, proof.as_dict()["vkeys"])
    assert result.index == proof.index
    assert result.checkpoint.origin == proof.log.origin
    assert result.witnesses == ()  # none asked for; the cosignature line is there for whoever wants it
    assert tlogproof.verify_tlog_proof(
        proof.proof,
        proof.entry,
        proof.as_dict()["vkeys"],
        witness_keys=list(Key.objects.filter(witness__isnull=False).values_list("vkey", flat=True)),
        quorum=1,
    ).witnesses
    assert proof.entry == event.canonical_bytes()


def test_a_proof_against_an_older_checkpoint_and_refusals(world):
    case = world.open_case()
    first = Event.objects.filter(case_uid=case.public_id).first()
    with pytest.raises(Conflict, match="尚未入树"):
        proofs.event_prove(first)
    _integrate()
    old_size = Checkpoint.objects.get(log__agency=world.agency).size
    world.request(case, "initiation")
    _integrate()
    proof = proofs.event_prove(first, size=old_size)
    assert proof.checkpoint.size == old_size
    later = Event.objects.filter(case_uid=case.public_id).order_by("-seq").first()
    from quanlu.core.errors import InvalidInput, NotFound

    with pytest.raises(InvalidInput, match="不在树大小为"):
        proofs.event_prove(later, size=old_size)
    with pytest.raises(NotFound):
        proofs.event_prove(first, size=old_size + 1000)


def test_consistency_bundles_verify_offline(world):
    case = world.open_case()
    _integrate()
    log = _log_of(world.agency)
    old = Checkpoint.objects.get(log=log).size
    world.request(case, "initiation")
    _integrate()
    bundle = proofs.consistency_bundle(log, old)
    vkeys = list(log.keys.values_list("vkey", flat=True))
    a, b = tlogproof.verify_consistency_bundle(bundle, vkeys)
    assert a.size == old
    assert b.size > old
    with pytest.raises((note.NoteError, merkle.MerkleError)):
        tlogproof.verify_consistency_bundle(bundle.replace('"proof": [', '"proof": ["AAAA", '), vkeys)
    with pytest.raises(note.NoteError):
        tlogproof.verify_consistency_bundle("{not json", vkeys)


# --- anchors ------------------------------------------------------------------------------


def test_an_anchor_proves_later_that_the_log_was_not_rewritten(world):
    case = world.open_case()
    _integrate()
    log = _log_of(world.agency)
    _anchor, text = ledger.anchor_export(actor=world.archivist, log=log, recipient="测试市司法局")
    assert text.startswith("quanlu.anchor@v1\n")
    assert "recipient 测试市司法局" in text
    assert Event.objects.filter(type="ledger:anchor:exported").exists()
    world.request(case, "initiation")
    _integrate()
    result = ledger.anchor_verify(actor=None, text=text)
    assert result.ok, result.problems
    assert result.current_size > result.anchored_size
    # Someone rewrites history and signs it with the log's own key: the anchor catches it.
    sequencer.checkpoint_sign(log, result.current_size + 3, b"\x13" * 32)
    later = ledger.anchor_verify(actor=None, text=text)
    assert not later.ok
    assert later.problems


def test_a_malformed_or_foreign_anchor_is_refused_clearly(world):
    from quanlu.core.errors import InvalidInput

    with pytest.raises(InvalidInput, match="锚定文件格式不正确"):
        anchors.check("hello\n\nworld")
    with pytest.raises(InvalidInput, match="过大"):
        anchors.check(b"x" * (anchors.MAX_ANCHOR_BYTES + 1))
    signer = note.generate_ed25519("example.com/elsewhere")
    body = note.Checkpoint("example.com/elsewhere", 1, b"\x00" * 32).body()
    text = (
        f"quanlu.anchor@v1\nlog example.com/elsewhere\nvkey {signer.vkey}\n\n"
        + note.sign_note(body, [signer]).render()
    )
    result = anchors.check(text)
    assert not result.ok
    assert "没有日志" in result.problems[0]


# --- two sequencers at once --------------------------------------------------------------


def test_two_sequencers_at_once_integrate_each_event_exactly_once(transactional_db):
    w = factories.world()
    for _ in range(3):
        w.open_case()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            for _ in range(3):
                ledger.ledger_integrate(batch_size=4)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    ledger.ledger_integrate()
    assert Leaf.objects.count() == Event.objects.count() - Pending.objects.count()
    assert not Pending.objects.exists()
    report = verify()
    assert report.ok, [p.message for p in report.problems]
