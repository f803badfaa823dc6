"""The registry of ledger event types, shaped ``source:subject:action``.

Each domain declares its types in its own ``events.py`` with a Chinese label for
the timeline; ``record_event`` accepts only registered types.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TYPE_RE = re.compile(r"^[a-z][a-z_]*:[a-z][a-z_]*:[a-z][a-z_]*$")
_REGISTRY: dict[str, EventType] = {}


@dataclass(frozen=True)
class EventType:
    name: str
    label: str

    def __str__(self) -> str:
        return self.name


def event_type(name: str, label: str) -> EventType:
    if not _TYPE_RE.match(name):
        raise ValueError(f"event type {name!r} is not shaped source:subject:action")
    existing = _REGISTRY.get(name)
    if existing is not None and existing.label != label:
        raise ValueError(f"event type {name!r} registered twice with different labels")
    registered = EventType(name, label)
    _REGISTRY[name] = registered
    return registered


def lookup(name: str) -> EventType | None:
    return _REGISTRY.get(name)


def all_types() -> list[EventType]:
    return sorted(_REGISTRY.values(), key=lambda t: t.name)
