"""A real browser: the archivist assembles and seals a dossier in Debian's Chromium."""

from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import sync_playwright

from quanlu.archive.models import Dossier, DossierStatus
from quanlu.archive.tests import helpers as h
from quanlu.testing import factories as f
from quanlu.web.tests.test_browser import ARGS, CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which("chromium"), reason="make system-deps installs Debian's chromium"),
]


def test_the_archivist_assembles_and_seals_a_dossier(transactional_db, live_server, output_dir):
    w = f.world()
    case = h.to_archiving(w, h.case_with_records(w, documents=1))
    url = f"{live_server.url}/archive/cases/{case.public_id}/"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", w.archivist.username)
        page.fill("#id_password", f.PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}/archive/")
        page.click(f"text={case.number}")
        page.wait_for_url(url)
        assert "齐全" in page.inner_text("#missing")
        page.click("button:has-text('组卷')")
        page.wait_for_selector("text=已组卷（第1版）")
        page.screenshot(path=str(output_dir / "archive-assembled.png"), full_page=True)
        page.click("button:has-text('四性检测并封卷归档')")
        page.wait_for_selector("text=四性检测通过，已封卷归档", timeout=60_000)
        sealed_page = page.content()
        page.click("#checks summary")
        assert "GD-3-4" in page.inner_text("#checks")
        page.screenshot(path=str(output_dir / "archive-sealed.png"), full_page=True)
        phone = browser.new_page(
            viewport={"width": 390, "height": 844}, device_scale_factor=2, locale="zh-CN"
        )
        phone.context.add_cookies(page.context.cookies())
        phone.goto(url)
        phone.screenshot(path=str(output_dir / "archive-sealed-phone.png"), full_page=True)
        browser.close()
    # The ORM outside Playwright's event loop.
    dossier = Dossier.objects.get(case=case)
    assert dossier.status == DossierStatus.SEALED
    assert dossier.archive_number in sealed_page
