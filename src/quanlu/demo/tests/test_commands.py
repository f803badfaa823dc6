import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from http.cookiejar import CookieJar
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from quanlu.cases.models import Case
from quanlu.demo.loader import DEMO_PASSWORD
from quanlu.ledger.models import Event
from quanlu.org.models import Agency, Officer, Role


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_demo_is_idempotent_covers_every_role_and_stage_and_the_commands_work_on_it(db):
    first = run("demo")
    counts = (Agency.objects.count(), Officer.objects.count(), Case.objects.count(), Event.objects.count())
    second = run("demo")
    assert counts == (
        Agency.objects.count(),
        Officer.objects.count(),
        Case.objects.count(),
        Event.objects.count(),
    )
    assert first == second
    assert f"密码均为 {DEMO_PASSWORD}" in first
    assert Case.objects.count() >= 12
    assert {c.rulebook_id for c in Case.objects.all()} >= {
        "000_9c8bbcda03c04eb4",
        "001_985a08834cda7543",
        "002_4fd6fddfbbebbad6",
        "003_b6123a0950a37ec2",
        "004_b4c2f06b7eb1ab1e",
    }
    assert len({c.stage for c in Case.objects.all()}) >= 5
    roles = {g for o in Officer.objects.all() for g in o.role_set()}
    assert roles == set(Role.values)
    assert Agency.objects.filter(kind="justice").exists()

    # The commands an administrator runs next, on the same demo data (the demo is the
    # slowest thing in the suite: it is loaded once here, not once per command).
    rows = json.loads(run("cases", "list", "--format", "json"))
    assert len(rows) == Case.objects.count()
    assert set(rows[0]) >= {"id", "number", "agency", "rulebook", "kind", "procedure", "stage"}
    zh = json.loads(run("cases", "list", "--format", "json", "--agency", "zunhua-eco"))
    assert zh
    assert all(r["agency"] == "唐山市生态环境局遵化市分局" for r in zh)

    raw = run("token", "create", "zh-officer1").strip()
    from quanlu.org.selectors import officer_for_token

    assert officer_for_token(raw).username == "zh-officer1"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(
    os.environ.get("QUANLU_DATABASE_URL", "").startswith("postgres"),
    reason="the embedded default is SQLite; this is what `make run` does",
)
def test_make_run_path_serves_login_and_openapi_and_demo_logins_work(tmp_path):
    """migrate, demo, serve — in a fresh data folder, as `make run` does."""
    env = {**os.environ, "QUANLU_DATA_DIR": str(tmp_path / "var")}
    env.pop("QUANLU_DATABASE_URL", None)
    quanlu = [sys.executable, "-m", "quanlu"]
    subprocess.run([*quanlu, "migrate", "--noinput", "-v0"], env=env, check=True, timeout=120)
    out = subprocess.run(
        [*quanlu, "demo"], env=env, check=True, timeout=900, capture_output=True, text=True
    ).stdout
    assert "zh-officer1" in out
    port = _free_port()
    server = subprocess.Popen(
        [*quanlu, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                page = urllib.request.urlopen(f"{base}/login/", timeout=2).read().decode()
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("server did not start")
        assert "登录" in page
        spec = json.loads(urllib.request.urlopen(f"{base}/api/v1/openapi.json", timeout=5).read())
        assert "/api/v1/cases" in spec["paths"]
        jar = CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        login_page = opener.open(f"{base}/login/").read().decode()
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
        body = f"csrfmiddlewaretoken={csrf}&username=zh-approver&password={DEMO_PASSWORD}".encode()
        request = urllib.request.Request(f"{base}/login/", data=body, headers={"Referer": f"{base}/login/"})
        dashboard = opener.open(request).read().decode()
        assert "工作台" in dashboard
        assert "待我审批" in dashboard
        assert "遵环〔" in dashboard  # the approver has the demo decision waiting
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert Path(tmp_path / "var" / "secret_key").exists()


MAKEFILE = Path(__file__).resolve().parents[4] / "Makefile"


@pytest.mark.skipif(
    not shutil.which("make") or not MAKEFILE.is_file(), reason="needs make and the source tree"
)
def test_make_run_installs_the_run_time_packages_it_finds_missing(tmp_path):
    """`make run` checks for the run-time Debian packages first; on a machine without the
    CJK fonts it installs fonts-noto-cjk. Run dry: apt-get only logs, fc-list lists nothing."""
    shutil.copy(MAKEFILE, tmp_path / "Makefile")
    for name in ("pyproject.toml", "constraints.txt"):  # what the venv target depends on
        (tmp_path / name).touch()
    plan = subprocess.run(
        ["make", "-n", "run"], cwd=tmp_path, capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert plan.index("fonts-noto-cjk") < plan.index("quanlu migrate")
    apt = tmp_path / "apt-get"  # records what it was asked to do
    apt.write_text(f'#!/bin/sh\necho "$*" >>{tmp_path}/apt.log\n')
    apt.chmod(0o755)
    make = ["make", "-s", "run-deps", f"APT={apt}", "SUDO="]
    fresh = subprocess.run(
        [*make, "FC_LIST=true"], cwd=tmp_path, capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert fresh == "installing: fonts-noto-cjk\n"
    assert (tmp_path / "apt.log").read_text() == "update -qq\ninstall -y -qq fonts-noto-cjk\n"
    # This machine is set up: nothing to install, nothing printed.
    ready = subprocess.run(make, cwd=tmp_path, capture_output=True, text=True, check=True, timeout=60)
    assert ready.stdout == ""
