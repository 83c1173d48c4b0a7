"""The web app end to end, in headless Chromium against a real `strata serve`: a customer
signs in (authorization code with PKCE on the gateway's sign-in page), sees their dashboard,
orders a product in stock, sees it invoiced, pays it, and signs out. What the page shows is
checked against the system and process APIs behind it."""

from __future__ import annotations

import base64
import json
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, Route, expect

from browser.support import Tab
from tests.support_server import Server

USERNAME, PASSWORD = "dana", "dana-demo-password"
BACKSTAGE_SCOPES = "crm:read erp:read availability:read"
PAGE_SIZE = 12  # products the app asks for at a time
IN_STOCK_CARD = "[data-testid=product-card]:has([data-testid=order-button]:enabled)"
LOST_ANSWER = {
    "type": "about:blank",
    "title": "Service Unavailable",
    "status": 503,
    "detail": "the test dropped the answer on its way back",
}


def stored_tokens(page: Page) -> dict[str, Any]:
    tokens: dict[str, Any] = page.evaluate(
        "JSON.parse(sessionStorage.getItem('strata.web.tokens'))"
    )
    return tokens


def claims_of(access_token: str) -> dict[str, Any]:
    payload = access_token.split(".")[1]
    padded = payload + "=" * (-len(payload) % 4)
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(padded))
    return claims


def erp_invoice(server: Server, token: str, customer_id: str, number: str) -> dict[str, Any]:
    """The customer's invoice with this number, as the ERP system API has it."""
    params: dict[str, str | int] = {"customer_id": customer_id, "limit": 200}
    while True:
        page = server.get("/system/erp/v1/invoices", token, **params).json()
        for invoice in page["items"]:
            if invoice["number"] == number:
                return dict(invoice)
        assert page["next_cursor"], f"the ERP has no invoice {number} for {customer_id}"
        params["cursor"] = page["next_cursor"]


