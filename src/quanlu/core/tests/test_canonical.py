import datetime as dt
import json
import uuid
from decimal import Decimal

import pytest

from quanlu.core.canonical import canonical_bytes


def test_keys_are_sorted_and_whitespace_dropped():
    assert canonical_bytes({"b": 1, "a": [True, None, "x"]}) == b'{"a":[true,null,"x"],"b":1}'


def test_rfc8785_sorts_keys_by_utf16_code_units():
    # RFC 8785 §3.2.3 example: sorting by UTF-16 code units, not code points.
    data = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    keys = list(json.loads(canonical_bytes(data), object_pairs_hook=lambda pairs: [k for k, _ in pairs]))
    assert keys == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


def test_chinese_is_kept_as_utf8():
    assert canonical_bytes({"案由": "排污"}) == '{"案由":"排污"}'.encode()


def test_values_have_one_spelling():
    when = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    out = canonical_bytes(
        {"t": when, "u": uuid.UUID(int=1), "d": Decimal("1.50"), "day": dt.date(2026, 1, 2)}
    )
    assert out == (
        b'{"d":"1.50","day":"2026-01-02","t":"2026-11-24T07:00:00.000000Z",'
        b'"u":"00000000-0000-0000-0000-000000000001"}'
    )


@pytest.mark.parametrize("bad", [1.5, dt.datetime(2026, 1, 1), object()])
def test_unhashable_values_are_refused(bad):
    with pytest.raises(TypeError):
        canonical_bytes({"x": bad})
