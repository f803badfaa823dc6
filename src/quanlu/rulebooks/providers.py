"""Where the facts come from: each app that owns some of a case's facts registers a
provider in its ``AppConfig.ready()`` (as it declares its rows to the ledger), and
``gather(case)`` asks every one. The engine never imports an app: it hands the case
object it is given to the providers and takes back plain values.

A provider reads each of its tables once for the case (no query per document), so a
judgement of fifty rules costs a fixed number of queries.

The document catalogue is provided the same way (``register_catalogue``): the rule kinds
check document types and field names against it when a rulebook is loaded.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from quanlu.rulebooks.facts import Catalogue, Facts

Provider = Callable[[Any], Mapping[str, Any]]
# The facts of many cases at once, keyed by each case's primary key: a fixed number of
# queries whatever the number of cases (the to-do list judges all of an officer's cases).
ManyProvider = Callable[[Sequence[Any]], Mapping[Any, Mapping[str, Any]]]

_FIELDS = frozenset(f.name for f in dataclasses.fields(Facts)) - {"moving_to"}


@dataclass(frozen=True)
class Registered:
    name: str  # the app providing
    provide: Provider
    fields: tuple[str, ...]  # which fields of Facts it fills
    provide_many: ManyProvider | None = None


_PROVIDERS: dict[str, Registered] = {}
_catalogue: Callable[[], Catalogue] | None = None


def register(
    name: str, provide: Provider, *, fields: Iterable[str], provide_many: ManyProvider | None = None
) -> None:
    """Register ``provide(case) -> {field: value}`` for these fields of ``Facts``, and
    optionally ``provide_many(cases) -> {case.pk: {field: value}}`` reading each table
    once for all the cases. Registering again under the same name replaces the provider
    (tests, reloads)."""
    wanted = tuple(fields)
    unknown = set(wanted) - _FIELDS
    if unknown:
        raise ValueError(f"{name}: Facts has no field(s) {', '.join(sorted(unknown))}")
    for other in _PROVIDERS.values():
        if other.name != name and set(other.fields) & set(wanted):
            raise ValueError(
                f"{name}: {', '.join(sorted(set(other.fields) & set(wanted)))} come from {other.name}"
            )
    _PROVIDERS[name] = Registered(name=name, provide=provide, fields=wanted, provide_many=provide_many)


def providers() -> list[Registered]:
    return list(_PROVIDERS.values())


def gather(case: Any, *, only: Iterable[str] | None = None) -> Facts:
    """The facts of ``case`` from every provider (or from those filling ``only``)."""
    wanted = set(only) if only is not None else None
    values: dict[str, Any] = {}
    for p in _PROVIDERS.values():
        if wanted is not None and not wanted & set(p.fields) and "case" not in p.fields:
            continue
        part = p.provide(case)
        extra = set(part) - set(p.fields)
        if extra:
            raise ValueError(f"{p.name} provided {', '.join(sorted(extra))}, which it did not register")
        values.update(part)
    if "case" not in values:
        raise RuntimeError(
            "no provider of the case's own facts is registered (quanlu.cases must be installed)"
        )
    return Facts(**values)


def gather_many(cases: Sequence[Any]) -> dict[Any, Facts]:
    """The facts of each of ``cases`` (keyed by primary key), each provider asked once
    for all of them when it can be; the others case by case."""
    values: dict[Any, dict[str, Any]] = {c.pk: {} for c in cases}
    for p in _PROVIDERS.values():
        parts = p.provide_many(cases) if p.provide_many is not None else {c.pk: p.provide(c) for c in cases}
        for c in cases:
            part = parts[c.pk]
            extra = set(part) - set(p.fields)
            if extra:
                raise ValueError(f"{p.name} provided {', '.join(sorted(extra))}, which it did not register")
            values[c.pk].update(part)
    if any("case" not in v for v in values.values()):
        raise RuntimeError(
            "no provider of the case's own facts is registered (quanlu.cases must be installed)"
        )
    return {pk: Facts(**v) for pk, v in values.items()}


def register_catalogue(provide: Callable[[], Catalogue]) -> None:
    global _catalogue  # set once, by records' AppConfig.ready()
    _catalogue = provide


def catalogue() -> Catalogue:
    if _catalogue is None:
        raise RuntimeError("no document catalogue is registered (quanlu.records must be installed)")
    return _catalogue()
