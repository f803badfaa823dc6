"""A real browser at 1280 px: an administrator imports officers from an XLSX with three
bad rows (sees them named), imports the fixed file, and grants a role with a reason."""

from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import sync_playwright

from quanlu.org import spreadsheet
from quanlu.org.models import Officer, Role
from quanlu.org.tests.test_import import officer_rows, with_three_bad_rows
from quanlu.testing import factories as f
from quanlu.web.tests.test_browser import ARGS, CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which("chromium"), reason="make system-deps installs Debian's chromium"),
]


def test_an_administrator_imports_officers_and_grants_a_role(
    transactional_db, live_server, output_dir, tmp_path
):
    w = f.world()
    admin = f.officer(w.agency, Role.ADMINISTRATOR, certificate=False, name="管理员")
    bad = tmp_path / "officers-bad.xlsx"
    bad.write_bytes(spreadsheet.write_xlsx([], with_three_bad_rows(w.agency.code)))
    good = tmp_path / "officers.xlsx"
    good.write_bytes(spreadsheet.write_xlsx([], officer_rows(w.agency.code)))
    shots = output_dir / "org"
    shots.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", admin.username)
        page.fill("#id_password", f.PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        page.click("nav >> text=机构管理")
        page.click("text=批量导入")
        page.set_input_files("#id_file", str(bad))
        page.click("button:has-text('试导入')")
        page.wait_for_selector("text=发现 3 处错误")
        rows = page.inner_text("table.import-errors")
        for expected in ("6\t身份证号码", "21\t执法证件编号", "43\t角色"):
            assert expected in rows
        page.screenshot(path=str(shots / "org-import-errors.png"), full_page=True)
        page.goto(f"{live_server.url}/org/officers/")
        assert "导入人员" not in page.inner_text("body")
        page.goto(f"{live_server.url}/org/import/")

        page.set_input_files("#id_file", str(good))
        page.click("button:has-text('试导入')")
        page.wait_for_selector("text=试导入通过")
        page.screenshot(path=str(shots / "org-import-ok.png"), full_page=True)
        page.click("button:has-text('确认导入')")
        page.wait_for_selector("text=已导入 0 个机关、50 名人员")
        page.screenshot(path=str(shots / "org-officers.png"), full_page=True)
        assert "导入人员49" in page.inner_text("body")

        page.click("text=导入人员7")
        page.wait_for_selector("h2:has-text('授予角色')")
        grant = page.locator("form", has=page.locator("h2:has-text('授予角色')"))
        grant.locator("select[name=role]").select_option("reviewer")
        grant.locator("input[name=reason]").fill("补充案件审核力量")
        grant.locator("button").click()
        page.wait_for_selector("text=已授予角色。")
        page.screenshot(path=str(shots / "org-officer-role.png"), full_page=True)
        browser.close()
    # The ORM only outside Playwright's event loop.
    assert Officer.objects.filter(username__startswith="imp").count() == 50
    assert Officer.objects.get(username="imp007").has_role(Role.REVIEWER)
