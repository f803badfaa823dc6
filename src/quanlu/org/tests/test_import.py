"""Bulk import: a dry run names every bad row; the import is all or nothing; the export
reads back in."""

import datetime as dt
import io
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook, load_workbook

from quanlu.ledger.models import Event
from quanlu.org import services, spreadsheet
from quanlu.org.models import Agency, Certificate, Officer, Role
from quanlu.testing import factories as f


def officer_rows(agency_code, n=50, start=0):
    rows = []
    for i in range(start, start + n):
        rows.append(
            [
                agency_code,
                f"imp{i:03d}",
                f"导入人员{i}",
                f.resident_id(seq=f"{i:03d}"),
                f"ZJ{i:06d}",
                "测试市人民政府",
                "测试县",
                "生态环境",
                "2025-01-01",
                "2028-12-31",
                "执法人员、承办人" if i % 2 else "执法人员",
            ]
        )
    return rows


def xlsx(agencies, officers):
    return spreadsheet.write_xlsx(agencies, officers)


def with_three_bad_rows(agency_code):
    rows = officer_rows(agency_code)
    rows[4][3] = rows[4][3][:-1] + ("0" if rows[4][3][-1] != "0" else "1")  # row 6: ID check digit
    rows[19][4] = rows[2][4]  # row 21: certificate number of row 4
    rows[41][10] = "执法人员、皇帝"  # row 43: unknown role
    return rows


def test_a_dry_run_names_the_three_bad_rows_and_the_import_writes_nothing(world):
    data = xlsx([], with_three_bad_rows(world.agency.code))
    sheets = spreadsheet.read(data, "officers.xlsx")
    before = Officer.objects.count(), Event.objects.count(), Certificate.objects.count()
    report = services.org_import(actor=None, sheets=sheets, dry_run=True)
    assert [(e.row, e.column) for e in report.errors] == [
        (6, "身份证号码"),
        (21, "执法证件编号"),
        (43, "角色"),
    ]
    assert "校验位" in report.errors[0].message
    assert "已登记" in report.errors[1].message
    assert "皇帝" in report.errors[2].message
    assert str(report.errors[2]) == "「人员」第 43 行「角色」：未知的角色「皇帝」。"
    report = services.org_import(actor=None, sheets=sheets, dry_run=False)
    assert not report.committed
    assert len(report.errors) == 3
    assert (Officer.objects.count(), Event.objects.count(), Certificate.objects.count()) == before

    fixed = spreadsheet.read(xlsx([], officer_rows(world.agency.code)), "officers.xlsx")
    assert services.org_import(actor=None, sheets=fixed, dry_run=True).ok
    assert Officer.objects.count() == before[0]
    report = services.org_import(actor=None, sheets=fixed, dry_run=False)
    assert report.committed
    assert report.officers == 50
    imported = Officer.objects.filter(username__startswith="imp")
    assert imported.count() == 50
    one = imported.get(username="imp001")
    assert one.has_role(Role.HANDLER)
    assert not one.has_usable_password()
    assert one.certificate_valid_until == dt.date(2028, 12, 31)
    assert Event.objects.filter(type="org:import:done").count() == 1


def test_agencies_and_officers_in_one_workbook_and_the_export_reads_back(world, tmp_path):
    agencies = [
        [
            "new-a",
            "新甲局",
            "行政执法机关",
            "县级",
            world.agency.region.code,
            world.superior.code,
            f.R004,
            "新甲",
            "",
        ],
        [
            "new-b",
            "新乙局",
            "enforcement",
            "county",
            world.agency.region.code,
            "new-a",
            f.R004,
            "新乙",
            f.uscc(),
        ],
    ]
    path = tmp_path / "org.xlsx"
    path.write_bytes(xlsx(agencies, officer_rows("new-b", n=3)))
    out = StringIO()
    call_command("org", "import", str(path), "--dry-run", stdout=out)
    assert "检查通过，可导入 2 个机关、3 名人员" in out.getvalue()
    assert not Agency.objects.filter(code="new-a").exists()
    call_command("org", "import", str(path), stdout=StringIO())
    b = Agency.objects.get(code="new-b")
    assert b.parent.code == "new-a"
    assert b.officers.count() == 3

    exported = tmp_path / "out.xlsx"
    call_command("org", "export", str(exported), "--agency", "new-a", stdout=StringIO())
    book = load_workbook(exported)
    assert [c.value for c in book["人员"][1]] == spreadsheet.OFFICER_COLUMNS
    assert book["人员"].max_row == 4
    assert book["机关"]["B3"].value == "新乙局"
    # Read back: every row now a duplicate, named as such, and nothing written.
    report = services.org_import(
        actor=None, sheets=spreadsheet.read(exported.read_bytes(), "out.xlsx"), dry_run=True
    )
    assert len(report.errors) == 5
    assert all("已" in e.message for e in report.errors)


def test_csv_and_broken_files(world, tmp_path):
    csv_path = tmp_path / "officers.csv"
    csv_path.write_bytes(
        spreadsheet.write_csv(spreadsheet.OFFICER_COLUMNS, officer_rows(world.agency.code, n=2))
    )
    out = StringIO()
    call_command("org", "import", str(csv_path), stdout=out)
    assert "已导入 0 个机关、2 名人员" in out.getvalue()
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook")
    with pytest.raises(CommandError, match="无法读取文件"):
        call_command("org", "import", str(bad))
    book = Workbook()
    assert book.active is not None
    book.active.title = "人员"
    book.active.append(["用户名", "姓名"])
    buf = io.BytesIO()
    book.save(buf)
    (tmp_path / "cols.xlsx").write_bytes(buf.getvalue())
    with pytest.raises(CommandError, match="缺少列"):
        call_command("org", "import", str(tmp_path / "cols.xlsx"))
    empty = tmp_path / "empty.csv"
    empty.write_bytes(spreadsheet.write_csv(spreadsheet.OFFICER_COLUMNS, []))
    with pytest.raises(CommandError, match="1 处错误"):
        call_command("org", "import", str(empty), stderr=StringIO())
