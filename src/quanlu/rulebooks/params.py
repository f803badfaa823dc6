"""The registry of rule kinds' parameter validators (``@rule_kind``), and durations.

``kinds.py`` registers one validator per kind; the loader runs it on each rule's
parameters, so a bad rulebook fails at load with the file and the rule named.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

Validator = Callable[[dict[str, Any]], None]

# kind name -> validator of its params (raises ValueError with a message).
KINDS: dict[str, Validator] = {}

_DURATION_RE = re.compile(r"^(\d+)\s*(h|d)$")


def rule_kind(name: str) -> Callable[[Validator], Validator]:
    def register(validator: Validator) -> Validator:
        KINDS[name] = validator
        return validator

    return register


def known_kinds() -> list[str]:
    return sorted(KINDS)


def parse_duration(value: Any) -> dt.timedelta:
    """'24h' or '30d' → timedelta; anything else is refused."""
    match = _DURATION_RE.match(str(value).strip())
    if not match:
        raise ValueError(f"bad duration {value!r} (expected like '24h' or '30d')")
    amount, unit = int(match.group(1)), match.group(2)
    if amount <= 0:
        raise ValueError(f"bad duration {value!r}: must be positive")
    return dt.timedelta(hours=amount) if unit == "h" else dt.timedelta(days=amount)


def duration_label(value: Any) -> str:
    """'24h' → 24小时, '30d' → 30日, for people."""
    parse_duration(value)  # refuses a bad one
    amount, unit = _DURATION_RE.match(str(value).strip()).groups()  # type: ignore[union-attr]
    return f"{amount}{'小时' if unit == 'h' else '日'}"
