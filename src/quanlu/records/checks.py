"""System checks: refuse to start on a broken catalogue, without the CJK fonts or without\nthe Pango libraries WeasyPrint renders with, naming the Debian packages to install."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from typing import Any

from django.core.checks import Error, register

from quanlu.records.catalogue import CatalogueError, catalogue


@register()
def catalogue_loads(app_configs: Any, **kwargs: Any) -> list[Error]:
    try:
        catalogue()
    except CatalogueError as exc:
        return [Error(f"文书目录有误：{exc}", id="quanlu.records.E001")]
    return []


# The Debian packages the running product needs (`make run-deps` installs them).
FONT_PACKAGE = "fonts-noto-cjk"
PANGO_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0"
PANGO_LIBRARIES = ("libpango-1.0.so.0", "libpangoft2-1.0.so.0", "libharfbuzz-subset.so.0")


def _install_hint(packages: str) -> str:
    return f"安装 Debian 软件包：sudo apt-get install {packages}（或在源代码目录运行 make run-deps）。"


@register()
def cjk_fonts_installed(app_configs: Any, **kwargs: Any) -> list[Error]:
    from quanlu.records.render import SERIF_FAMILY, RenderError, seal_font

    problems = []
    fc_list = shutil.which("fc-list")
    if fc_list is not None:
        listed = subprocess.run([fc_list, ":", "family"], capture_output=True, text=True, check=False).stdout  # noqa: S603
        if SERIF_FAMILY not in listed:
            problems.append(SERIF_FAMILY)
    try:
        seal_font()
    except RenderError:
        problems.append("Noto Sans CJK SC")
    if problems:
        return [
            Error(
                f"缺少中文字体：{'、'.join(problems)}（Debian 软件包 {FONT_PACKAGE}），文书无法生成 PDF/A。",
                hint=_install_hint(FONT_PACKAGE),
                id="quanlu.records.E002",
            )
        ]
    return []


@register()
def pango_installed(app_configs: Any, **kwargs: Any) -> list[Error]:
    """WeasyPrint's pip wheel bundles no Pango: it loads the system's at the first render,
    so a machine without it would start and fail only when a document is rendered."""
    missing = []
    for name in PANGO_LIBRARIES:
        try:
            ctypes.CDLL(name)
        except OSError:
            missing.append(name)
    if missing:
        return [
            Error(
                f"缺少排版库：{'、'.join(missing)}（Debian 软件包 {PANGO_PACKAGES}），文书无法生成 PDF/A。",
                hint=_install_hint(PANGO_PACKAGES),
                id="quanlu.records.E003",
            )
        ]
    return []
