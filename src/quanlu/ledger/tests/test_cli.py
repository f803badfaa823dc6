"""`quanlu ledger ...` from the command line."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from quanlu.ledger.models import Anchor, Event, Log
from quanlu.ledger.tests.conftest import VECTORS

SUMDB = VECTORS / "sumdb-tlog-proof"
SUMDB_VKEY = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"


def ledger(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("ledger", *args, stdout=out, stderr=err)
        code = 0
    except CommandError as exc:
        code = exc.returncode
        err.write(str(exc))
    return code, out.getvalue(), err.getvalue()


def test_integrate_checkpoint_prove_and_verify_offline(world, tmp_path):
    case = world.open_case()
    code, out, _ = ledger("integrate")
    assert code == 0
    assert "入树" in out
    assert "检查点" in out
    code, out, _ = ledger("checkpoint", world.agency.code)
    assert code == 0
    assert "验证公钥" in out
    assert Log.objects.get(agency=world.agency).origin in out
    event = Event.objects.filter(case_uid=case.public_id).first()
    proof, entry = tmp_path / "e.tlog-proof", tmp_path / "e.entry"
    code, _, _ = ledger("prove", str(event.seq), "-o", str(proof), "--entry", str(entry))
    assert code == 0
    assert proof.read_text().startswith("c2sp.org/tlog-proof@v1")
    vkey = Log.objects.get(agency=world.agency).keys.get(algorithm="ed25519").vkey
    code, out, _ = ledger("verify-proof", str(proof), "--vkey", vkey, "--data", str(entry))
    assert code == 0
    assert "验证通过" in out
    entry.write_bytes(entry.read_bytes().replace(b"penalty", b"Penalty"))
    code, _, err = ledger("verify-proof", str(proof), "--vkey", vkey, "--data", str(entry))
    assert code == 1
    assert "验证失败" in err
    code, out, _ = ledger("prove", str(event.uid), "--format", "json")
    assert json.loads(out)["seq"] == event.seq


def test_consistency_between_checkpoints_verifies_offline(world, tmp_path):
    case = world.open_case()
    ledger("integrate")
    log = Log.objects.get(agency=world.agency)
    old = log.checkpoints.get().size
    world.grant_gate(case, "initiation")
    ledger("integrate")
    bundle = tmp_path / "c.json"
    code, _, _ = ledger("consistency", log.origin, str(old), "-o", str(bundle))
    assert code == 0
    vkey = log.keys.get(algorithm="ed25519").vkey
    code, out, _ = ledger("verify-consistency", str(bundle), "--vkey", vkey)
    assert code == 0
    assert "一致" in out


def test_anchor_export_then_verify(world, tmp_path):
    world.open_case()
    ledger("integrate")
    anchor = tmp_path / "anchor.txt"
    code, _, _ = ledger(
        "anchor", "export", world.agency.code, "--recipient", "测试市司法局", "-o", str(anchor)
    )
    assert code == 0
    assert Anchor.objects.count() == 1
    world.open_case()
    ledger("integrate")
    code, out, _ = ledger("anchor", "verify", str(anchor))
    assert code == 0
    assert "未被改写" in out
    code, _, err = ledger("anchor", "verify", str(tmp_path / "missing.txt"))
    assert code == 2
    assert "无法读取" in err


def test_keys_init_makes_a_log_and_witness_for_every_agency(world, key_dir):
    code, out, _ = ledger("keys", "--init")
    assert code == 0
    assert "0600" in out
    assert Log.objects.filter(agency=world.other).exists()
    assert f"witness-{world.justice.public_id}.key" in os.listdir(key_dir)
    assert "PRIVATE" not in out


def test_friendly_errors_for_unknown_things(world):
    code, _, err = ledger("prove", "999999")
    assert code == 1
    assert "没有事件" in err
    code, _, err = ledger("checkpoint", "no-such-log")
    assert code == 1
    assert "没有日志" in err
    code, _, err = ledger("anchor", "export", "--recipient", "某局")
    assert code == 1
    assert "检查点" in err


def test_verify_proof_needs_no_database_and_accepts_the_real_sumdb_receipt(tmp_path):
    env = {
        **os.environ,
        "QUANLU_DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
        "QUANLU_DATA_DIR": str(tmp_path),
    }
    quanlu = Path(sys.executable).parent / "quanlu"
    args = [
        str(quanlu),
        "ledger",
        "verify-proof",
        str(SUMDB / "go.sum-database-tree-43930254.tlog-proof"),
        "--vkey",
        SUMDB_VKEY,
    ]
    ok = subprocess.run(
        [*args, "--data", str(SUMDB / "go.sum-database-tree-43930254.raw")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert "43930254" in ok.stdout
    other = tmp_path / "other.raw"
    other.write_text("golang.org/x/text v0.3.0 h1:nope\n")
    bad = subprocess.run([*args, "--data", str(other)], capture_output=True, text=True, env=env, check=False)
    assert bad.returncode == 1
    assert "验证失败" in bad.stderr


@pytest.mark.parametrize(
    "vkey", ["garbage", "sum.golang.org+033de0af+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"]
)
def test_verify_proof_refuses_bad_or_unknown_keys(vkey):
    code, _, err = ledger(
        "verify-proof",
        str(SUMDB / "go.sum-database-tree-43930254.tlog-proof"),
        "--vkey",
        vkey,
        "--data",
        str(SUMDB / "go.sum-database-tree-43930254.raw"),
    )
    assert code == 1
    assert "验证失败" in err
