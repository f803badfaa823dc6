"""The demo site as its officers see it, served by `quanlu serve`: every page reachable
from the case list and the case pages shows labels, not codes; and, at phone size
(390×844), the 工作台 and a case page of each role, screenshotted for a person to look at.

Uses the session's demo site (loaded once, read only here)."""

import shutil

import pytest
from playwright.sync_api import sync_playwright

from quanlu.demo.loader import DEMO_PASSWORD
from quanlu.testing.serve import Serve
from quanlu.web.tests.crawl import codes_in, crawl, login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which("chromium"), reason="make system-deps installs Debian's chromium"),
]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

# The handler of one agency (its own cases), and the provincial justice bureau's
# supervisor (every agency of the province, read only).
CRAWLERS = ["zh-officer1", "sft-supervisor"]
# Each role whose 工作台 differs, for the phone screenshots.
PHONE = ["zh-officer1", "zh-reviewer", "zh-approver", "zh-archivist", "ts-supervisor"]


@pytest.fixture(scope="module")
def served(demo_site):
    server = Serve(env=demo_site.env, jobs=False, workers=2)
    yield server.url
    server.stop()


def test_no_page_reachable_from_the_cases_shows_a_code(served, output_dir):
    crawled: list[str] = []
    problems: list[str] = []
    for user in CRAWLERS:
        opener = login(served, user, DEMO_PASSWORD)
        for path, status, text in crawl(served, opener, ["/", "/cases/"]):
            crawled.append(f"{user} {status} {path}")
            if status != 200:
                problems.append(f"{user} {path}: HTTP {status}")
            codes = codes_in(text)
            if codes:
                problems.append(f"{user} {path}: {', '.join(codes)}")
    (output_dir / "web").mkdir(exist_ok=True)
    (output_dir / "web" / "crawled.txt").write_text("\n".join(crawled) + "\n")
    assert sum(1 for line in crawled if "/cases/" in line) > 5  # the case pages were reached
    assert problems == []


def test_the_workbench_and_a_case_page_at_phone_size(served, output_dir):
    folder = output_dir / "web"
    folder.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        for user in PHONE:
            context = browser.new_context(
                viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN"
            )
            page = context.new_page()
            page.goto(f"{served}/login/")
            page.fill("#id_username", user)
            page.fill("#id_password", DEMO_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{served}/")
            assert (
                page.evaluate("document.documentElement.scrollWidth") <= 390
            )  # nothing wider than the phone
            page.screenshot(path=str(folder / f"phone-{user}-workbench.png"), full_page=True)
            handler_only = page.locator("text=登记新案件").count()
            assert (handler_only > 0) == (user == "zh-officer1")
            page.goto(f"{served}/cases/")
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            page.goto(served + str(page.locator("table.cards td.lead a").first.get_attribute("href")))
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            assert page.locator("nav.action-bar").is_visible()  # the actions stay at hand
            page.screenshot(path=str(folder / f"phone-{user}-case.png"), full_page=True)
            context.close()
        browser.close()
