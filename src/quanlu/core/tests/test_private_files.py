"""Files private by default: what the `quanlu` command creates (database, secret, keys,
blobs, exports) is 0600/0700, and a system check (quanlu.W002) warns about anything
group or other users can reach."""

import os
import stat
import subprocess
import sys

from django.core import checks

from quanlu.core.checks import check_private_files

SCRIPT = """
from types import SimpleNamespace
from django.conf import settings
from quanlu.archive.bagwriter import PayloadFile, write_bag
from quanlu.archive.exporting import export_target
from quanlu.archive.package import package_bag_info
from quanlu.blobs.store import get_store

store = get_store()
result = store.put_stream([b"%PDF-1.7 a decision"])
store.writer().write(b"a staging file")  # left behind, as by a killed upload
info = package_bag_info(
    source_organization="某县自然资源局", archive_number="X001-WS-2024-D30-ZF-0001",
    case_number="某自然资罚〔2024〕7号", retention="y30", case_closed_date="2024-06-30",
)
target = export_target(SimpleNamespace(archive_number="X001-WS-2024-D30-ZF-0001", exports=SimpleNamespace(count=lambda: 0)))
payload = [PayloadFile(store.local_path(result.sha256), "文书/01-决定书.pdf", {"sha256": result.sha256}, size=result.size)]
write_bag(target, payload, info)
print(target)
"""


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def quanlu(*args, env, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "quanlu", *args],
        env=env,
        check=True,
        timeout=300,
        capture_output=True,
        text=True,
        **kwargs,
    )


def test_what_the_quanlu_command_creates_is_the_owners_alone(tmp_path):
    data = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUANLU_")}
    env["QUANLU_DATA_DIR"] = str(data)
    quanlu("migrate", "--noinput", "-v0", env=env)
    quanlu("ledger", "keys", "--init", env=env)
    bag = quanlu("shell", env=env, input=SCRIPT).stdout.strip().splitlines()[-1]

    files = [p for p in data.rglob("*") if p.is_file()]
    folders = [data, *(p for p in data.rglob("*") if p.is_dir())]
    names = {p.relative_to(data).as_posix() for p in files}
    assert {"quanlu.sqlite3", "secret_key", "keys/log-system.key"} <= names
    assert any(n.startswith("blobs/sha256/") for n in names)
    assert any(n.startswith("blobs/tmp/") for n in names)
    assert any(n.startswith(f"exports/{os.path.basename(bag)}/data/") for n in names)
    assert {p.relative_to(tmp_path).as_posix(): mode(p) for p in folders} == {
        p.relative_to(tmp_path).as_posix(): 0o700 for p in folders
    }
    wanted = {
        p.relative_to(data).as_posix(): 0o400 if "blobs/sha256/" in p.as_posix() else 0o600 for p in files
    }
    assert {p.relative_to(data).as_posix(): mode(p) for p in files} == wanted

    # The system check is silent on all of it; a folder opened to others is warned about.
    silent = subprocess.run(
        [sys.executable, "-m", "quanlu", "check"], env=env, capture_output=True, text=True, timeout=120
    )
    assert silent.returncode == 0
    assert "quanlu.W002" not in silent.stdout + silent.stderr
    (data / "blobs").chmod(0o755)
    loud = subprocess.run(
        [sys.executable, "-m", "quanlu", "check"], env=env, capture_output=True, text=True, timeout=120
    )
    assert "quanlu.W002" in loud.stderr
    assert f"QUANLU_BLOB_DIR {data / 'blobs'} can be read or written by other users (mode 755)" in loud.stderr


def _warned(tmp_path):
    return sorted(
        m.msg.split(" ")[0]
        for m in check_private_files(None)
        if m.id == "quanlu.W002" and str(tmp_path) in m.msg
    )


def test_the_check_warns_on_an_open_folder_and_is_silent_on_a_private_one(settings, tmp_path):
    for name in ("var", "blobs", "keys", "exports"):
        (tmp_path / name).mkdir(mode=0o700)
    (tmp_path / "keys" / "log-system.key").write_text("secret")
    (tmp_path / "keys" / "log-system.key").chmod(0o600)
    settings.DATA_DIR = tmp_path / "var"
    settings.QUANLU_BLOB_DIR = tmp_path / "blobs"
    settings.QUANLU_KEY_DIR = tmp_path / "keys"
    settings.QUANLU_ARCHIVE_EXPORT_DIR = tmp_path / "exports"
    assert _warned(tmp_path) == []

    for name in ("var", "blobs", "exports"):
        (tmp_path / name).chmod(0o755)
    (tmp_path / "keys" / "log-system.key").chmod(0o640)
    assert _warned(tmp_path) == [
        "QUANLU_ARCHIVE_EXPORT_DIR",
        "QUANLU_BLOB_DIR",
        "QUANLU_DATA_DIR",
        "QUANLU_KEY_DIR",
    ]
    ids = {m.id for m in checks.run_checks(tags=[checks.Tags.security])}
    assert "quanlu.W002" in ids
