import json
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from quanlu.demo.loader import DEMO_PASSWORD
from quanlu.org.models import Role

COUNTS = [
    ("agencies", "SELECT count(*) FROM org_agency"),
    ("officers", "SELECT count(*) FROM org_officer"),
    ("cases", "SELECT count(*) FROM cases_case"),
    ("events", "SELECT count(*) FROM ledger_event"),
]


def _counts(site):
    return {name: site.query(sql)[0][0] for name, sql in COUNTS}


def test_demo_is_idempotent_covers_every_role_and_stage_and_the_commands_work_on_it(demo_site, tmp_path):
    # The session's demo site was loaded by the real `quanlu migrate` + `quanlu demo`; the
    # demo is the slowest thing in the suite, so this test loads it again only on a copy,
    # and the commands an administrator runs next run on that copy.
    site = demo_site.copy(tmp_path / "var")
    try:
        assert f"密码均为 {DEMO_PASSWORD}" in demo_site.output
        before = _counts(site)
        # `make run` a second time: migrate (nothing to do) and demo (nothing to add).
        site.run("migrate", "--noinput", "-v0")
        assert site.run("demo").stdout == demo_site.output
        assert _counts(site) == before
        assert before["cases"] >= 12
        rulebooks = {r for (r,) in site.query("SELECT DISTINCT rulebook_id FROM cases_case")}
        assert rulebooks >= {
            "000_9c8bbcda03c04eb4",
            "001_985a08834cda7543",
            "002_4fd6fddfbbebbad6",
            "003_b6123a0950a37ec2",
            "004_b4c2f06b7eb1ab1e",
        }
        assert len(site.query("SELECT DISTINCT stage FROM cases_case")) >= 5
        granted = {
            r for (r,) in site.query("SELECT DISTINCT role FROM org_rolegrant WHERE revoked_at IS NULL")
        }
        assert granted == set(Role.values)
        assert site.query("SELECT count(*) FROM org_agency WHERE kind = 'justice'")[0][0] >= 1

        code, rows = site.json("cases", "list", "--format", "json")
        assert code == 0
        assert len(rows) == before["cases"]
        assert set(rows[0]) >= {"id", "number", "agency", "rulebook", "kind", "procedure", "stage"}
        code, zh = site.json("cases", "list", "--format", "json", "--agency", "zunhua-eco")
        assert zh
        assert all(r["agency"] == "唐山市生态环境局遵化市分局" for r in zh)

        raw = site.run("token", "create", "zh-officer1").stdout.strip()
        assert re.fullmatch(r"[A-Za-z0-9_-]{20,}", raw), raw
        _serve_and_log_in(site, token=raw)
    finally:
        site.drop()


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve_and_log_in(site, *, token):
    """`quanlu serve` on the site, as `make run` ends: the login page, the OpenAPI document,
    and a demo officer's login reaching the 工作台 with the demo's waiting decision."""
    env = site.env
    quanlu = [sys.executable, "-m", "quanlu"]
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
        mine = urllib.request.Request(f"{base}/api/v1/cases", headers={"Authorization": f"Bearer {token}"})
        assert json.loads(urllib.request.urlopen(mine, timeout=5).read())
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
    assert (site.data_dir / "secret_key").exists()


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


@pytest.mark.skipif(
    not shutil.which("make") or not MAKEFILE.is_file(), reason="needs make and the source tree"
)
def test_make_installs_the_s3_test_server_without_recommends_when_missing(tmp_path):
    """`make s3-deps` (part of `make system-deps`, hence `make test`) installs Ceph RADOS Gateway
    for the `s3` tests when radosgw is missing; dry: apt-get only logs."""
    shutil.copy(MAKEFILE, tmp_path / "Makefile")
    apt = tmp_path / "apt-get"
    apt.write_text(f'#!/bin/sh\necho "$*" >>{tmp_path}/apt.log\n')
    apt.chmod(0o755)
    make = ["make", "-s", "s3-deps", f"APT={apt}", "SUDO="]
    fresh = subprocess.run(
        [*make, "RADOSGW=no-such-radosgw"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert fresh == "installing: ceph-mon ceph-osd radosgw\n"
    assert (tmp_path / "apt.log").read_text() == (
        "update -qq\ninstall -y -qq --no-install-recommends ceph-mon ceph-osd radosgw\n"
    )
    ready = subprocess.run(
        [*make, "RADOSGW=sh"], cwd=tmp_path, capture_output=True, text=True, check=True, timeout=60
    )
    assert ready.stdout == ""
