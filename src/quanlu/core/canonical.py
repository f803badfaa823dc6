"""Canonical JSON (RFC 8785) for ledger events and anything else that is hashed."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import rfc8785


def jsonable(value: Any) -> Any:
    """Convert to plain JSON types with one fixed spelling per value.

    Datetimes become UTC ISO-8601 with microseconds and a ``Z``; decimals become
    strings (floats would lose digits and RFC 8785 would re-spell them).
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        raise TypeError("floats are not allowed in hashed data; use Decimal or int")
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise TypeError("naive datetime in hashed data")
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    raise TypeError(f"cannot put {type(value).__name__} into canonical JSON")


def canonical_bytes(value: Any) -> bytes:
    return rfc8785.dumps(jsonable(value))
