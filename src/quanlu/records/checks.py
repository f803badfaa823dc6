"""System checks: refuse to start on a broken catalogue or without the CJK fonts."""

from __future__ import annotations

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
                f"缺少中文字体：{'、'.join(problems)}，文书无法生成 PDF/A。",
                hint="安装 Debian 的 fonts-noto-cjk（make system-deps）。",
                id="quanlu.records.E002",
            )
        ]
    return []
