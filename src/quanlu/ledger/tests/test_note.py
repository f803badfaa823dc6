"""Signed notes, checkpoints, cosignatures and tlog-proof receipts against the C2SP/Go
examples and the real sum.golang.org receipt. No database."""

from __future__ import annotations

import base64
import json
import subprocess
import sys

import pytest

from quanlu.ledger import merkle, note, sm2, tlogproof
from quanlu.ledger.note import NoteError
from quanlu.ledger.tests.conftest import VECTORS

NOTES = json.loads((VECTORS / "signed_note_vectors.json").read_text())
GO = NOTES["golang_mod_sumdb_note"]
DERIVED = NOTES["derived_checkpoint_8leaf"]
SUMDB_VKEY = NOTES["real_sum_golang_org_checkpoints"]["vkey"]
SUMDB_PROOF = VECTORS / "sumdb-tlog-proof" / "go.sum-database-tree-43930254.tlog-proof"
SUMDB_RAW = VECTORS / "sumdb-tlog-proof" / "go.sum-database-tree-43930254.raw"
SM2_KAT = json.loads((VECTORS / "sm3_sm2_vectors.json").read_text())["sm2_signature_recommended_curve"]


# --- signed-note ---------------------------------------------------------------------------


def test_the_c2sp_example_note_verifies():
    example = NOTES["c2sp_signed_note_example"]
    opened = note.open_note(example["note"], [note.parse_vkey(example["vkey"])])
    assert opened.note.text == example["text"]
    assert [s.name for s in opened.verified] == ["example.com/foo"]


def test_go_private_key_reproduces_the_published_signature_byte_for_byte():
    signer = note.parse_skey(GO["signer_key"])
    assert signer.vkey == GO["vkey_peter"]
    assert signer.seed.hex() == GO["signer_seed_hex"]
    assert note.sign_note(GO["text"], [signer]).render() == GO["signed_note_peter"]


def test_a_note_signed_by_two_keys_verifies_with_either_and_ignores_the_unknown_one():
    peter, enoch = note.parse_vkey(GO["vkey_peter"]), note.parse_vkey(GO["vkey_enoch"])
    both = GO["signed_note_both"]
    assert [s.name for s in note.open_note(both, [peter]).verified] == ["PeterNeumann"]
    assert [s.name for s in note.open_note(both, [enoch]).unknown] == ["PeterNeumann"]
    assert len(note.open_note(both, [peter, enoch]).verified) == 2


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(lambda s: GO["text"], id="text-alone"),
        pytest.param(lambda s: GO["text"] + "\n", id="text-and-blank-line"),
        pytest.param(lambda s: "\x01" + s, id="control-character"),
        pytest.param(lambda s: s.replace("— PeterNeumann", "— Peter Neumann"), id="name-with-space"),
        pytest.param(lambda s: s + "hello\n", id="line-after-signatures"),
        pytest.param(lambda s: s[:-1], id="no-final-newline"),
        pytest.param(lambda s: s.replace("— PeterNeumann ", "— PeterNeumann !!!"), id="bad-base64"),
        pytest.param(lambda s: GO["text"] + "\n— PeterNeumann AAAA\n", id="signature-too-short"),
        pytest.param(lambda s: s + "".join(s.split("\n\n")[-1] for _ in range(101)), id="101-signatures"),
    ],
)
def test_malformed_notes_are_refused_with_a_reason(text):
    with pytest.raises(NoteError) as info:
        note.open_note(text(GO["signed_note_peter"]), [note.parse_vkey(GO["vkey_peter"])])
    assert info.value.code in {"malformed_note", "bad_base64"}


def test_invalid_utf8_is_refused():
    with pytest.raises(NoteError, match="UTF-8"):
        note.parse_note(b"\xff" + GO["signed_note_peter"].encode())


def test_a_tampered_signature_from_a_known_key_rejects_the_note():
    signed = GO["signed_note_peter"]
    b64 = signed.split("— PeterNeumann ")[1].strip()
    forged = signed.replace(b64, b64[:60] + "ABCD" + b64[64:])
    with pytest.raises(NoteError) as info:
        note.open_note(forged, [note.parse_vkey(GO["vkey_peter"])])
    assert info.value.code == "invalid_signature"


