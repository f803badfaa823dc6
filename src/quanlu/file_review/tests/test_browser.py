"""A real browser: a supervisor scores a sampled case on the scoring form (pre-filled from
the rulebook check) and reads the results, at phone and desktop width (screenshots kept)."""

from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import sync_playwright

from quanlu.file_review import selectors, services
from quanlu.file_review.tests.conftest import review_world
from quanlu.testing import factories as f
from quanlu.web.tests.test_browser import ARGS, CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.tampers,  # cases are closed behind the services (see conftest)
    pytest.mark.skipif(not shutil.which("chromium"), reason="make system-deps installs Debian's chromium"),
]


def test_the_scoring_form_and_results_on_a_phone_and_a_desktop(transactional_db, live_server, output_dir):
    rw = review_world(f.world())
    sup = rw.w.superior_supervisor
    campaign = services.campaign_open(
        actor=sup, title="2026年度案卷评查", method="random", per_agency=2, seed="b"
    )
    samples = list(selectors.samples_of(campaign))
    for s in samples[1:]:
        services.case_score(actor=sup, sample=s, entries=[])
    base = f"{live_server.url}/file-reviews/{campaign.public_id}"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for width in (390, 1280):
            page = browser.new_page(viewport={"width": width, "height": 900}, locale="zh-CN")
            page.goto(f"{live_server.url}/login/")
            page.fill("#id_username", sup.username)
            page.fill("#id_password", f.PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{live_server.url}/")
            page.goto(f"{base}/cases/{samples[0].public_id}/")
            assert "系统预填" in page.inner_text("body")
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            page.screenshot(path=str(output_dir / f"file-review-scoring-{width}.png"), full_page=True)
            if width == 390:
                page.click("button:has-text('保存评分')")
                page.wait_for_selector("text=已保存")
            page.goto(f"{base}/results/")
            assert "按条款扣分" in page.inner_text("body")
            page.screenshot(path=str(output_dir / f"file-review-results-{width}.png"), full_page=True)
            page.close()
        browser.close()
    assert selectors.current_score(samples[0]) is not None
