"""A real browser: a superior agency's supervisor orders rectification, the agency head
opens the order and reports the measures taken (Debian's Chromium, screenshots kept)."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from django.utils import timezone
from playwright.sync_api import sync_playwright

from quanlu.supervision.services import rectification_order_issue
from quanlu.testing import factories as f
from quanlu.web.tests.test_browser import ARGS, CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which("chromium"), reason="make system-deps installs Debian's chromium"),
]


def test_the_order_is_issued_seen_and_answered(transactional_db, live_server, output_dir):
    w = f.world()
    w.open_case()
    order = rectification_order_issue(
        actor=w.superior_supervisor,
        agency=w.agency,
        findings="抽查发现现场检查未全程音像记录，不适宜音像记录的情形未书面说明。",
        requirements="对上述案件补充说明，建立音像记录设备领用登记。",
        due_at=timezone.now() + dt.timedelta(days=10),
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)

        def login(who):
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            page.goto(f"{live_server.url}/login/")
            page.fill("#id_username", who.username)
            page.fill("#id_password", f.PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{live_server.url}/")
            return page

        supervisor = login(w.superior_supervisor)
        supervisor.goto(f"{live_server.url}/supervision/orders/")
        assert "整改通知（1）" in supervisor.inner_text("body")
        supervisor.screenshot(path=str(output_dir / "supervision-orders.png"), full_page=True)

        head = login(w.approver)
        head.goto(f"{live_server.url}/supervision/orders/{order.public_id}/")
        body = head.inner_text("body")
        assert "对上述案件补充说明" in body
        head.fill("textarea", "已补充书面说明，设备领用登记已建立。")
        head.click("button:has-text('提交')")
        head.wait_for_selector("text=已补充书面说明")
        head.screenshot(path=str(output_dir / "supervision-order-head.png"), full_page=True)
        browser.close()
