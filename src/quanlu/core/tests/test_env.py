import os
import stat

import pytest

from quanlu.config.env import SettingError, env_bool, env_int, env_list, env_secret


def test_env_bool(monkeypatch):
    monkeypatch.setenv("QUANLU_X", "yes")
    assert env_bool("QUANLU_X", False) is True
    monkeypatch.setenv("QUANLU_X", "maybe")
    with pytest.raises(SettingError, match="QUANLU_X"):
        env_bool("QUANLU_X", False)
    monkeypatch.delenv("QUANLU_X")
    assert env_bool("QUANLU_X", False) is False


def test_env_int_names_the_variable(monkeypatch):
    monkeypatch.setenv("QUANLU_N", "abc")
    with pytest.raises(SettingError, match="QUANLU_N"):
        env_int("QUANLU_N", 1)
    monkeypatch.setenv("QUANLU_N", "0")
    with pytest.raises(SettingError, match="at least 1"):
        env_int("QUANLU_N", 1, minimum=1)


def test_env_list(monkeypatch):
    monkeypatch.setenv("QUANLU_L", "a, b,,c")
    assert env_list("QUANLU_L", []) == ["a", "b", "c"]


def test_secret_generated_once_private_and_stable(tmp_path, monkeypatch):
    monkeypatch.delenv("QUANLU_K", raising=False)
    monkeypatch.delenv("QUANLU_K_FILE", raising=False)
    path = tmp_path / "sub" / "key"
    first = env_secret("QUANLU_K", fallback_file=path)
    assert len(first) >= 50
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert env_secret("QUANLU_K", fallback_file=path) == first


def test_secret_from_file_variable(tmp_path, monkeypatch):
    (tmp_path / "s").write_text("from-file\n")
    monkeypatch.setenv("QUANLU_K_FILE", str(tmp_path / "s"))
    assert env_secret("QUANLU_K", fallback_file=tmp_path / "unused") == "from-file"
