"""Records bound to the ledger: every row people read is committed by the event that
wrote it, so ``quanlu ledger verify`` can tell a row edited in the database from one
written by a service.

Each domain app declares, in its ``AppConfig.ready()``, which of its models hold case
content (``cover``) and which do not, with the reason (``exempt``); a test fails when a
model of a quanlu app is in neither list. The ledger imports no domain app: it only
knows models through this registry.

A row's *canonical content* is a JSON object of its concrete columns as the database
returns them (one raw SELECT, no model instances), so the writer, reading its row back
inside its own transaction, and the verifier, reading millions of rows months later,
spell every value the same way, on SQLite as on PostgreSQL:

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
from django.db import connection, models

ROWS_KEY = "rows"


@dataclass(frozen=True)
class Covered:
    """A model whose rows are bound to the ledger."""

    model: type[models.Model]
    label: str  # "cases.case": the key prefix in event payloads
    key: str  # the attname naming a row to people and in events (public_id, or a natural pk)
    columns: tuple[str, ...]  # attnames read and committed, in a fixed order
    db_columns: tuple[str, ...]  # the same, as database column names
    # Per column, in ``columns`` order: (attname, spelling function or None for values
    # that are plain JSON already, has a constant default, the default as spelled).
    # content_of runs it for millions of rows.
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
    plan = []
    for f in fields:
        has, value = _constant_default(f)
        spell = _spelling(f)
        if has and value is not None and spell is not None:
            value = spell(value)
        plan.append((f.attname, spell, has and value is not None, value))
    spec = Covered(
        model=model,
        label=label or model._meta.label_lower,
        key=key,
        columns=columns,
        db_columns=tuple(f.column for f in fields),
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
    # SQLite hands back naive UTC text ("2026-01-02 03:04:05[.678901]"), PostgreSQL UTC
    # datetimes: slicing spells both in a fraction of strftime's time.
    if type(value) is str and len(value) in (19, 26) and value[10] == " ":
        return f"{value[:10]}T{value[11:19]}.{value[20:26] or '000000'}Z"
    if type(value) is dt.datetime and value.tzinfo is dt.UTC:
        return value.isoformat(timespec="microseconds")[:-6] + "Z"
    if isinstance(value, str):
        from django.utils.dateparse import parse_datetime

        parsed = parse_datetime(value)
        if parsed is not None:
            return content_value(parsed)
    return content_value(value)


def _date(value: Any) -> Any:
    return value if type(value) is str else content_value(value)


def _uuid(value: Any) -> Any:
    if type(value) is str and len(value) == 32:  # SQLite: 32 hex digits
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return str(uuid.UUID(value) if isinstance(value, str) else value)


def _bool(value: Any) -> Any:
    return bool(value) if type(value) is int else value


def _json(value: Any) -> Any:
    if isinstance(value, str | bytes):
        value = json.loads(value)
    return content_value(value)


def _float(value: Any) -> Any:
    return repr(float(value))


def _decimal_spelling(places: int | None) -> Any:
    quantum = decimal.Decimal(1).scaleb(-places) if places is not None else None

    def spell(value: Any) -> Any:
        number = value if isinstance(value, decimal.Decimal) else decimal.Decimal(str(value))
        return str(number.quantize(quantum) if quantum is not None else number)

    return spell


def _spelling(field: models.Field[Any, Any]) -> Any:
    """The spelling function of a column's raw values, chosen once per column (None:
    already plain JSON). Each takes what SQLite or PostgreSQL hands back, and also the
    Python value, and spells them alike."""
    if isinstance(field, models.ForeignKey):
        field = field.target_field
    if isinstance(field, models.DateTimeField):
        return _datetime
    if isinstance(field, models.DateField | models.TimeField):
        return _date
    if isinstance(field, models.UUIDField):
        return _uuid
    if isinstance(field, models.BooleanField):
        return _bool
    if isinstance(field, models.JSONField):
        return _json
    if isinstance(field, models.DecimalField):
        return _decimal_spelling(field.decimal_places)
    if isinstance(field, models.FloatField):
        return _float
    if isinstance(field, models.IntegerField | models.CharField | models.TextField):
        return None
    return content_value


def content_of(spec: Covered, row: Sequence[Any]) -> dict[str, Any]:
    """The canonical content of one row of ``rows_of(spec)`` (raw database values, or
    the same values as Python objects)."""
    body = {}
    for (name, spell, has_default, default), value in zip(spec.plan, row, strict=True):
        if value is None:
            continue
        if spell is not None:
            value = spell(value)
        if has_default and value == default:
            continue
        body[name] = value
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
    """The committed columns of ``spec``'s rows (all of them, or those with ``pks``), as
    the database returns them: one raw SELECT on a cursor of its own (server-side on
    PostgreSQL), so a million rows never sit in memory and no model is built."""
    qn = connection.ops.quote_name
    pk = qn(spec.model._meta.pk.column)
    select = f"SELECT {', '.join(qn(c) for c in spec.db_columns)} FROM {qn(spec.model._meta.db_table)}"  # noqa: S608 - names from the model's meta, quoted
    batches: list[list[Any] | None] = [None]
    if pks is not None:
        wanted = sorted(set(pks))
        batches = [wanted[i : i + 500] for i in range(0, len(wanted), 500)]
    for batch in batches:
        sql, params = select, []
        if batch is not None:
            sql += f" WHERE {pk} IN ({', '.join(['%s'] * len(batch))})"
            params = batch
        with connection.chunked_cursor() as cursor:
            cursor.execute(f"{sql} ORDER BY {pk}", params)
            while found := cursor.fetchmany(chunk):
                yield from found


def key_of_row(spec: Covered, row: Sequence[Any]) -> str:
    """The event key of a ``rows_of`` row."""
    index = spec.columns.index(spec.key)
    spell = spec.plan[index][1]
    value = row[index]
    return spec.key_of(value if spell is None else spell(value))


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
        found = 0
        for row in rows_of(spec, pks=set(pks)):
            content = content_of(spec, row)
            key = key_of_row(spec, row)
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
