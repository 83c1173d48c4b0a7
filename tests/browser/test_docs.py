"""The Swagger UI docs in headless Chromium against a real `strata serve`, under their
Content-Security-Policy: the gateway's page and an API's page render their operations, and
Authorize (authorization code with PKCE in a popup, back through oauth2-redirect.html) gets
a token. Not one console error on any page, so no directive of the policy was violated."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from browser.support import Tab
from tests.support_server import Server

USERNAME, PASSWORD = "dana", "dana-demo-password"


def test_docs_pages_render_under_their_policy(web_server: Server, tab: Tab) -> None:
    for path in ("/docs", "/apis/availability/docs"):
        response = tab.page.goto(web_server.base_url + path)
        assert response is not None
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        expect(tab.page.locator(".opblock").first).to_be_visible()
    assert tab.errors.seen == []


def test_authorize_signs_in_through_the_redirect_page(web_server: Server, tab: Tab) -> None:
    page = tab.page
    page.goto(web_server.base_url + "/apis/web/docs")
    page.click("button.authorize")
    code_flow = page.locator(".auth-container").filter(has_text="authorizationCode")
    for scope in code_flow.locator("input[type=checkbox]").all():
        scope.check(force=True)  # the box is drawn by its label
    with page.context.expect_page() as opened:
        code_flow.locator("button.authorize").click()
    popup = opened.value
    popup.on("console", tab.errors.console)
    popup.on("pageerror", tab.errors.exception)
    sign_in(popup)
    popup.wait_for_event("close")
    expect(code_flow.locator("button", has_text="Logout")).to_be_visible()
    assert tab.errors.seen == []


def sign_in(popup: Page) -> None:
    popup.fill("#username", USERNAME)
    popup.fill("#password", PASSWORD)
    popup.click("button[value=allow]")
