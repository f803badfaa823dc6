"""A real browser (Debian's Chromium) at desktop and phone width: the dashboard's ECharts
charts are drawn under the Content-Security-Policy, and a drill-down goes from an
agency to its cases, to a case, to that case's findings. Screenshots are kept."""

from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import sync_playwright

from quanlu.supervision.dashboards import PANELS
from quanlu.testing import factories as f
from quanlu.web.tests.test_browser import ARGS, CHROMIUM
from quanlu.web.tests.test_csp_browser import LISTEN

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which("chromium"), reason="make system-deps installs Debian's chromium"),
]


def test_the_charts_are_drawn_and_the_drill_down_reaches_a_finding(transactional_db, live_server, output_dir):
    w = f.world(f.R001)
    case = w.open_case(cause="某化工公司废气超标排放案")
    w.open_case(kind="inspection", cause="某餐饮店油烟检查")
    w.open_case(procedure="simplified", cause="某商户占道经营")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for name, width, height in (("desktop", 1280, 900), ("phone", 390, 844)):
            page = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
            page.add_init_script(LISTEN)
            page.goto(f"{live_server.url}/login/")
            page.fill("#id_username", w.superior_supervisor.username)
            page.fill("#id_password", f.PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{live_server.url}/")
            page.goto(f"{live_server.url}/supervision/dashboard/?period=year")
            page.wait_for_selector("[data-chart][data-drawn] svg", state="attached")
            drawn = page.eval_on_selector_all("[data-chart][data-drawn] svg", "els => els.length")
            # Every panel with rows is drawn; these cases break no rule yet, and that panel says so.
            assert drawn == len(PANELS) - 1
            assert PANELS["compliance_rules"].empty in page.inner_text("#panel-compliance_rules")
            # Bars are filled paths (the axes and grid lines are strokes only).
            bars = page.eval_on_selector_all(
                "#panel-cases_by_kind svg path[fill]:not([fill=none])", "els => els.length"
            )
            assert bars >= 2
            # The agency names are written into the chart itself (SVG text), not only the table.
            labels = page.inner_text("#panel-cases_by_kind [data-chart]")
            assert w.agency.name[:4] in labels
            assert page.evaluate("window.__violations") == []
            # Nothing wider than the phone: the tables scroll inside their cards.
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            page.screenshot(path=str(output_dir / f"supervision-dashboard-{name}.png"), full_page=True)
            if name == "desktop":
                # The filter form navigates as htmx (boosted): the charts are drawn again.
                page.select_option("#dash-period", "quarter")
                page.click("button:has-text('查询')")
                page.wait_for_url("**period=quarter**")
                page.wait_for_selector("[data-chart][data-drawn] svg", state="attached")
                assert "季度" in page.inner_text(".dash-head")

            page.click(f"#panel-cases_by_stage a.drill:has-text('{w.agency.name}')")
            page.wait_for_selector(f"text={case.number}")
            assert "某餐饮店油烟检查" in page.inner_text("main")
            page.click(f"a:has-text('{case.number}')")
            page.wait_for_selector("#compliance ol.findings li", state="attached")
            # A new case breaks no rule yet: its findings are the kept rules, folded.
            page.click("#compliance summary:has-text('符合的规定')")
            page.wait_for_selector("#compliance li.rule.met")
            assert "规则" in (page.get_attribute("#compliance li.rule.met", "title") or "")
            page.screenshot(path=str(output_dir / f"supervision-dashboard-drill-{name}.png"))
            page.close()
        browser.close()
