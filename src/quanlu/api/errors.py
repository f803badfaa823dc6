"""Every API error is JSON ``{"code", "message"[, "details"]}`` with a Chinese message."""

from __future__ import annotations

from typing import Any

FIELD_LABELS = {
    "kind": "类别",
    "procedure": "程序",
    "initiation_mode": "启动方式",
    "source": "案件来源",
    "source_detail": "来源说明",
    "cause": "案由",
    "reason": "理由",
    "summary": "基本案情",
    "is_major": "重大行政执法决定",
    "emergency": "情况紧急先行启动",
    "emergency_reason": "紧急情况说明",
    "client_token": "提交标识",
    "name": "名称或姓名",
    "id_type": "证件类型",
    "id_number": "证件号码",
    "legal_representative": "法定代表人（负责人）",
    "address": "住所（地址）",
    "phone": "联系电话",
    "gate": "审批事项",
    "opinion": "意见",
    "reasons": "理由",
    "to_stage": "目标阶段",
    "from_stage": "当前阶段",
    "step_index": "审批环节",
    "limit": "条数",
    "offset": "起始位置",
    "stage": "阶段",
}


def _label(loc: list[Any]) -> tuple[str, str]:
    names = [str(p) for p in loc if p not in ("body", "query", "path", "payload", "data")]
    field = names[-1] if names else ""
    return field, FIELD_LABELS.get(field, field or "请求")


def translate(error: dict[str, Any]) -> dict[str, str]:
    """One pydantic error → a Chinese sentence naming the field."""
    field, label = _label(list(error.get("loc", [])))
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        message = f"「{label}」为必填项。"
    elif kind == "json_invalid":
        message = "请求内容不是有效的 JSON。"
    elif kind in ("string_type", "string_unicode"):
        message = f"「{label}」应为文字。"
    elif kind in ("bool_type", "bool_parsing"):
        message = f"「{label}」应为是或否（true/false）。"
    elif kind in ("int_type", "int_parsing", "int_from_float"):
        message = f"「{label}」应为整数。"
    elif kind in ("uuid_type", "uuid_parsing"):
        message = f"「{label}」格式不正确（应为UUID）。"
    elif kind == "string_too_long":
        message = f"「{label}」不能超过{ctx.get('max_length')}个字。"
    elif kind in ("greater_than_equal", "greater_than"):
        message = f"「{label}」不能小于{ctx.get('ge', ctx.get('gt'))}。"
    elif kind in ("less_than_equal", "less_than"):
        message = f"「{label}」不能大于{ctx.get('le', ctx.get('lt'))}。"
    elif kind in ("model_attributes_type", "dict_type", "model_type"):
        message = "请求内容应为 JSON 对象。"
    elif kind in ("list_type",):
        message = f"「{label}」应为列表。"
    elif kind == "literal_error" or kind == "enum":
        message = f"「{label}」的取值无效，应为：{ctx.get('expected', '')}。"
    else:
        message = f"「{label}」的取值无效。"
    return {"field": field, "message": message}


def validation_body(errors: list[dict[str, Any]]) -> dict[str, Any]:
    details = [translate(e) for e in errors]
    first = details[0]["message"] if details else "请求内容不正确。"
    return {"code": "invalid_input", "message": first, "details": details}