def test_a_note_with_only_unknown_key_ids_is_refused():
    with pytest.raises(NoteError) as info:
        note.open_note(GO["signed_note_peter"], [note.parse_vkey(GO["vkey_enoch"])])
    assert info.value.code == "unknown_key"
    assert "PeterNeumann+c74f20a3" in str(info.value)


def test_a_known_name_with_another_key_id_is_an_unknown_key():
    other = note.generate_ed25519("PeterNeumann")
    with pytest.raises(NoteError, match="没有来自已知密钥"):
        note.open_note(GO["signed_note_peter"], [other.verifier()])


@pytest.mark.parametrize(
    "vkey",
    [
        "PeterNeumann+c74f20a3",
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10",
        "PeterNeumann+c74f20a3+not-base64!",
        "x+00000000+Bw==",
        12345,
    ],
)
def test_malformed_verifier_keys_are_refused(vkey):
    with pytest.raises(NoteError):
        note.parse_vkey(vkey)


def test_key_ids_follow_the_c2sp_formula():
    for example in NOTES["key_id_formula"]["examples"]:
        typed = bytes([example["type"]]) + bytes.fromhex(example["pubkey_hex"])
        assert f"{note.key_id(example['name'], typed):08x}" == example["key_id"]


# --- checkpoints and cosignatures ----------------------------------------------------------


@pytest.mark.parametrize("example", NOTES["checkpoint_body_marshal"]["examples"], ids=lambda e: e["origin"])
def test_checkpoint_body_encoding(example):
    cp = note.Checkpoint(example["origin"], example["size"], example["hash_ascii"].encode())
    assert cp.body() == example["body"]


def test_the_sumdb_tree_format():
    example = NOTES["sumdb_format_tree"]
    root = merkle.leaf_hash(example["record"].encode())
    assert note.Checkpoint("go.sum database tree", example["size"], root).body() == example["body"]


@pytest.mark.parametrize(
    "cp", NOTES["real_sum_golang_org_checkpoints"]["checkpoints"], ids=lambda c: c["note"].split("\n")[1]
)
def test_real_sum_golang_org_checkpoints_verify_with_the_published_key(cp):
    checkpoint, signers, _ = tlogproof.open_checkpoint(cp["note"], [SUMDB_VKEY])
    assert checkpoint.origin == "go.sum database tree"
    assert signers == ("sum.golang.org",)


def test_format_only_examples_parse_but_have_no_known_key():
    example = NOTES["c2sp_format_only_examples"]["tlog_checkpoint"]
    parsed = note.parse_checkpoint(note.parse_note(example).text)
    assert parsed.size == 20852163
    with pytest.raises(NoteError, match="已知密钥"):
        note.open_note(example, [note.parse_vkey(SUMDB_VKEY)])


@pytest.mark.parametrize(
    "text",
    [
        "origin\n12\n",
        "origin\n012\n" + base64.b64encode(b"\x00" * 32).decode() + "\n",
        "origin\n-1\n" + base64.b64encode(b"\x00" * 32).decode() + "\n",
        "\n12\n" + base64.b64encode(b"\x00" * 32).decode() + "\n",
        "origin\n12\n" + base64.b64encode(b"\x00" * 31).decode() + "\n",
        "origin\n12\n" + base64.b64encode(b"\x00" * 32).decode() + "\n\n",
        "origin\n12\n" + base64.b64encode(b"\x00" * 32).decode(),
        "origin\n99999999999999999999\n" + base64.b64encode(b"\x00" * 32).decode() + "\n",
    ],
)
def test_malformed_checkpoints_are_refused(text):
    with pytest.raises(NoteError):
        note.parse_checkpoint(text)


def test_the_derived_checkpoint_and_its_cosignature_reproduce():
    log_signer = note.parse_skey(DERIVED["log"]["skey_go_format"])
    assert log_signer.vkey == DERIVED["log"]["vkey"]
    assert note.sign_note(DERIVED["checkpoint_body"], [log_signer]).render() == DERIVED["signed_checkpoint"]
    w = DERIVED["witness_cosignature_v1"]
    witness = note.CosignatureSigner(w["name"], bytes.fromhex(w["seed_hex"]), timestamp=w["timestamp"])
    assert witness.vkey == w["vkey"]
    assert (
        note.cosignature_message(DERIVED["checkpoint_body"], w["timestamp"]).decode() == w["signed_message"]
    )
    line = note.Signature(
        witness.name, witness.key_id, witness.sign(DERIVED["checkpoint_body"].encode())
    ).line
    assert line == w["signature_line"]
    _, signers, cosigners = tlogproof.open_checkpoint(
        DERIVED["checkpoint_with_cosignature"], [DERIVED["log"]["vkey"]], witness_keys=[w["vkey"]], quorum=1
    )
    assert signers == ("example.com/records-test-log",)
    assert cosigners == ("example.com/test-witness",)


