"""Stable identities for seeded data (`quanlu demo`): the same name gives the same
``client_token`` on every run, so loading twice changes nothing; identity numbers
come with their check digits."""

from __future__ import annotations

import uuid

from quanlu.core.idnumbers import resident_id_check_digit, uscc_check_char

_NS = uuid.UUID("6f1c1e1e-9d43-4a53-9a4d-6b2f3f1b7a10")


def token(name: str) -> uuid.UUID:
    return uuid.uuid5(_NS, name)


def resident_id(prefix6: str, birth: str, seq: str) -> str:
    first = f"{prefix6}{birth}{seq}"
    return first + resident_id_check_digit(first)


def uscc(body17: str) -> str:
    return body17 + uscc_check_char(body17)
