"""The standalone verifier (plain python3, no third-party imports) and `quanlu archive verify`."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from quanlu.archive.bagwriter import PayloadFile, write_bag
from quanlu.archive.package import package_bag_info
from quanlu.archive.standalone import build
from quanlu.archive.tests.test_bagit_conformance import SUITE


@pytest.fixture(scope="module")
def standalone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The verifier as every export writes it: built from the modules it embeds."""
    return build.write(tmp_path_factory.mktemp("standalone") / "verify_package.py")


@pytest.fixture
def package(tmp_path: Path, standalone: Path) -> Path:
    src = tmp_path / "decision.pdf"
    src.write_bytes(b"%PDF-1.7 a decision")
    info = package_bag_info(
        source_organization="某市生态环境局",
        archive_number="X001-WS·2024-Y-ZF-0009",
        case_number="某环罚〔2024〕9号",
        retention="permanent",
        case_closed_date="2024-03-01",
    )
    written = write_bag(tmp_path / "package", [PayloadFile(src, "文书/决定书.pdf")], info)
    shutil.copy(standalone, written.path / "verify_package.py")
    return written.path


def run_standalone(*args: str) -> subprocess.CompletedProcess[str]:
    # -I: isolated (no user site, no PYTHON* variables); -S: no site-packages at all, so any
    # third-party import would fail here.
    return subprocess.run([sys.executable, "-I", "-S", *args], capture_output=True, text=True, timeout=120)


def test_the_build_command_writes_the_verifier_an_export_ships(tmp_path, monkeypatch):
    from quanlu.archive import exporting

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["build", "-o", str(tmp_path / "v.py")])
    assert build.main() == 0
    assert (tmp_path / "v.py").read_bytes() == exporting.standalone_verifier()
    assert os.access(tmp_path / "v.py", os.X_OK)


def test_the_verifier_parses_as_python_3_10():
    # 3.10: the embedded ledger modules use isinstance(x, A | B).
    source = build.build()
    ast.parse(source, feature_version=(3, 10))
    for name, rel in build.MODULES:
        ast.parse((build.SRC / rel).read_text(encoding="utf-8"), filename=name, feature_version=(3, 10))


