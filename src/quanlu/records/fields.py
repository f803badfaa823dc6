"""Cleaning a document's field values against its type, with Chinese messages.

Values are stored as plain JSON in one spelling (dates ``YYYY-MM-DD``, times UTC
ISO-8601 with ``Z``, money as a decimal string), so the content hash of the same
content is always the same. People and officers are stored as snapshots: the
document keeps the name and certificate number it was made with.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from quanlu.cases.models import Case
from quanlu.core.canonical import jsonable
from quanlu.core.errors import InvalidInput
from quanlu.core.validation import hidden_characters, parse_uuid
from quanlu.org.models import Officer
from quanlu.records.catalogue import NOTICE_METHODS, RIGHTS, DocType, FieldSpec
from quanlu.rulebooks.evaluator import rulebook_for
from quanlu.rulebooks.obligations import field_rules, refusal

TEXT_MAX = 500
LONG_TEXT_MAX = 20000
LIST_MAX = 500
_MONEY_RE = re.compile(r"^\d{1,12}(\.\d{1,2})?$")
_TRUE = {"true", "1", "on", "yes", "是"}
_FALSE = {"false", "0", "off", "no", "否", ""}


@dataclass
class Context:
    case: Case
    rulebook_id: str

    def officer(self, value: Any, label: str, key: str) -> Officer:
        if isinstance(value, dict):
            value = value.get("officer")
        try:
            uid = parse_uuid(value, label=label, field=key)
        except InvalidInput as exc:
            raise InvalidInput(f"「{label}」应选择本机关的执法人员。", field_name=key) from exc
        officer = Officer.objects.filter(public_id=uid, agency_id=self.case.agency_id, is_active=True).first()
        if officer is None:
            raise InvalidInput(f"「{label}」中的人员不是本机关在职人员。", field_name=key)
        return officer


def _text(value: Any, label: str, key: str, max_length: int, *, multiline: bool) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"「{label}」应为文字。", field_name=key)
    value = value.replace("\r\n", "\n").strip()
    allowed = "\n\t" if multiline else "\t"
    if any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in value):
        what = "控制字符" if multiline else "换行或控制字符"
        raise InvalidInput(f"「{label}」含有不允许的{what}。", field_name=key)
    if len(value) > max_length:
        raise InvalidInput(f"「{label}」不能超过{max_length}个字（现有{len(value)}个字）。", field_name=key)
    return value


def _date(value: Any, label: str, key: str) -> str:
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    parsed = parse_date(value) if isinstance(value, str) else None
    if parsed is None:
        raise InvalidInput(f"「{label}」应为日期（如 2026-11-03）。", field_name=key)
    return parsed.isoformat()


# How far a phone's clock may run ahead of the server's before a time is "future".
CLOCK_SKEW = dt.timedelta(minutes=5)


def _datetime(value: Any, label: str, key: str, *, past: bool = False) -> str:
    parsed: dt.datetime | None
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = parse_datetime(value.strip().replace(" ", "T"))
        except ValueError:
            parsed = None
    else:
        parsed = None
    if parsed is None:
        raise InvalidInput(f"「{label}」应为日期和时间（如 2026-11-03 09:30）。", field_name=key)
    if timezone.is_naive(parsed):
        # A time typed on a form is local time (Asia/Shanghai by default).
        parsed = timezone.make_aware(parsed)
    if past and parsed > timezone.now() + CLOCK_SKEW:
        shown = timezone.localtime(parsed).strftime("%Y-%m-%d %H:%M")
        raise InvalidInput(
            f"「{label}」{shown}晚于现在：笔录记载已经发生的事，时间不能填将来，请核对日期。",
            field_name=key,
        )
    return str(jsonable(parsed))


def _integer(value: Any, spec: FieldSpec, label: str, key: str) -> int:
    if isinstance(value, (bool, float)):
        raise InvalidInput(f"「{label}」应为整数。", field_name=key)
    if isinstance(value, str) and re.fullmatch(r"-?\d{1,12}", value.strip()):
        value = int(value.strip())
    if not isinstance(value, int):
        raise InvalidInput(f"「{label}」应为整数。", field_name=key)
    if spec.minimum is not None and value < spec.minimum:
        raise InvalidInput(f"「{label}」不能小于{spec.minimum}。", field_name=key)
    if spec.maximum is not None and value > spec.maximum:
        raise InvalidInput(f"「{label}」不能大于{spec.maximum}。", field_name=key)
    return value


def _money(value: Any, label: str, key: str) -> str:
    if isinstance(value, (bool, float)):
        # Floats lose cents; amounts travel as strings or Decimals.
        raise InvalidInput(f"「{label}」应为金额（如 1000.00）。", field_name=key)
    text = str(value).strip().replace(",", "")
    if not _MONEY_RE.match(text):
        raise InvalidInput(f"「{label}」应为不小于零、最多两位小数的金额（如 1000.00）。", field_name=key)
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise InvalidInput(f"「{label}」应为金额（如 1000.00）。", field_name=key) from exc
    return f"{amount:.2f}"


def _boolean(value: Any, label: str, key: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise InvalidInput(f"「{label}」应为“是”或“否”。", field_name=key)


def _list(value: Any, label: str, key: str) -> list[Any]:
    if value is None or value == "":
        return []
    if not isinstance(value, list):
        raise InvalidInput(f"「{label}」应为列表。", field_name=key)
    if len(value) > LIST_MAX:
        raise InvalidInput(f"「{label}」最多{LIST_MAX}项。", field_name=key)
    return value


def _mapping(value: Any, label: str, key: str, n: int) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput(f"「{label}」第{n}项格式不正确。", field_name=key)
    return value


def _person(value: Any, label: str, key: str) -> dict[str, str] | None:
    if value in (None, "", {}):
        return None
    value = _mapping(value, label, key, 1)
    out = {
        "name": _text(value.get("name"), f"{label}姓名", key, 100, multiline=False),
        "id_number": _text(value.get("id_number"), f"{label}证件号码", key, 64, multiline=False),
        "gender": _text(value.get("gender"), f"{label}性别", key, 8, multiline=False),
        "phone": _text(value.get("phone"), f"{label}联系电话", key, 32, multiline=False),
        "address": _text(value.get("address"), f"{label}住址", key, 300, multiline=False),
        "position": _text(value.get("position"), f"{label}工作单位及职务", key, 200, multiline=False),
    }
    if not out["name"]:
        raise InvalidInput(f"「{label}」应填写姓名。", field_name=key)
    if hidden_characters(out["name"]):
        raise InvalidInput(
            f"「{label}姓名」含有换行、控制字符或改变文字显示方向的不可见字符，请删除后重新填写。",
            field_name=key,
        )
    return out


def clean_field(spec: FieldSpec, value: Any, ctx: Context) -> Any:
    """The stored form of one value, or None when empty. Raises InvalidInput."""
    label, key, t = spec.label, spec.key, spec.type
    if t in ("text", "long_text"):
        limit = spec.max_length or (TEXT_MAX if t == "text" else LONG_TEXT_MAX)
        return _text(value, label, key, limit, multiline=t == "long_text") or None
    if value is None or value == "" or value == []:
        return None
    if t == "date":
        return _date(value, label, key)
    if t == "datetime":
        return _datetime(value, label, key, past=not spec.future)
    if t == "integer":
        return _integer(value, spec, label, key)
    if t == "money":
        return _money(value, label, key)
    if t == "boolean":
        return _boolean(value, label, key)
    if t == "choice":
        allowed = dict(spec.options)
        if value not in allowed:
            raise InvalidInput(
                f"「{label}」的取值无效，应为：{'、'.join(allowed.values())}。", field_name=key
            )
        return value
    if t == "multi_choice":
        items = _list(value, label, key)
        allowed = dict(spec.options)
        bad = [v for v in items if v not in allowed]
        if bad:
            raise InvalidInput(
                f"「{label}」的取值无效，应为：{'、'.join(allowed.values())}。", field_name=key
            )
        return [v for v, _ in spec.options if v in items] or None
    if t == "officer":
        officer = ctx.officer(value, label, key)
        return {
            "officer": str(officer.public_id),
            "name": officer.full_name,
            "certificate_no": officer.certificate_no,
        }
    if t == "officers":
        return _officers(spec, value, ctx) or None
    if t == "party":
        return _party(value, ctx, label, key)
    if t == "person":
        return _person(value, label, key)
    if t == "persons":
        out = []
        for n, item in enumerate(_list(value, label, key), 1):
            item = _mapping(item, label, key, n)
            person = _person(item, f"{label}第{n}项", key) or {}
            person["role"] = _text(item.get("role"), f"{label}第{n}项身份", key, 50, multiline=False)
            out.append(person)
        return out or None
    if t == "items":
        return _items(spec, value) or None
    if t == "turns":
        return _turns(spec, value) or None
    if t == "rights":
        return _rights(spec, value, ctx) or None
    raise InvalidInput(f"「{label}」的类型无法识别。", field_name=key)  # pragma: no cover


def _officers(spec: FieldSpec, value: Any, ctx: Context) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    day = timezone.localdate()
    for n, item in enumerate(_list(value, spec.label, spec.key), 1):
        if isinstance(item, str):
            item = {"officer": item}
        item = _mapping(item, spec.label, spec.key, n)
        officer = ctx.officer(item.get("officer"), spec.label, spec.key)
        if str(officer.public_id) in seen:
            raise InvalidInput(f"「{spec.label}」中{officer.full_name}重复。", field_name=spec.key)
        seen.add(str(officer.public_id))
        # INV-02: the certificate number comes from the registry, not from the form.
        if not officer.certificate_valid_on(day):
            raise InvalidInput(
                f"「{spec.label}」中{officer.full_name}没有有效的行政执法证件，不能作为执法人员。",
                field_name=spec.key,
            )
        shown = item.get("certificate_shown", False)
        out.append(
            {
                "officer": str(officer.public_id),
                "name": officer.full_name,
                "certificate_no": officer.certificate_no,
                "certificate_shown": _boolean(shown, f"{spec.label}出示证件情况", spec.key),
            }
        )
    return out


def _party(value: Any, ctx: Context, label: str, key: str) -> dict[str, str]:
    if isinstance(value, dict):
        value = value.get("party")
    try:
        uid = parse_uuid(value, label=label, field=key)
    except InvalidInput as exc:
        raise InvalidInput(f"「{label}」应选择本案登记的当事人。", field_name=key) from exc
    party = ctx.case.parties.filter(public_id=uid).first()
    if party is None:
        raise InvalidInput(f"「{label}」应选择本案登记的当事人。", field_name=key)
    return {
        "party": str(party.public_id),
        "name": party.name,
        "kind": party.kind,
        "id_type": party.get_id_type_display(),
        "id_number": party.id_number,
        "legal_representative": party.legal_representative,
        "address": party.address,
        "phone": party.phone,
    }


def _items(spec: FieldSpec, value: Any) -> list[dict[str, Any]]:
    rows = []
    for n, item in enumerate(_list(value, spec.label, spec.key), 1):
        item = _mapping(item, spec.label, spec.key, n)
        unknown = set(item) - {c.key for c in spec.columns}
        if unknown:
            raise InvalidInput(
                f"「{spec.label}」第{n}项有未知的栏目：{'、'.join(sorted(unknown))}。", field_name=spec.key
            )
        row: dict[str, Any] = {}
        for col in spec.columns:
            label = f"{spec.label}第{n}项「{col.label}」"
            raw = item.get(col.key)
            if col.type == "text":
                row[col.key] = _text(raw, label, spec.key, TEXT_MAX, multiline=False)
            elif raw in (None, ""):
                row[col.key] = None
            elif col.type == "integer":
                row[col.key] = _integer(raw, col, label, spec.key)
            elif col.type == "money":
                row[col.key] = _money(raw, label, spec.key)
            else:
                row[col.key] = _date(raw, label, spec.key)
        if any(v not in (None, "") for v in row.values()):
            rows.append(row)
    return rows


def _turns(spec: FieldSpec, value: Any) -> list[dict[str, str]]:
    speakers = dict(spec.speakers)
    out = []
    for n, item in enumerate(_list(value, spec.label, spec.key), 1):
        item = _mapping(item, spec.label, spec.key, n)
        speaker = item.get("speaker")
        if speaker not in speakers:
            raise InvalidInput(
                f"「{spec.label}」第{n}项的发言人身份应为：{'、'.join(speakers.values())}。",
                field_name=spec.key,
            )
        text = _text(item.get("text"), f"{spec.label}第{n}项", spec.key, LONG_TEXT_MAX, multiline=True)
        if not text:
            raise InvalidInput(f"「{spec.label}」第{n}项没有发言内容。", field_name=spec.key)
        name = _text(item.get("name"), f"{spec.label}第{n}项发言人", spec.key, 100, multiline=False)
        out.append({"speaker": speaker, "name": name, "text": text})
    return out


def _rights(spec: FieldSpec, value: Any, ctx: Context) -> list[dict[str, Any]]:
    expected = spec.rights_for(ctx.rulebook_id)
    given: dict[str, dict[str, Any]] = {}
    for n, item in enumerate(_list(value, spec.label, spec.key), 1):
        item = _mapping(item, spec.label, spec.key, n)
        right = item.get("right")
        if right not in RIGHTS:
            raise InvalidInput(f"「{spec.label}」第{n}项的权利无法识别。", field_name=spec.key)
        given[right] = item
    out = []
    for right in expected:
        item = given.get(right)
        name = RIGHTS[right]
        if item is None or not _boolean(item.get("notified", False), f"告知{name}", spec.key):
            raise InvalidInput(f"「{spec.label}」应记录已告知当事人{name}的权利。", field_name=spec.key)
        method = item.get("method")
        if method not in NOTICE_METHODS:
            raise InvalidInput(
                f"「{spec.label}」应记录告知{name}权利的方式（{'、'.join(NOTICE_METHODS.values())}）。",
                field_name=spec.key,
            )
        exercised = _text(item.get("exercised"), f"{name}权利的行使情况", spec.key, 2000, multiline=True)
        out.append({"right": right, "notified": True, "method": method, "exercised": exercised})
    return out


def clean_fields(
    doc_type: DocType, raw: Any, ctx: Context, *, previous: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Clean every field of a filled-in document; required and conditional fields enforced.

    With ``previous`` (an amendment), fields not in ``raw`` keep their stored values
    unchanged: an officer's certificate that expired since is no reason to refuse
    correcting a typo elsewhere."""
    if not isinstance(raw, dict):
        raise InvalidInput("文书内容应为字段名到取值的对应关系。", field_name="fields")
    known = {f.key for f in doc_type.fields}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise InvalidInput(f"《{doc_type.title}》没有这些栏目：{'、'.join(unknown)}。", field_name=unknown[0])
    values: dict[str, Any] = {}
    for spec in doc_type.fields:
        if previous is not None and spec.key not in raw:
            values[spec.key] = previous.get(spec.key)
        else:
            values[spec.key] = clean_field(spec, raw.get(spec.key), ctx)
    out: dict[str, Any] = {}
    for spec in doc_type.fields:
        value = values[spec.key]
        if not spec.applies(values):
            continue  # a field that does not apply is not kept, whatever was typed
        if value is None:
            if spec.required:
                _refuse_missing(doc_type, spec, values, ctx)
            continue
        if (
            spec.type in ("officers", "items", "turns", "persons", "multi_choice")
            and len(value) < spec.min_count
        ):
            raise InvalidInput(f"「{spec.label}」至少应有{spec.min_count}项。", field_name=spec.key)
        out[spec.key] = value
    _check_times(doc_type, out)
    return out


def _refuse_missing(doc_type: DocType, spec: FieldSpec, values: dict[str, Any], ctx: Context) -> None:
    """A required field left empty: where a rule of the case's rulebook asks the field
    (001 第十五条: each opinion of the internal approval dated), the refusal is that
    rule's finding, with its article; otherwise the catalogue's own form error."""
    message = f"「{spec.label}」为必填项。"
    rules = field_rules(rulebook_for(ctx.case), doc_type.code, spec.key, values)
    if rules:
        raise refusal(
            rules,
            f"「{spec.label}」为必填项：《{doc_type.title}》应当载明。",
            satisfy=f"填写「{spec.label}」。",
            code="field_required",
            field=spec.key,
            status=422,
        )
    raise InvalidInput(message, field_name=spec.key)


def _check_times(doc_type: DocType, values: dict[str, Any]) -> None:
    start, end = values.get("started_at"), values.get("ended_at")
    if start and end and end < start:
        raise InvalidInput("「结束时间」不能早于「开始时间」。", field_name="ended_at")
