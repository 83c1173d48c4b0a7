"""Captures the web app for the README: signs in as a demo customer on a running Strata,
orders one unit of an in-stock product, and saves the dashboard as a 1280x800 PNG.

    python -m experience_apis.web.site.screenshot docs/web-app.png --url http://127.0.0.1:8000

The server's issuer (``STRATA_OAUTH__ISSUER``) must be ``--url``: the sign-in returns there.
Needs the ``dev`` extra (Playwright drives the browser) and Debian's Chromium (nothing is
downloaded); ``--chromium`` names another binary.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright, ViewportSize

CHROMIUM = "/usr/bin/chromium"
# Headless, and quiet: no sandbox (containers), no GPU, and no calls home while testing.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
STEP_TIMEOUT_MS = 15_000


def launch(playwright: Playwright, executable: str = CHROMIUM) -> Browser:
    """Chromium with a fresh temporary profile (Playwright's default)."""
    return playwright.chromium.launch(executable_path=executable, args=list(CHROMIUM_ARGS))


def sign_in(page: Page, base_url: str, username: str, password: str) -> None:
    """From the signed-out page through the gateway's sign-in page to the dashboard."""
    page.goto(f"{base_url}/app")
    page.get_by_test_id("sign-in").click()
    page.wait_for_url("**/oauth/authorize?**")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[value=allow]")
    page.wait_for_url(f"{base_url}/app#/dashboard")
    page.get_by_test_id("customer-name").wait_for()


def order_one_in_stock(page: Page) -> str:
    """Orders one unit of the first product in stock; returns the order's id."""
    page.get_by_test_id("nav-products").click()
    card = page.locator("[data-testid=product-card]:has([data-testid=order-button]:enabled)")
    card.first.get_by_test_id("quantity").fill("1")
    card.first.get_by_test_id("order-button").click()
    page.wait_for_url("**/app#/orders/*")
    return page.get_by_test_id("order-id").inner_text()


def capture(url: str, out: Path, username: str, password: str, chromium: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright, chromium)
        try:
            page = browser.new_page(viewport=VIEWPORT, locale="en-US")
            page.set_default_timeout(STEP_TIMEOUT_MS)
            sign_in(page, url.rstrip("/"), username, password)
            order_id = order_one_in_stock(page)
            page.get_by_test_id("invoice-number").wait_for()
            page.get_by_test_id("nav-dashboard").click()
            page.locator(f"[data-testid=recent-orders] >> text={order_id}").wait_for()
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out))
        finally:
            browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Saves a screenshot of the web app's dashboard after placing an order."
    )
    parser.add_argument("out", type=Path, help="where to write the PNG")
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the running Strata")
    parser.add_argument("--username", default="dana")
    parser.add_argument("--password", default="dana-demo-password")
    parser.add_argument("--chromium", default=CHROMIUM, help="the Chromium binary")
    args = parser.parse_args(argv)
    capture(args.url, args.out, args.username, args.password, args.chromium)
    print(f"saved {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
