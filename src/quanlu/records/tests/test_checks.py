"""The start-up checks name the Debian package and the command that installs what is missing."""

from quanlu.records import checks, render


def test_the_fonts_and_pango_are_found_on_a_machine_set_up_by_make_run_deps():
    assert checks.cjk_fonts_installed(None) == []
    assert checks.pango_installed(None) == []


def test_without_the_cjk_fonts_the_check_names_fonts_noto_cjk_and_the_apt_get_command(tmp_path, monkeypatch):
    # A fontconfig that knows no font directory: fc-list lists nothing, as on a clean machine.
    conf = tmp_path / "fonts.conf"
    conf.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig></fontconfig>')
    monkeypatch.setenv("FONTCONFIG_FILE", str(conf))
    monkeypatch.setattr(render, "SEAL_FONT_FILES", [str(tmp_path / "missing.ttc")])
    [error] = checks.cjk_fonts_installed(None)
    assert error.id == "quanlu.records.E002"
    assert "缺少中文字体" in error.msg
    assert "Noto Serif CJK SC" in error.msg
    assert "fonts-noto-cjk" in error.msg
    assert "sudo apt-get install fonts-noto-cjk" in error.hint
    assert "make run-deps" in error.hint


def test_without_pango_the_check_names_its_packages(monkeypatch):
    monkeypatch.setattr(checks, "PANGO_LIBRARIES", ("libpango-1.0.so.0", "libquanlu-no-such-library.so.0"))
    [error] = checks.pango_installed(None)
    assert error.id == "quanlu.records.E003"
    assert "libquanlu-no-such-library.so.0" in error.msg
    assert "libpango-1.0.so.0" not in error.msg
    assert "sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0" in error.hint
