"""A real browser opens the main pages under the Content-Security-Policy and finds
nothing refused: no inline script or style, no eval, Swagger UI included."""

import shutil

import pytest
from playwright.sync_api import sync_playwright

from quanlu.core.middleware import CONTENT_SECURITY_POLICY
from quanlu.media.tests.helpers import ago, ingest, video
from quanlu.records.catalogue import catalogue
from quanlu.testing import factories as f
from quanlu.web.tests.test_browser import ARGS, CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which("chromium"), reason="make system-deps installs Debian's chromium"),
]

# Recorded by the page itself, before any of its scripts run.
LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile + ":" + e.lineNumber);
});
"""


def test_the_main_pages_load_without_content_security_policy_violations(transactional_db, live_server):
    w = f.world()
    case = w.open_case(cause="某化工公司废气超标排放案")
    w.request(case, "initiation", opinion="建议立案调查。", reasons="在线监测数据连续超标。")
    record, _ = ingest(w, video(ago(hours=1)), case=case)
    filled = next(t for _, _, types in catalogue().by_stage() for t in types if not t.uploaded)
    pages = [
        "/",
        "/cases/",
        f"/cases/{case.public_id}/",
        f"/cases/{case.public_id}/media/",
        f"/media/{record.public_id}/",
        "/media/inbox/",
        f"/cases/{case.public_id}/documents/new/",
        f"/cases/{case.public_id}/documents/new/?type={filled.code}",
        "/complaints/",
        "/devices/",
        "/archive/",
        f"/archive/cases/{case.public_id}/",
        "/supervision/",
        "/no-such-page/",
        "/api/v1/docs",
    ]
    seen: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        page.add_init_script(LISTEN)
        page.on(
            "console",
            lambda m: seen.append(f"{page.url}: {m.text}") if "Content Security Policy" in m.text else None,
        )
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", w.officer.username)
        page.fill("#id_password", f.PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        violations: dict[str, list[str]] = {}
        for path in pages:
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None
            assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
            if path == "/api/v1/docs":
                page.wait_for_selector(".swagger-ui .opblock", timeout=30000)  # Swagger UI rendered
            page.wait_for_load_state("networkidle")
            found = page.evaluate("window.__violations")
            if found:
                violations[path] = found
        # A boosted (htmx) navigation, as users move between pages.
        page.goto(f"{live_server.url}/")
        page.click("nav >> text=案件")
        page.wait_for_url(f"{live_server.url}/cases/")
        page.wait_for_load_state("networkidle")
        if page.evaluate("window.__violations"):
            violations["boosted /cases/"] = page.evaluate("window.__violations")
        browser.close()
    assert violations == {}
    assert seen == []