def test_the_verifier_imports_only_the_standard_library():
    from quanlu.archive.standalone import crypto_shim

    short = {name.rsplit(".", 1)[-1] for name, _ in build.MODULES}
    # note.py's Ed25519 names come from the embedded shim, registered as cryptography's modules.
    allowed = set(sys.stdlib_module_names) | short | {"quanlu", "__future__", "cryptography"}
    for name, rel in build.MODULES:
        tree = ast.parse((build.SRC / rel).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("cryptography"):
                assert name == "quanlu.ledger.note", name
                assert node.module in crypto_shim.ALIASES
                assert all(hasattr(crypto_shim, a.name) for a in node.names)
    for _name, rel in build.MODULES:
        tree = ast.parse((build.SRC / rel).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                roots = {(node.module or "").split(".")[0]}
            else:
                continue
            assert roots <= allowed, f"{rel} imports {roots - allowed}"


def test_a_package_verifies_itself_with_plain_python(exported):
    done = run_standalone(str(exported / "verify_package.py"), str(exported))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "✓ 有效" in done.stdout
    assert "包内公钥（请与备考表所印核对）" in done.stdout


def test_a_writer_bag_without_a_ledger_is_not_a_quanlu_package(package):
    done = run_standalone(str(package / "verify_package.py"), str(package), "--format", "json")
    assert done.returncode == 1
    codes = {i["code"] for i in json.loads(done.stdout)["issues"]}
    # The fixture copied verify_package.py in untagged; what else is wrong is the missing ledger.
    assert codes == {"ledger.missing", "tag.not_in_manifest"}


def test_the_standalone_verifier_names_each_failure(package):
    payload = package / "data" / "文书" / "决定书.pdf"
    payload.write_bytes(payload.read_bytes().replace(b"a decision", b"A decision"))
    (package / "data" / "extra.txt").write_text("smuggled")
    done = run_standalone(str(package / "verify_package.py"), str(package), "--format", "json")
    assert done.returncode == 1
    body = json.loads(done.stdout)
    found = {(i["code"], i["file"]) for i in body["issues"] if i["level"] == "error"}
    assert ("manifest.checksum_mismatch", "data/文书/决定书.pdf") in found
    assert ("extra.checksum_mismatch", "data/文书/决定书.pdf") in found  # the SM3 list too
    assert ("payload.not_in_manifest", "data/extra.txt") in found


def test_editing_bag_info_is_caught(package, standalone):
    info = package / "bag-info.txt"
    info.write_text(info.read_text(encoding="utf-8").replace("永久", "10年"), encoding="utf-8")
    done = run_standalone(str(standalone), str(package), "--format", "json")
    assert done.returncode == 1
    issues = json.loads(done.stdout)["issues"]
    assert any(i["code"] == "manifest.checksum_mismatch" and i["file"] == "bag-info.txt" for i in issues)


def test_the_package_profile_is_checked_unless_bag_only(standalone):
    basic = SUITE / "v1.0" / "valid" / "basicBag"
    done = run_standalone(str(standalone), str(basic), "--format", "json")
    assert done.returncode == 1
    codes = {i["code"] for i in json.loads(done.stdout)["issues"]}
    assert {"package.label_missing", "package.sm3_missing", "package.manifest_missing"} <= codes
    assert run_standalone(str(standalone), "--bag-only", str(basic)).returncode == 0


def test_the_standalone_verifier_judges_the_suite_like_the_library(standalone):
    from quanlu.archive.tests.test_bagit_conformance import EXPECTED

    for bag, (verdict, _codes) in sorted(EXPECTED.items()):
        done = run_standalone(str(standalone), "--bag-only", str(SUITE / bag))
        assert done.returncode == (1 if verdict == "invalid" else 0), bag


def test_an_installed_quanlu_cannot_stand_in_for_the_embedded_code(tmp_path, exported, standalone):
    fake = tmp_path / "site" / "quanlu" / "archive"
    fake.mkdir(parents=True)
    (fake.parent / "__init__.py").write_text("")
    (fake / "__init__.py").write_text("")
    (fake / "bagit.py").write_text("raise SystemExit('the installed copy was used')\n")
    (fake.parent / "ledger").mkdir()
    (fake.parent / "ledger" / "__init__.py").write_text("")
    (fake.parent / "ledger" / "note.py").write_text("raise SystemExit('the installed copy was used')\n")
    (tmp_path / "site" / "cryptography").mkdir()
    (tmp_path / "site" / "cryptography" / "__init__.py").write_text("raise SystemExit('installed crypto')\n")
    done = subprocess.run(
        [sys.executable, "-S", str(standalone), str(exported)],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(tmp_path / "site")},
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


# --- the management command ----------------------------------------------------------------


def test_command_bag_only_accepts_a_valid_bag(capsys):
    call_command("archive", "verify", "--bag-only", str(SUITE / "v1.0" / "valid" / "basicBag"))
    assert "✓ 有效" in capsys.readouterr().out


def test_command_exits_non_zero_and_names_each_failure_as_json(capsys):
    bag = SUITE / "v0.97" / "invalid" / "corrupt-data-file"
    with pytest.raises(SystemExit) as exc:
        call_command("archive", "verify", "--bag-only", str(bag), "--format", "json")
    assert exc.value.code == 1
    body = json.loads(capsys.readouterr().out)
    assert body["valid"] is False
    assert body["profile"] == "bagit"
    assert ("manifest.checksum_mismatch", "data/bare-filename", 1) in {
        (i["code"], i["file"], i["line"]) for i in body["issues"]
    }


def test_command_checks_the_package_profile(exported, capsys):
    call_command("archive", "verify", str(exported), "--no-db")
    assert "✓ 有效" in capsys.readouterr().out
    (exported / "sm3sums.txt").unlink()
    with pytest.raises(SystemExit):
        call_command("archive", "verify", str(exported))
    out = capsys.readouterr().out
    assert "package.sm3_missing" in out
    assert "tag.missing" in out


def test_command_completeness_only(capsys):
    bag = SUITE / "v0.97" / "invalid" / "corrupt-data-file"
    with pytest.raises(SystemExit):  # the Oxum disagrees, which completeness sees
        call_command("archive", "verify", "--completeness-only", str(bag))
    call_command(
        "archive", "verify", "--completeness-only", str(SUITE / "v0.97" / "invalid" / "corrupt-tag-file")
    )
    assert "完整（未核对校验值）" in capsys.readouterr().out


def test_the_quanlu_console_script_runs_it(tmp_path):
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("quanlu")),
            "archive",
            "verify",
            "--bag-only",
            str(SUITE / "v1.0" / "valid" / "basicBag"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={"QUANLU_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
