"""The API docs work offline: under the real `quanlu serve`, with every request to
another host refused, a browser renders Swagger UI from our own static files."""

import shutil
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Route, sync_playwright

from quanlu.testing.serve import Serve, database_url
from quanlu.web.tests.test_browser import ARGS, CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which("chromium"), reason="make system-deps installs Debian's chromium"),
]

LOCAL = {"127.0.0.1", "localhost"}


def test_the_api_docs_render_with_every_other_host_unreachable(
    transactional_db, settings, tmp_path, output_dir
):
    env = {
        "QUANLU_DATA_DIR": str(tmp_path / "var"),
        "QUANLU_DATABASE_URL": database_url(),
        "QUANLU_KEY_DIR": str(settings.QUANLU_KEY_DIR),
        "QUANLU_BLOB_DIR": str(settings.QUANLU_BLOB_DIR),
    }
    off_host: list[str] = []
    local: list[str] = []

    def only_local(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).hostname in LOCAL or url.startswith(("data:", "blob:")):
            local.append(url)
            route.continue_()
        else:
            off_host.append(url)
            route.abort()

    server = Serve(env=env, jobs=False)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            context.route("**/*", only_local)
            page = context.new_page()
            response = page.goto(f"{server.url}/api/v1/docs")
            assert response is not None
            assert response.status == 200
            page.locator(".swagger-ui .opblock").first.wait_for(state="visible", timeout=30000)
            page.wait_for_load_state("networkidle")
            assert page.locator(".swagger-ui .opblock").count() > 10
            (output_dir / "api").mkdir(exist_ok=True)
            page.screenshot(path=str(output_dir / "api" / "docs-offline.png"))
            browser.close()
    finally:
        assert server.stop() == 0
    assert off_host == []
    # Swagger UI came from our static files, and the schema from our API.
    assert any("/static/ninja/swagger-ui-bundle.js" in url for url in local)
    assert any("/api/v1/openapi.json" in url for url in local)
