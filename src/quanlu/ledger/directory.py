"""Who is who, as far as the ledger needs to know: each agency's log is named after
the agency's public id, and is witnessed (cosigned) by the agency that supervises it.
Those are facts of the organisation, kept by ``quanlu.org``; the ledger asks for them
through this narrow interface, which org implements and registers at start, so that
the ledger — the part an outside verifier re-implements — imports no domain app.
"""

from __future__ import annotations

import uuid
from typing import Protocol


class AgencyDirectory(Protocol):
    def public_id(self, agency_id: int) -> uuid.UUID:
        """The agency's public id (names its log, its keys and its witness)."""

    def supervisor(self, agency_id: int) -> int | None:
        """The agency that witnesses this agency's log, if any."""

    def agency_ids(self) -> list[int]:
        """Every agency, for ``quanlu ledger keys --init``."""


_directory: AgencyDirectory | None = None


def register(directory: AgencyDirectory) -> None:
    global _directory  # set once, by org's AppConfig.ready()
    _directory = directory


def current() -> AgencyDirectory:
    if _directory is None:  # pragma: no cover - org registers it at start
        raise RuntimeError("no agency directory registered (quanlu.org must be installed)")
    return _directory
