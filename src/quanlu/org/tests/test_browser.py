"""A real browser, from a clean installation to the first case: the site is set up by the
real ``quanlu setup`` (a YAML file, no demo data); its administrator imports 50 officers
from an XLSX with three bad rows (the dry run names each in Chinese, nothing is written),
imports the fixed file, grants roles with reasons and sets the first officer a temporary
password; that officer signs in, must choose a new password, and opens the first case."""

from __future__ import annotations

import shutil

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, sync_playwright

from quanlu.cases.models import Case
from quanlu.org import spreadsheet
from quanlu.org.models import Agency, Officer, Role
from quanlu.org.tests.test_import import officer_rows, with_three_bad_rows
from quanlu.testing import factories as f
from quanlu.web.tests.test_browser import ARGS, CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which("chromium"), reason="make system-deps installs Debian's chromium"),
]

ADMIN_PASSWORD = "Zunyi-Admin-2026"
TEMPORARY = "Linshi-Mima-7731"
CHOSEN = "Wode-Xinmima-2026"
# Who gets which role, as an agency would staff its first cases: a second handler, a
# reviewer, a legal reviewer, and two heads (disposals that need two approvers).
GRANTS = [
    ("imp000", Role.HANDLER, "首批案件承办人"),
    ("imp001", Role.REVIEWER, "负责案件审核"),
    ("imp002", Role.LEGAL_REVIEWER, "法制审核机构人员"),
    ("imp003", Role.APPROVER, "局长，机关负责人"),
    ("imp005", Role.APPROVER, "分管副局长，机关负责人"),
]

# The three bad rows of test_import.with_three_bad_rows: row, column, what the message says.
BAD_ROWS = [
    ("6", "身份证号码", "校验位不正确"),
    ("21", "执法证件编号", "已登记"),
    ("43", "角色", "未知的角色「皇帝」"),
]


def _sign_in(page: Page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    # The login form's own button: a signed-in page also has 退出 as a submit button.
    page.click("form:has(#id_username) button[type=submit]")


def _officer_form(page: Page, heading: str):  # type: ignore[no-untyped-def]
    return page.locator("form", has=page.locator(f"h2:has-text('{heading}')"))


def test_a_new_agency_goes_from_setup_to_its_first_case(transactional_db, live_server, tmp_path):
    # 1. The real command, non-interactive, as the README tells an agency to run it.
    (tmp_path / "pw").write_text(ADMIN_PASSWORD + "\n")
    (tmp_path / "setup.yaml").write_text(
        "region_code: '520300'\nregion_name: 遵义市\nagency_code: zunyi-env\nagency_name: 遵义市生态环境局\n"
        f"kind: enforcement\nlevel: city\nrulebook: {f.R004}\ncase_prefix: 遵环\nuscc: {f.uscc()}\n"
        "admin_username: admin\nadmin_name: 管理员甲\n",
        encoding="utf-8",
    )
    call_command(
        "setup", "--file", str(tmp_path / "setup.yaml"), "--password-file", str(tmp_path / "pw"), "--no-input"
    )
    assert list(Agency.objects.values_list("code", flat=True)) == ["zunyi-env"]
    assert list(Officer.objects.values_list("username", flat=True)) == ["admin"]
    assert not Case.objects.exists()

    bad = tmp_path / "officers-bad.xlsx"
    bad.write_bytes(spreadsheet.write_xlsx([], with_three_bad_rows("zunyi-env")))
    good = tmp_path / "officers.xlsx"
    good.write_bytes(spreadsheet.write_xlsx([], officer_rows("zunyi-env")))
    shots = tmp_path / "shots"
    shots.mkdir()
    base = live_server.url

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")

        # 2. The administrator signs in and opens the import.
        _sign_in(page, base, "admin", ADMIN_PASSWORD)
        page.wait_for_url(f"{base}/")
        page.click("nav >> text=机构管理")
        page.click("text=批量导入")
        page.set_input_files("#id_file", str(bad))
        page.click("button:has-text('试导入')")
        page.wait_for_selector("text=发现 3 处错误")
        rows = page.inner_text("table.import-errors")
        for row, column, words in BAD_ROWS:
            line = next(x for x in rows.splitlines() if x.startswith(f"人员\t{row}\t"))
            assert f"\t{column}\t" in line
            assert words in line
        page.screenshot(path=str(shots / "01-import-errors.png"), full_page=True)
        assert page.locator("button:has-text('确认导入')").count() == 0

        # 3. The fixed file: dry run passes, then the real import, all 50 at once.
        page.set_input_files("#id_file", str(good))
        page.click("button:has-text('试导入')")
        page.wait_for_selector("text=试导入通过")
        page.click("button:has-text('确认导入')")
        page.wait_for_selector("text=已导入 0 个机关、50 名人员")
        page.screenshot(path=str(shots / "02-officers.png"), full_page=True)
        assert "导入人员49" in page.inner_text("body")

        # 4. Roles with reasons, then the first officer's temporary password.
        for username, role, reason in GRANTS:
            page.goto(f"{base}/org/officers/")
            page.get_by_role("link", name=f"导入人员{int(username[3:])}", exact=True).click()
            grant = _officer_form(page, "授予角色")
            grant.locator("select[name=role]").select_option(role.value)
            grant.locator("input[name=reason]").fill(reason)
            grant.locator("button").click()
            page.wait_for_selector("text=已授予角色。")
        page.goto(f"{base}/org/officers/")
        page.get_by_role("link", name="导入人员0", exact=True).click()
        page.wait_for_selector("text=尚未设置密码")
        reset = _officer_form(page, "重置密码")
        reset.locator("input[name=password]").fill(TEMPORARY)
        reset.locator("button").click()
        page.wait_for_selector("text=下次登录时须修改密码")
        page.screenshot(path=str(shots / "03-officer.png"), full_page=True)
        page.click("button:has-text('退出')")
        page.wait_for_selector("#id_username")

        # 5. The first officer: forced to change the password, then opens the first case.
        _sign_in(page, base, "imp000", TEMPORARY)
        page.wait_for_url(f"{base}/account/password/")
        page.screenshot(path=str(shots / "04-forced-change.png"), full_page=True)
        page.fill("#id_old_password", TEMPORARY)
        page.fill("#id_new_password", CHOSEN)
        page.fill("#id_new_password2", CHOSEN)
        page.click("button:has-text('保存新密码')")
        page.wait_for_selector("text=密码已修改。")
        page.goto(f"{base}/cases/new/")
        page.fill("#id_cause", "某化工公司废气超标排放案")
        page.select_option("#id_source", index=1)
        page.fill("#id_reason", "在线监测数据连续三日超标。")
        page.click("button:has-text('登记')")
        page.wait_for_selector("text=已登记案件")
        page.screenshot(path=str(shots / "05-first-case.png"), full_page=True)
        browser.close()

    # The ORM only outside Playwright's event loop.
    assert Officer.objects.filter(username__startswith="imp").count() == 50
    for username, role, _ in GRANTS:
        assert Officer.objects.get(username=username).has_role(role)
    first = Officer.objects.get(username="imp000")
    assert not first.must_change_password
    assert first.check_password(CHOSEN)
    case = Case.objects.get()
    assert case.opened_by == first
    assert case.number.startswith("遵环")
    assert len(list(shots.glob("*.png"))) == 5
