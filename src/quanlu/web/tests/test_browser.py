"""A real browser: Debian's Chromium driven by Playwright against the live server."""

import shutil

import pytest
from playwright.sync_api import sync_playwright

from quanlu.cases.models import Approval
from quanlu.testing import factories as f

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which("chromium"), reason="make system-deps installs Debian's chromium"),
]


def test_a_reviewer_grants_an_approval_and_sees_it_on_the_timeline(transactional_db, live_server, output_dir):
    w = f.world()
    case = w.open_case(cause="某化工公司废气超标排放案")
    approval = w.request(case, "initiation", opinion="建议立案调查。", reasons="在线监测数据连续超标。")
    url = f"{live_server.url}/cases/{case.public_id}/"

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", w.reviewer.username)
        page.fill("#id_password", f.PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        assert "待我审批（1）" in page.content()
        page.click(f"text={case.number}")
        page.wait_for_url(f"{url}#approval-{approval.public_id}")  # the to-do leads to the form
        page.fill(f"#op-{approval.public_id}", "同意立案，请依法调查。")
        page.fill(f"#pw-{approval.public_id}", f.PASSWORD)
        page.click("button[value=grant]")
        page.wait_for_selector("text=已签署：审核同意")
        page.click("#timeline summary")  # the long record is folded until asked for
        timeline = page.inner_text("ol.timeline")
        assert "审批同意" in timeline
        assert "意见：同意立案，请依法调查。" in timeline
        page.screenshot(path=str(output_dir / "case-after-review.png"), full_page=True)
        phone = browser.new_page(
            viewport={"width": 390, "height": 844}, device_scale_factor=2, locale="zh-CN"
        )
        phone.context.add_cookies(page.context.cookies())
        phone.goto(url)
        phone.screenshot(path=str(output_dir / "case-phone.png"), full_page=True)
        browser.close()

    approval = Approval.objects.get(pk=approval.pk)
    step = approval.steps.get()
    assert (step.actor_id, step.opinion, step.signature_method) == (
        w.reviewer.pk,
        "同意立案，请依法调查。",
        "password",
    )
