"""Browser tests: a real `strata serve` on a port other than 8000, its OAuth issuer following
that port (the web app's sign-in returns there), and Debian's Chromium driven by Playwright
with a fresh profile.

Without Chromium the tests are skipped with the reason, unless
``STRATA_TEST_REQUIRE_SERVICES=1`` (as CI sets), which makes them fail instead, like the
PostgreSQL and Redis tests.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import sync_playwright

from browser.support import ConsoleErrors, Tab
from experience_apis.web.site.screenshot import CHROMIUM, VIEWPORT, launch
from tests.support_server import Server, free_port, start_server, stop

REQUIRE_SERVICES = os.environ.get("STRATA_TEST_REQUIRE_SERVICES") == "1"
DEFAULT_PORT = 8000
STEP_TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def chromium() -> str:
    """The Chromium binary; the browser tests skip (or fail, in CI) without it."""
    found = CHROMIUM if Path(CHROMIUM).is_file() else shutil.which("chromium")
    if found is None:
        message = f"Chromium is not installed (looked for {CHROMIUM} and chromium on PATH)"
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message + " (set STRATA_TEST_REQUIRE_SERVICES=1 to fail instead)")
    return found


@pytest.fixture
def web_server(chromium: str, tmp_path: Path) -> Iterator[Server]:
    """`strata serve --port <free port>` with no issuer set: the issuer (and so the apps'
    redirect URIs) is the URL the browser opens."""
    server = start_server(tmp_path, name="web", port=_not_8000())
    try:
        metadata = httpx.get(f"{server.base_url}/.well-known/oauth-authorization-server")
        assert metadata.json()["issuer"] == server.base_url
        yield server
    finally:
        stop(server)


def _not_8000() -> int:
    port = free_port()
    return port if port != DEFAULT_PORT else free_port()


@pytest.fixture
def tab(chromium: str) -> Iterator[Tab]:
    """A page in a fresh headless Chromium (en-US, UTC, 1280x800), its console errors kept."""
    with sync_playwright() as playwright:
        browser = launch(playwright, chromium)
        try:
            context = browser.new_context(viewport=VIEWPORT, locale="en-US", timezone_id="UTC")
            page = context.new_page()
            page.set_default_timeout(STEP_TIMEOUT_MS)
            errors = ConsoleErrors()
            page.on("console", errors.console)
            page.on("pageerror", errors.exception)
            yield Tab(page, errors)
        finally:
            browser.close()
