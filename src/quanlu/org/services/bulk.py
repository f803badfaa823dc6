"""Bulk import of agencies and officers from a spreadsheet (``quanlu.org.spreadsheet``):
every row goes through the same services as a single registration, each in its own
savepoint so every bad row is reported; the whole import commits only when no row
failed and it is not a dry run (all or nothing)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction

from quanlu.core.errors import DomainError
from quanlu.ledger.services import record_event
from quanlu.org import events
from quanlu.org.models import Agency, AgencyKind, AgencyLevel, Officer, Region, Role
from quanlu.org.services.agencies import agency_create, officer_create
from quanlu.org.spreadsheet import AGENCY_SHEET, Sheet

# A service's field name → the column that holds it.
AGENCY_FIELDS = {
    "code": "代码",
    "name": "名称",
    "kind": "类别",
    "level": "层级",
    "region": "行政区划代码",
    "parent": "上级机关代码",
    "rulebook_id": "规则集",
    "case_prefix": "案号前缀",
    "uscc": "统一社会信用代码",
}
OFFICER_FIELDS = {
    "agency": "机关代码",
    "username": "用户名",
    "full_name": "姓名",
    "id_number": "身份证号码",
    "certificate_no": "执法证件编号",
    "issuing_authority": "发证机关",
    "area": "执法区域",
    "category": "执法类别",
    "valid_from": "有效期起",
    "valid_until": "有效期至",
    "certificate_valid_until": "有效期至",
    "role": "角色",
}
IMPORT_REASON = "批量导入"


@dataclass(frozen=True)
class RowError:
    sheet: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"「{self.sheet}」第 {self.row} 行"
        return f"{where}「{self.column}」：{self.message}" if self.column else f"{where}：{self.message}"


@dataclass
class ImportReport:
    dry_run: bool
    errors: list[RowError] = field(default_factory=list)
    agencies: int = 0
    officers: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def committed(self) -> bool:
        return self.ok and not self.dry_run


def _choice(value: str, choices: type[AgencyKind] | type[AgencyLevel] | type[Role]) -> str | None:
    for c in choices:
        if value in (c.value, c.label):
            return str(c.value)
    return None


def _date(value: str, column: str, problems: list[tuple[str, str]]) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        problems.append((column, f"日期「{value}」无效，应为 YYYY-MM-DD。"))
        return None


def _agency_row(actor: Officer | None, cells: dict[str, str]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    kind = _choice(cells.get("类别", ""), AgencyKind)
    level = _choice(cells.get("层级", ""), AgencyLevel)
    if kind is None:
        problems.append(("类别", f"未知的类别「{cells.get('类别', '')}」。"))
    if level is None:
        problems.append(("层级", f"未知的层级「{cells.get('层级', '')}」。"))
    region = Region.objects.filter(code=cells.get("行政区划代码", "")).first()
    if region is None:
        problems.append(("行政区划代码", f"行政区划代码「{cells.get('行政区划代码', '')}」未登记。"))
    parent = None
    if cells.get("上级机关代码"):
        parent = Agency.objects.filter(code=cells["上级机关代码"]).first()
        if parent is None:
            problems.append(("上级机关代码", f"上级机关「{cells['上级机关代码']}」不存在。"))
    if problems:
        return problems
    assert kind is not None
    assert level is not None
    assert region is not None
    agency_create(
        actor=actor,
        code=cells.get("代码", ""),
        name=cells.get("名称", ""),
        kind=kind,
        level=level,
        region=region,
        parent=parent,
        rulebook_id=cells.get("规则集", ""),
        case_prefix=cells.get("案号前缀", ""),
        uscc=cells.get("统一社会信用代码", ""),
    )
    return []


def _officer_row(actor: Officer | None, cells: dict[str, str]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    agency = Agency.objects.filter(code=cells.get("机关代码", "")).first()
    if agency is None:
        problems.append(("机关代码", f"机关「{cells.get('机关代码', '')}」不存在。"))
    roles = []
    for name in cells.get("角色", "").replace("，", "、").replace(",", "、").split("、"):
        if not name.strip():
            continue
        role = _choice(name.strip(), Role)
        if role is None:
            problems.append(("角色", f"未知的角色「{name.strip()}」。"))
        else:
            roles.append(role)
    valid_from = _date(cells.get("有效期起", ""), "有效期起", problems)
    valid_until = _date(cells.get("有效期至", ""), "有效期至", problems)
    if problems:
        return problems
    assert agency is not None
    officer_create(
        actor=actor,
        agency=agency,
        username=cells.get("用户名", ""),
        full_name=cells.get("姓名", ""),
        # No password: an administrator sets a temporary one (forcing a change) when
        # the officer first needs to sign in.
        password="",
        roles=roles,
        id_number=cells.get("身份证号码", ""),
        certificate_no=cells.get("执法证件编号", ""),
        certificate_issuer=cells.get("发证机关", ""),
        certificate_area=cells.get("执法区域", ""),
        certificate_category=cells.get("执法类别", ""),
        certificate_valid_from=valid_from,
        certificate_valid_until=valid_until,
        role_reason=IMPORT_REASON,
    )
    return []


def org_import(*, actor: Officer | None, sheets: list[Sheet], dry_run: bool) -> ImportReport:
    """Import the sheets' rows; nothing is written unless every row is good and
    ``dry_run`` is false. ``actor=None`` is the command line (the system)."""
    report = ImportReport(dry_run=dry_run)
    with transaction.atomic():
        for sheet in sorted(sheets, key=lambda s: s.name != AGENCY_SHEET):
            fields = AGENCY_FIELDS if sheet.name == AGENCY_SHEET else OFFICER_FIELDS
            run = _agency_row if sheet.name == AGENCY_SHEET else _officer_row
            for number, cells in sheet.rows:
                try:
                    with transaction.atomic():
                        problems = run(actor, cells)
                except DomainError as exc:
                    field_name = next((d.get("field") for d in exc.details if d.get("field")), "")
                    problems = [(fields.get(str(field_name), ""), exc.message)]
                if problems:
                    report.errors.extend(RowError(sheet.name, number, c, m) for c, m in problems)
                elif sheet.name == AGENCY_SHEET:
                    report.agencies += 1
                else:
                    report.officers += 1
        if not report.agencies and not report.officers and not report.errors:
            report.errors.append(RowError("", 0, "", "文件中没有数据行。"))
        if report.committed:
            record_event(
                type=events.ORG_IMPORTED,
                actor=actor,
                agency=actor.agency if actor is not None else None,
                payload={"agencies": report.agencies, "officers": report.officers},
            )
        else:
            # Every row was tried so every error is reported; none of it stays.
            transaction.set_rollback(True)
    return report
