"""Check digits of the Chinese resident ID (GB 11643-1999) and the unified social
credit code (GB 32100-2015), so a mistyped number is caught at the gate."""

from __future__ import annotations

import datetime as dt
import re

_RESIDENT_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_RESIDENT_CHECK = "10X98765432"
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def resident_id_problem(number: str) -> str | None:
    """None when valid, else a Chinese explanation."""
    if not re.fullmatch(r"\d{17}[\dX]", number):
        return "居民身份证号码应为18位（最后一位可为X）。"
    try:
        dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return "居民身份证号码中的出生日期无效。"
    total = sum(int(d) * w for d, w in zip(number[:17], _RESIDENT_WEIGHTS, strict=True))
    if _RESIDENT_CHECK[total % 11] != number[17]:
        return "居民身份证号码校验位不正确，请核对。"
    return None


def uscc_problem(code: str) -> str | None:
    if len(code) != 18 or any(ch not in _USCC_ALPHABET for ch in code):
        return "统一社会信用代码应为18位数字或大写字母（不含I、O、Z、S、V）。"
    total = sum(_USCC_ALPHABET.index(ch) * w for ch, w in zip(code[:17], _USCC_WEIGHTS, strict=True))
    expected = _USCC_ALPHABET[(31 - total % 31) % 31]
    if code[17] != expected:
        return "统一社会信用代码校验位不正确，请核对。"
    return None


def resident_id_check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _RESIDENT_WEIGHTS, strict=True))
    return _RESIDENT_CHECK[total % 11]


def uscc_check_char(first17: str) -> str:
    total = sum(_USCC_ALPHABET.index(ch) * w for ch, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31]
