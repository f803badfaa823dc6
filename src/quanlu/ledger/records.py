"""Records bound to the ledger: every row people read is committed by the event that
wrote it, so ``quanlu ledger verify`` can tell a row edited in the database from one
written by a service.

Each domain app declares, in its ``AppConfig.ready()``, which of its models hold case
content (``cover``) and which do not, with the reason (``exempt``); a test fails when a
model of a quanlu app is in neither list. The ledger imports no domain app: it only
knows models through this registry.

A row's *canonical content* is a JSON object of its concrete columns as the database
returns them (``values_list``), so the writer, reading its row back inside its own
transaction, and the verifier, reading it months later, spell every value the same way:

- keys are column names (``case_id``, not ``case``), sorted; the integer primary key
  and foreign keys are included, so a row moved under another parent, or two rows
  whose keys were swapped, no longer match;
- ``None`` and a field's constant default are left out, so adding a column with a
  default does not change the content of the rows written before it (the mapping is
  still one-to-one: a value other than the default is always spelled);
- datetimes are ISO-8601 in UTC with microseconds and ``Z``; dates and times ISO; UUIDs
  hyphenated; decimals and floats as ``str``/``repr``; bytes as lowercase hex; JSON
  columns as the parsed value.

The *row digest* is SHA-256 of that object as compact, key-sorted UTF-8 JSON (orjson:
non-ASCII as UTF-8, only ``"``, ``\\`` and control characters escaped). An event
commits rows in its payload under ``rows``: ``{"<app>.<model>/<key>": "<digest>"}``
(``null`` for a row the service removed), and the content itself is kept beside the
event in ``ledger.RowState`` so that verify can name the field that changed. The
content is our own spelling, not RFC 8785: only this module writes and reads it.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from django.db import models

ROWS_KEY = "rows"


@dataclass(frozen=True)
class Covered:
    """A model whose rows are bound to the ledger."""

    model: type[models.Model]
    label: str  # "cases.case": the key prefix in event payloads
    key: str  # the attname naming a row to people and in events (public_id, or a natural pk)
    columns: tuple[str, ...]  # attnames read and committed, in a fixed order
    # (attname, default) left out of the content when equal (see the module docstring)
    defaults: tuple[tuple[str, Any], ...]
    # Per column, in ``columns`` order: (attname, spelling function or None for plain
    # values, has a constant default, the default). content_of runs it for millions of rows.
    plan: tuple[tuple[str, Any, bool, Any], ...] = ()

    def key_of(self, value: Any) -> str:
        return f"{self.label}/{value}"


@dataclass(frozen=True)
class Exempt:
    model: type[models.Model]
    reason: str


_COVERED: dict[type[models.Model], Covered] = {}
_BY_LABEL: dict[str, Covered] = {}
_EXEMPT: dict[type[models.Model], Exempt] = {}


def _constant_default(field: models.Field[Any, Any]) -> tuple[bool, Any]:
    if not field.has_default():
        return False, None
    default = field.default
    if default in (dict, list):  # JSON columns: an empty container, never shared
        return True, default()
    if callable(default):  # uuid4, now: no constant to leave out
        return False, None
    return True, default


def cover(
    model: type[models.Model], *, key: str = "public_id", exclude: Iterable[str] = (), label: str = ""
) -> Covered:
    """Bind ``model``'s rows to the ledger. ``exclude`` names columns that change
    without an event by design (say why where you call it). ``label`` is the name rows
    carry in events (default ``app.model``): it is part of the ledger's record, so a
    model moved to another app keeps its old label."""
    excluded = set(exclude)
    fields = [f for f in model._meta.concrete_fields if f.attname not in excluded]
    columns = tuple(f.attname for f in fields)
    if key not in columns:
        key_field = model._meta.get_field(key)
        key = key_field.attname  # type: ignore[union-attr]
        if key not in columns:
            raise ValueError(f"{model.__name__}: key {key} is not a committed column")
    defaults = []
    plan = []
    for f in fields:
        has, value = _constant_default(f)
        if has:
            defaults.append((f.attname, value))
        plan.append((f.attname, _spelling(f), has, value))
    spec = Covered(
        model=model,
        label=label or model._meta.label_lower,
        key=key,
        columns=columns,
        defaults=tuple(defaults),
        plan=tuple(plan),
    )
    _COVERED[model] = spec
    _BY_LABEL[spec.label] = spec
    return spec


def exempt(model: type[models.Model], *, reason: str) -> None:
    """Declare that ``model`` holds no case content to bind (the reason is for readers
    of the registry test and of ARCHITECTURE.md)."""
    if not reason.strip():
        raise ValueError("an exemption needs a reason")
    _EXEMPT[model] = Exempt(model, reason)


def covered() -> list[Covered]:
    return sorted(_COVERED.values(), key=lambda c: c.label)


def exempted() -> list[Exempt]:
    return sorted(_EXEMPT.values(), key=lambda e: e.model._meta.label_lower)


def spec_for(model: type[models.Model]) -> Covered | None:
    return _COVERED.get(model)


def spec_by_label(label: str) -> Covered | None:
    return _BY_LABEL.get(label)


# --- canonical content ----------------------------------------------------------------------


def content_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:  # SQLite raw values are naive UTC
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, dict):
        return {str(k): content_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [content_value(v) for v in value]
    return str(value)


def _datetime(value: Any) -> Any:
    # The database hands back UTC datetimes: slicing isoformat() spells them in a
    # fraction of strftime's time; anything else takes the general path.
    if type(value) is dt.datetime and value.tzinfo is dt.UTC:
        return value.isoformat(timespec="microseconds")[:-6] + "Z"
    return content_value(value)


def _spelling(field: models.Field[Any, Any]) -> Any:
    """The spelling function of a column's values, chosen once per column: None where
    Django already hands back plain JSON (text, integers, booleans, keys of those)."""
    if isinstance(field, models.DateTimeField):
        return _datetime
    if isinstance(field, models.ForeignKey):
        field = field.target_field
    plain = models.BooleanField | models.IntegerField | models.CharField | models.TextField
    if isinstance(field, plain) and not isinstance(field, models.UUIDField | models.DecimalField):
        return None
    return content_value


def content_of(spec: Covered, row: Sequence[Any]) -> dict[str, Any]:
    """The canonical content of one ``values_list(*spec.columns)`` row."""
    body = {}
    for (name, spell, has_default, default), value in zip(spec.plan, row, strict=True):
        if value is None or (has_default and value == default):
            continue
        body[name] = value if spell is None else spell(value)
    return body


def content_bytes(content: dict[str, Any]) -> bytes:
    try:
        return orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:  # an integer beyond 64 bits inside a JSON column
        return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def digest_of(content: dict[str, Any]) -> str:
    return hashlib.sha256(content_bytes(content)).hexdigest()


def rows_of(
    spec: Covered, *, pks: Iterable[Any] | None = None, chunk: int = 5000
) -> Iterator[tuple[Any, ...]]:
    """The committed columns of ``spec``'s rows (all of them, or those with ``pks``)."""
    qs = spec.model._base_manager.all()
    if pks is not None:
        qs = qs.filter(pk__in=list(pks))
    yield from qs.order_by("pk").values_list(*spec.columns).iterator(chunk_size=chunk)