def test_a_cosignature_over_another_checkpoint_is_invalid():
    w = DERIVED["witness_cosignature_v1"]
    other_body = DERIVED["checkpoint_body"].replace("\n8\n", "\n9\n")
    forged = other_body + "\n" + w["signature_line"]
    with pytest.raises(NoteError, match="签名无效"):
        note.open_note(forged, [note.parse_vkey(w["vkey"])])


def test_the_witness_quorum_is_enforced():
    with pytest.raises(NoteError) as info:
        tlogproof.open_checkpoint(DERIVED["signed_checkpoint"], [DERIVED["log"]["vkey"]], quorum=1)
    assert info.value.code == "quorum_not_met"


def test_a_witness_key_alone_does_not_make_a_log_signature():
    w = DERIVED["witness_cosignature_v1"]
    with pytest.raises(NoteError):
        tlogproof.open_checkpoint(DERIVED["checkpoint_with_cosignature"], [w["vkey"]])


# --- tlog-proof receipts -----------------------------------------------------------------


def test_the_real_sum_golang_org_receipt_verifies_with_its_key():
    result = tlogproof.verify_tlog_proof(SUMDB_PROOF.read_bytes(), SUMDB_RAW.read_bytes(), [SUMDB_VKEY])
    assert result.index == 43930254
    assert result.checkpoint.size == 58253265
    assert result.leaf_hash.hex() == "0fa57c511c3b2ffcc0a05ad63172568d265aaf9844e9b636a0978795396f2ab1"
    assert tlogproof.parse_tlog_proof(SUMDB_PROOF.read_text()).render() == SUMDB_PROOF.read_text()


def test_the_real_receipt_fails_for_other_data_another_key_or_a_changed_index():
    proof = SUMDB_PROOF.read_text()
    with pytest.raises(merkle.MerkleError):
        tlogproof.verify_tlog_proof(proof, SUMDB_RAW.read_bytes() + b"x", [SUMDB_VKEY])
    with pytest.raises(NoteError):
        tlogproof.verify_tlog_proof(proof, SUMDB_RAW.read_bytes(), [GO["vkey_peter"]])
    with pytest.raises(merkle.MerkleError):
        tlogproof.verify_tlog_proof(
            proof.replace("index 43930254", "index 43930255"), SUMDB_RAW.read_bytes(), [SUMDB_VKEY]
        )
    with pytest.raises(NoteError):
        tlogproof.verify_tlog_proof(proof, SUMDB_RAW.read_bytes(), [SUMDB_VKEY], origin="example.com/log")


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda p: p.replace("c2sp.org/tlog-proof@v1", "c2sp.org/tlog-proof@v2"), "malformed_proof"),
        (lambda p: p.replace("index 43930254", "index 043930254"), "malformed_proof"),
        (lambda p: p.replace("index 43930254\n", ""), "malformed_proof"),
        (
            lambda p: p.replace("Q2cuq1e21q4UC1RQ6wtmXmCxk2q3Wqz/yFvD12P2KSM=", "Q2cuq1e21q4UC1RQ6wtm"),
            "malformed_proof",
        ),
        (lambda p: p.replace("Q2cuq1e21q4UC1RQ6wtmXmCxk2q3Wqz/yFvD12P2KSM=", "!!!"), "malformed_proof"),
        (
            lambda p: p.replace(
                "index 43930254\n",
                "index 43930254\n" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n" * 200,
            ),
            "proof_too_long",
        ),
        (lambda p: p.replace("\n\n", "\n", 1), "malformed_proof"),
        (lambda p: p.split("\n\n")[0] + "\n\ngo.sum database tree\n", "malformed_note"),
    ],
)
def test_malformed_receipts_are_refused(mutate, code):
    with pytest.raises(NoteError) as info:
        tlogproof.verify_tlog_proof(mutate(SUMDB_PROOF.read_text()), SUMDB_RAW.read_bytes(), [SUMDB_VKEY])
    assert info.value.code == code


