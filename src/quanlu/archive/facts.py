"""The facts of a case's dossier, for the rules: when it was sealed (归档), which
meets the archiving deadline. Registered with the rules engine at start (``bind``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from quanlu.archive.selectors import archived_at, archived_at_many
from quanlu.cases.models import Case
from quanlu.rulebooks.providers import register


def provide(case: Case) -> dict[str, Any]:
    return {"archived_at": archived_at(case)}


def provide_many(cases: Sequence[Case]) -> dict[int, dict[str, Any]]:
    sealed = archived_at_many(cases)
    return {c.pk: {"archived_at": sealed.get(c.pk)} for c in cases}


def bind() -> None:
    register("archive", provide, fields=("archived_at",), provide_many=provide_many)
