"""System checks for the ledger's settings: a bad origin or an unusable key folder
stops the site at start, with an id an operator can look up."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from quanlu.ledger import note, sm2


@register(Tags.security)
def check_ledger(app_configs: Any, **kwargs: Any) -> list[Error | Warning]:
    problems: list[Error | Warning] = []
    try:
        note.check_key_name(f"{settings.QUANLU_LEDGER_ORIGIN}/system")
    except note.NoteError:
        problems.append(
            Error(
                f"QUANLU_LEDGER_ORIGIN={settings.QUANLU_LEDGER_ORIGIN!r} cannot name a log (no spaces, no '+').",
                hint="Use a schema-less URL such as zf.example.gov.cn/ledger.",
                id="quanlu.E101",
            )
        )
    if settings.QUANLU_LEDGER_SM2 and not sm2.available():
        problems.append(
            Error(
                "QUANLU_LEDGER_SM2 is on but the SM2 library (gmssl-pyx) is not installed.",
                hint="pip install 'quanlu[gm]', or turn QUANLU_LEDGER_SM2 off.",
                id="quanlu.E102",
            )
        )
    key_dir = Path(settings.QUANLU_KEY_DIR)
    if key_dir.exists():
        mode = stat.S_IMODE(key_dir.stat().st_mode)
        if mode & 0o077:
            problems.append(
                Warning(
                    f"QUANLU_KEY_DIR {key_dir} is readable by other users (mode {mode:o}).",
                    hint="chmod 700 the folder and 600 the key files.",
                    id="quanlu.W101",
                )
            )
        if not os.access(key_dir, os.W_OK | os.X_OK):
            problems.append(Error(f"QUANLU_KEY_DIR {key_dir} is not writable.", id="quanlu.E103"))
    return problems
