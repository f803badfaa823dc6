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
