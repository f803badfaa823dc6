"""The bulk import and export format of agencies and officers: an XLSX workbook with
the sheets 机关 and 人员 (either may be absent), or a CSV file holding one of them
(told apart by its header). Cells are read as text; dates as YYYY-MM-DD."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook, load_workbook

from quanlu.core.errors import InvalidInput

AGENCY_SHEET = "机关"
OFFICER_SHEET = "人员"
AGENCY_COLUMNS = [
    "代码",
    "名称",
    "类别",
    "层级",
    "行政区划代码",
    "上级机关代码",
    "规则集",
    "案号前缀",
    "统一社会信用代码",
]
OFFICER_COLUMNS = [
    "机关代码",
    "用户名",
    "姓名",
    "身份证号码",
    "执法证件编号",
    "发证机关",
    "执法区域",
    "执法类别",
    "有效期起",
    "有效期至",
    "角色",
]
MAX_ROWS = 20000


@dataclass
class Sheet:
    name: str
    # (row number as the spreadsheet shows it, {column: text})
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _sheet(name: str, columns: list[str], header: list[str], rows: Iterable[tuple[int, list[Any]]]) -> Sheet:
    missing = [c for c in columns if c not in header]
    if missing:
        raise InvalidInput(f"工作表「{name}」缺少列：{'、'.join(missing)}。", field_name="file")
    sheet = Sheet(name)
    for number, values in rows:
        cells = {h: _text(v) for h, v in zip(header, values, strict=False) if h in columns}
        if any(cells.values()):
            sheet.rows.append((number, cells))
        if len(sheet.rows) > MAX_ROWS:
            raise InvalidInput(f"工作表「{name}」超过 {MAX_ROWS} 行，请分批导入。", field_name="file")
    return sheet


def read(data: bytes, filename: str) -> list[Sheet]:
    """The sheets in an uploaded file, agencies first (officers name them)."""
    if filename.lower().endswith(".csv"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidInput("CSV 文件应为 UTF-8 编码。", field_name="file") from exc
        lines = list(csv.reader(io.StringIO(text)))
        if not lines:
            raise InvalidInput("文件为空。", field_name="file")
        header = [h.strip() for h in lines[0]]
        name, columns = (
            (OFFICER_SHEET, OFFICER_COLUMNS) if "用户名" in header else (AGENCY_SHEET, AGENCY_COLUMNS)
        )
        return [_sheet(name, columns, header, ((i + 2, row) for i, row in enumerate(lines[1:])))]
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not XLSX
        raise InvalidInput("无法读取文件：请上传 .xlsx 或 .csv 文件。", field_name="file") from exc
    sheets = []
    for name, columns in ((AGENCY_SHEET, AGENCY_COLUMNS), (OFFICER_SHEET, OFFICER_COLUMNS)):
        if name not in book.sheetnames:
            continue
        it = book[name].iter_rows(values_only=True)
        header = [_text(h) for h in next(it, ())]
        sheets.append(_sheet(name, columns, header, ((i + 2, list(r)) for i, r in enumerate(it))))
    if not sheets:
        raise InvalidInput(f"工作簿中没有「{AGENCY_SHEET}」或「{OFFICER_SHEET}」工作表。", field_name="file")
    return sheets


def write_xlsx(agencies: list[list[str]], officers: list[list[str]]) -> bytes:
    book = Workbook()
    first = book.active
    assert first is not None
    first.title = AGENCY_SHEET
    first.append(AGENCY_COLUMNS)
    for row in agencies:
        first.append(row)
    second = book.create_sheet(OFFICER_SHEET)
    second.append(OFFICER_COLUMNS)
    for row in officers:
        second.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_csv(columns: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")
