"""`quanlu setup`: the real command on a fresh SQLite data folder, and the prompts."""

import builtins
import getpass
import os
import sqlite3
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from quanlu.ledger.models import Event
from quanlu.org.models import Agency, Officer, Role
from quanlu.testing import factories as f

QUANLU = Path(sys.executable).parent / "quanlu"


def test_setup_on_a_fresh_data_folder_then_refuses_a_second_run(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUANLU_")}
    env["QUANLU_DATA_DIR"] = str(data)

    def quanlu(*args):
        return subprocess.run([str(QUANLU), *args], capture_output=True, text=True, env=env, check=False)

    assert quanlu("migrate", "--no-input", "-v", "0").returncode == 0
    (tmp_path / "pw").write_text("Zunyi-Admin-2026\n")
    (tmp_path / "setup.yaml").write_text(
        "region_code: '520300'\nregion_name: 遵义市\nagency_code: zunyi-env\nagency_name: 遵义市生态环境局\n"
        f"kind: enforcement\nlevel: city\nrulebook: {f.R004}\ncase_prefix: 遵环\nuscc: {f.uscc()}\n"
        "admin_username: admin\nadmin_name: 管理员甲\n",
        encoding="utf-8",
    )
    args = ("setup", "--file", str(tmp_path / "setup.yaml"), "--password-file", str(tmp_path / "pw"))
    first = quanlu(*args)
    assert first.returncode == 0, first.stderr
    assert "已登记机关：遵义市生态环境局" in first.stdout
    assert "admin" in first.stdout
    again = quanlu(*args)
    assert again.returncode != 0
    assert "已设置，不能重复设置" in again.stderr
    # Read the new database directly (another command would cost seconds of start-up):
    # one agency, its administrator, no demo data.
    with sqlite3.connect(data / "quanlu.sqlite3") as conn:
        assert conn.execute("select code, rulebook_id from org_agency").fetchall() == [("zunyi-env", f.R004)]
        assert conn.execute("select username from org_officer").fetchall() == [("admin",)]
        assert conn.execute("select role from org_rolegrant").fetchall() == [("administrator",)]
        assert conn.execute("select count(*) from cases_case").fetchone() == (0,)


def test_setup_refuses_bad_input_and_writes_nothing(db, tmp_path):
    pw = tmp_path / "pw"
    pw.write_text("Zunyi-Admin-2026\n")
    base = [
        "setup",
        "--no-input",
        "--region-code=520300",
        "--region-name=遵义市",
        "--agency-code=zunyi-env",
        "--agency-name=遵义市生态环境局",
        "--level=city",
        "--admin-username=admin",
        "--admin-name=管理员甲",
        "--case-prefix=遵环",
        f"--password-file={pw}",
    ]
    before = Event.objects.count()
    with pytest.raises(CommandError, match="规则集"):
        call_command(*base, "--rulebook=999_nope", stdout=StringIO())
    with pytest.raises(CommandError, match="校验位"):
        call_command(*base, f"--rulebook={f.R004}", "--uscc=91130281MA0A1B2C30", stdout=StringIO())
    with pytest.raises(CommandError, match="--password-file"):
        call_command(*[a for a in base if not a.startswith("--password")], f"--rulebook={f.R004}")
    pw.write_text("12345678901\n")
    with pytest.raises(CommandError, match="数字"):
        call_command(*base, f"--rulebook={f.R004}", stdout=StringIO())
    assert Event.objects.count() == before
    assert not Agency.objects.exists()


def test_setup_asks_in_chinese(db, monkeypatch):
    answers = iter(
        [
            "520300",
            "遵义市",
            "zunyi-env",
            "遵义市生态环境局",
            "",
            "",
            "",
            f.R004,
            "遵环",
            "",
            "admin",
            "管理员甲",
        ]
    )
    prompts = []

    def fake_input(prompt=""):
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr(builtins, "input", fake_input)
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": "Zunyi-Admin-2026")
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    out = StringIO()
    call_command("setup", stdout=out)
    assert "行政区划代码" in prompts[0]
    assert "可选规则集" in out.getvalue()
    admin = Officer.objects.get(username="admin")
    assert admin.has_role(Role.ADMINISTRATOR)
    assert admin.agency.rulebook_id == f.R004
    assert admin.agency.kind == "enforcement"
    assert admin.agency.level == "city"
