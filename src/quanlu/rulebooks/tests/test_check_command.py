"""`quanlu check 案号` checks a case; `quanlu check` and `quanlu check --deploy` are
still Django's system checks, which our command replaces by name."""

import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("check", *args, stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def test_a_case_number_checks_the_case(world):
    case = world.open_case()
    output = run(case.number)
    assert output.startswith(f"{case.number}（")
    assert "依《" in output


def test_without_a_case_it_is_djangos_system_check(db):
    output = run()
    assert "System check identified" in output
    assert "security.W004" not in output  # deployment checks only with --deploy
    deploy = run("--deploy")
    assert "System check identified" in deploy
    assert "security.W008" in deploy  # SECURE_SSL_REDIRECT: a deployment check ran
    assert "security" in run("--list-tags").split()
    assert "System check identified" in run("core", "ledger")  # app labels are Django's


def test_a_case_with_system_check_options_is_refused(world):
    case = world.open_case()
    with pytest.raises(CommandError, match="系统检查"):
        run(case.number, "--deploy")
    with pytest.raises(CommandError, match="一次检查一个案件"):
        run(case.number, "另一个案号")


def test_the_command_line_runs_the_deployment_checks_and_hsts_is_a_setting(tmp_path):
    env = {**os.environ, "QUANLU_DATA_DIR": str(tmp_path / "var")}
    env.pop("QUANLU_HSTS_SECONDS", None)
    command = [sys.executable, "-m", "quanlu", "check", "--deploy"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "security.W004" in done.stderr  # no HSTS by default
    env["QUANLU_HSTS_SECONDS"] = "31536000"
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "security.W004" not in done.stderr
    assert "security.W008" in done.stderr