# --- what an event commits --------------------------------------------------------------------


@dataclass(frozen=True)
class Commitment:
    key: str
    digest: str | None  # None: the row was removed by the service
    content: dict[str, Any] | None


def commit(rows: Iterable[models.Model], removed: Iterable[models.Model] = ()) -> list[Commitment]:
    """Read each row back as the database holds it now (inside the writer's transaction)
    and return what the event commits. Refuses models that are not covered: a service
    that names a row must name one verify can check."""
    by_model: dict[type[models.Model], list[Any]] = {}
    for obj in rows:
        model = type(obj)._meta.concrete_model
        if model is None or model not in _COVERED:
            raise ValueError(f"{type(obj).__name__} is not bound to the ledger (ledger.records.cover)")
        if obj.pk is None:
            raise ValueError(f"{type(obj).__name__} must be saved before its event is recorded")
        by_model.setdefault(model, []).append(obj.pk)
    out: dict[str, Commitment] = {}
    for model, pks in by_model.items():
        spec = _COVERED[model]
        key_index = spec.columns.index(spec.key)
        found = 0
        for row in rows_of(spec, pks=set(pks)):
            content = content_of(spec, row)
            key = spec.key_of(content_value(row[key_index]))
            out[key] = Commitment(key, digest_of(content), content)
            found += 1
        if found != len(set(pks)):
            raise ValueError(f"{model.__name__}: a row named for the event is not in the database")
    for obj in removed:
        model = type(obj)._meta.concrete_model
        gone = _COVERED.get(model) if model is not None else None
        if gone is None:
            raise ValueError(f"{type(obj).__name__} is not bound to the ledger (ledger.records.cover)")
        key = gone.key_of(content_value(getattr(obj, gone.key)))
        out[key] = Commitment(key, None, None)
    return [out[k] for k in sorted(out)]
