"""The facts of a case's dossier, for the rules: when it was sealed (归档), which
meets the archiving deadline. Registered with the rules engine at start (``bind``)."""

from __future__ import annotations

from typing import Any

from quanlu.archive.selectors import archived_at
from quanlu.cases.models import Case
from quanlu.rulebooks.providers import register


def provide(case: Case) -> dict[str, Any]:
    return {"archived_at": archived_at(case)}


def bind() -> None:
    register("archive", provide, fields=("archived_at",))