class LoseFirstAnswer:
    """Lets the first checkout reach the server but tells the page it failed (503), as a
    dropped connection would; records each attempt's Idempotency-Key."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    def __call__(self, route: Route) -> None:
        self.keys.append(route.request.headers["idempotency-key"])
        if len(self.keys) > 1:
            route.continue_()
            return
        placed = route.fetch()
        assert placed.status == 201, placed.text()
        route.fulfill(
            status=503, content_type="application/problem+json", body=json.dumps(LOST_ANSWER)
        )


def sign_in(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/app")
    expect(page.get_by_test_id("signed-out")).to_be_visible()
    page.get_by_test_id("sign-in").click()
    page.wait_for_url("**/oauth/authorize?**")
    assert "client_id=strata-web" in page.url
    assert "code_challenge_method=S256" in page.url
    page.fill("#username", USERNAME)
    page.fill("#password", PASSWORD)
    page.click("button[value=allow]")
    # Back on the app, the callback's code taken out of the address bar.
    page.wait_for_url(f"{base_url}/app#/dashboard")


def order_one_in_stock(page: Page, server: Server, backstage: str) -> str:
    page.get_by_test_id("nav-products").click()
    cards = page.get_by_test_id("product-card")
    expect(cards).to_have_count(PAGE_SIZE)
    page.get_by_test_id("more-products").click()  # the next page, after the first
    expect(cards).to_have_count(2 * PAGE_SIZE)
    skus = [card.get_attribute("data-sku") for card in cards.all()]
    assert len(set(skus)) == len(skus)
    card = page.locator(IN_STOCK_CARD).first
    sku = card.get_attribute("data-sku")
    assert sku
    availability = server.get(f"/process/availability/v1/availability/{sku}", backstage).json()
    expect(card.get_by_test_id("product-available")).to_have_text(
        f"{availability['total_available']} available"
    )
    card.get_by_test_id("quantity").fill("1")
    card.get_by_test_id("order-button").click()
    page.wait_for_url("**/app#/orders/*")
    return page.get_by_test_id("order-id").inner_text()


def test_a_customer_signs_in_orders_pays_and_signs_out(
    web_server: Server, tab: Tab, tmp_path: Path
) -> None:
    page, base_url = tab.page, web_server.base_url
    with ThreadPoolExecutor(max_workers=1) as pool:
        # `strata clients create` takes seconds: made while the browser signs in.
        backstage_token = pool.submit(web_server.token, BACKSTAGE_SCOPES)
        sign_in(page, base_url)
        backstage = backstage_token.result()

    customer_id = claims_of(stored_tokens(page)["accessToken"])["customer_id"]
    customer = web_server.get(f"/system/crm/v1/customers/{customer_id}", backstage).json()
    expect(page.get_by_test_id("customer-name")).to_have_text(customer["name"])
    assert page.evaluate("localStorage.length") == 0  # tokens live in the tab only

    # Checkout: the first answer is lost; the app tries again with the same key and gets
    # the order placed the first time (one order, not two).
    lose_first_answer = LoseFirstAnswer()
    page.route("**/experience/web/v1/checkout", lose_first_answer)
    order_id = order_one_in_stock(page, web_server, backstage)
    assert len(lose_first_answer.keys) == 2
    assert lose_first_answer.keys[0] == lose_first_answer.keys[1]
    assert uuid.UUID(lose_first_answer.keys[0]).version == 4
    expect(page.get_by_test_id("order-status")).to_have_text("confirmed")
    expect(page.get_by_test_id("invoice-number")).to_have_text(re.compile(r"^INV-"))
    expect(page.get_by_test_id("amount-due")).not_to_have_text("$0.00")
    expect(page.get_by_test_id("trace-step").first).to_be_visible()
    invoice_number = page.get_by_test_id("invoice-number").inner_text()
    assert erp_invoice(web_server, backstage, customer_id, invoice_number)["status"] == "open"
    orders = web_server.get("/experience/web/v1/orders", stored_tokens(page)["accessToken"])
    assert [order["id"] for order in orders.json()["items"]] == [order_id]

    page.get_by_test_id("pay-button").click()
    expect(page.get_by_test_id("order-status")).to_have_text("paid")
    expect(page.get_by_test_id("amount-due")).to_have_text("$0.00")
    expect(page.get_by_test_id("pay-button")).to_have_count(0)
    invoice = erp_invoice(web_server, backstage, customer_id, invoice_number)
    assert invoice["status"] == "paid"
    assert Decimal(invoice["amount_due"]["amount"]) == 0
    # The web API tells the page's own token the same.
    order = web_server.get(
        f"/experience/web/v1/orders/{order_id}", stored_tokens(page)["accessToken"]
    ).json()
    assert (order["status"], order["invoice"]["number"]) == ("paid", invoice_number)

    # An access token about to expire is refreshed before the next call (after a reload, the
    # tokens come back from sessionStorage).
    before = stored_tokens(page)
    page.evaluate(
        "sessionStorage.setItem('strata.web.tokens', JSON.stringify("
        "{...JSON.parse(sessionStorage.getItem('strata.web.tokens')), refreshAt: 0}))"
    )
    with page.expect_response(lambda r: r.url.endswith("/oauth/token")) as refreshed:
        page.reload()
    assert refreshed.value.status == 200
    expect(page.get_by_test_id("order-status")).to_have_text("paid")
    page.get_by_test_id("nav-dashboard").click()
    expect(page.get_by_test_id("recent-orders")).to_contain_text(order_id)
    expect(page.get_by_test_id("invoices")).to_contain_text(invoice_number)
    after = stored_tokens(page)
    assert after["accessToken"] != before["accessToken"]
    assert after["refreshToken"] != before["refreshToken"]
    page.screenshot(path=str(tmp_path / "dashboard.png"))

    # Signing out revokes the refresh token and forgets the tab's tokens.
    page.get_by_test_id("sign-out").click()
    expect(page.get_by_test_id("signed-out")).to_be_visible()
    assert page.evaluate("sessionStorage.length") == 0
    reuse = httpx.post(
        f"{base_url}/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": after["refreshToken"],
            "client_id": "strata-web",
        },
    )
    assert reuse.status_code == 400, reuse.text
    assert reuse.json()["error"] == "invalid_grant"

    # Nothing went wrong in the page but the one answer the test dropped.
    dropped = f"status of 503 (Service Unavailable) ({base_url}/experience/web/v1/checkout)"
    assert [error for error in tab.errors.seen if not error.endswith(dropped)] == []