def test_an_oversized_receipt_is_refused_before_parsing():
    with pytest.raises(NoteError, match="过大"):
        tlogproof.parse_tlog_proof(b"x" * (tlogproof.MAX_PROOF_BYTES + 1))


def test_a_receipt_with_extra_data_round_trips():
    proof = tlogproof.parse_tlog_proof(SUMDB_PROOF.read_text())
    with_extra = tlogproof.TlogProof(
        proof.index, proof.path, proof.checkpoint_note, extra=b"context"
    ).render()
    assert tlogproof.parse_tlog_proof(with_extra).extra == b"context"
    assert tlogproof.verify_tlog_proof(with_extra, SUMDB_RAW.read_bytes(), [SUMDB_VKEY]).index == proof.index


def test_the_standalone_verifier_runs_without_django(tmp_path):
    """The archive ships merkle.py, note.py, sm2.py and tlogproof.py: they must not need Django."""
    vkey = tmp_path / "sumdb.vkey"
    vkey.write_text(SUMDB_VKEY + "\n")
    code = (
        "import sys, runpy\n"
        "sys.argv = ['tlog-verify', sys.argv[1], '--vkey', sys.argv[2], '--data', sys.argv[3]]\n"
        "try:\n"
        "    runpy.run_module('quanlu.ledger.tlogproof', run_name='__main__')\n"
        "except SystemExit as exc:\n"
        "    assert 'django' not in sys.modules, sorted(m for m in sys.modules if 'django' in m)\n"
        "    raise\n"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(sm2.__file__).rsplit("/quanlu/", 1)[0]}
    ok = subprocess.run(
        [sys.executable, "-c", code, str(SUMDB_PROOF), str(vkey), str(SUMDB_RAW)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert "验证通过" in ok.stdout
    assert "43930254" in ok.stdout
    bad = tmp_path / "bad.raw"
    bad.write_bytes(b"other data")
    failed = subprocess.run(
        [sys.executable, "-c", code, str(SUMDB_PROOF), str(vkey), str(bad)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert failed.returncode == 1
    assert "验证失败" in failed.stderr


# --- SM2/SM3 (optional 国密 signature) ------------------------------------------------------

needs_sm2 = pytest.mark.skipif(not sm2.available(), reason="gmssl-pyx is not installed")


@needs_sm2
def test_the_gmt_0003_signature_example_verifies():
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    public = b"\x04" + bytes.fromhex(SM2_KAT["xA"] + SM2_KAT["yA"])
    der = encode_dss_signature(int(SM2_KAT["r"], 16), int(SM2_KAT["s"], 16))
    verifier = sm2.SM2Verifier("example.gov.cn/log", public)
    assert verifier.verify(SM2_KAT["M_ascii"].encode(), der)
    assert not verifier.verify(b"message digesT", der)
    assert not verifier.verify(SM2_KAT["M_ascii"].encode(), der[:-1] + bytes([der[-1] ^ 1]))


@needs_sm2
def test_an_sm2_signature_line_rides_along_with_ed25519_on_a_checkpoint():
    ed = note.generate_ed25519("example.gov.cn/log")
    gm = sm2.generate("example.gov.cn/log")
    assert note.parse_skey(gm.skey).vkey == gm.vkey
    body = note.Checkpoint("example.gov.cn/log", 3, b"\x01" * 32).body()
    signed = note.sign_note(body, [ed, gm]).render()
    # A standard verifier that knows only the Ed25519 key ignores the SM2 line ...
    assert len(note.open_note(signed, [ed.verifier()]).unknown) == 1
    # ... a 国密 verifier checks it, alone or with the other.
    assert len(note.open_note(signed, [note.parse_vkey(gm.vkey)]).verified) == 1
    assert len(note.open_note(signed, [ed.verifier(), note.parse_vkey(gm.vkey)]).verified) == 2
    forged = signed.replace("\n3\n", "\n4\n")
    with pytest.raises(NoteError):
        note.open_note(forged, [note.parse_vkey(gm.vkey)])


@needs_sm2
def test_sm2_signatures_use_fresh_nonces():
    gm = sm2.generate("example.gov.cn/log")
    assert gm.sign(b"same message") != gm.sign(b"same message")
