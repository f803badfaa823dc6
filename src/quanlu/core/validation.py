"""Small input checks shared by services, with Chinese messages that name the field."""

from __future__ import annotations

import unicodedata
import uuid
from typing import Any

from quanlu.core.errors import InvalidInput


def clean_text(value: Any, *, label: str, field: str, max_length: int, required: bool = True) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(f"「{label}」应为文字。", field_name=field)
    value = value.strip()
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t\r" for ch in value):
        raise InvalidInput(f"「{label}」含有不可见的控制字符。", field_name=field)
    if required and not value:
        raise InvalidInput(f"「{label}」为必填项。", field_name=field)
    if len(value) > max_length:
        raise InvalidInput(f"「{label}」不能超过{max_length}个字（现有{len(value)}个字）。", field_name=field)
    return value


def hidden_characters(value: str) -> bool:
    """Characters that are not seen but change what is: control characters (line
    breaks included), format characters (the bidi embeddings, overrides and isolates
    U+202A–U+202E and U+2066–U+2069 that reverse how a name reads, zero-width marks)
    and line or paragraph separators. Refused in names and file names."""
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in value)


def clean_name(value: Any, *, label: str, field: str, max_length: int, required: bool = True) -> str:
    """A person's or an organisation's name: ``clean_text`` on one line, with no
    characters that could make it display as another name."""
    value = clean_text(value, label=label, field=field, max_length=max_length, required=required)
    if hidden_characters(value):
        raise InvalidInput(
            f"「{label}」含有换行、控制字符或改变文字显示方向的不可见字符，请删除后重新填写。",
            field_name=field,
        )
    return value


def clean_choice(value: Any, *, label: str, field: str, choices: Any) -> str:
    allowed = {c.value: c.label for c in choices}
    if value not in allowed:
        options = "、".join(allowed.values())
        raise InvalidInput(f"「{label}」的取值无效，应为：{options}。", field_name=field)
    return str(value)


def parse_uuid(value: Any, *, label: str = "标识", field: str = "id") -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError) as exc:
        raise InvalidInput(f"「{label}」格式不正确。", field_name=field) from exc
