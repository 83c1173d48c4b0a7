"""The developer portal end to end, in headless Chromium against a real `strata serve`: a
developer reads the catalog by layer, signs in (authorization code with PKCE on the gateway's
sign-in page), registers a confidential app and copies its secret (shown once), and a script
of theirs calls a process API with the app's own token; after a reload the secret is gone
from the page, and deleting the app stops both its token and its credentials. Then a public
app (no secret; the server's reason shown when its redirect URI is missing), and sign-out,
which revokes the portal token."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urljoin

import httpx
from playwright.sync_api import Page, expect

from browser.support import Tab
from tests.support_server import Server

USERNAME, PASSWORD = "devi", "devi-demo-password"  # the demo developer
SCOPE = "availability:read"
AVAILABILITY = "/process/availability/v1/availability/FUR-001-GRA"
LAYERS = ("system", "process", "experience")
PUBLIC_REDIRECT = "http://127.0.0.1:8765/callback"


def client_token(base_url: str, client_id: str, secret: str) -> httpx.Response:
    return httpx.post(
        f"{base_url}/oauth/token",
        data={"grant_type": "client_credentials", "scope": SCOPE},
        auth=(client_id, secret),
    )


def availability(base_url: str, token: str) -> httpx.Response:
    return httpx.get(base_url + AVAILABILITY, headers={"Authorization": f"Bearer {token}"})


def check_catalog(page: Page, base_url: str) -> None:
    """Every API the catalog API lists is shown in its layer's section, with its docs link;
    one of those links answers."""
    catalog: list[dict[str, Any]] = httpx.get(f"{base_url}/apis").json()["items"]
    assert {api["layer"] for api in catalog} == set(LAYERS)
    expect(page.get_by_test_id("catalog-status")).to_be_hidden()
    sections = page.locator("[data-testid=catalog-layers] > section")
    assert [s.get_attribute("data-testid") for s in sections.all()] == [
        f"layer-{layer}" for layer in LAYERS
    ]
    for layer in LAYERS:
        members = [api for api in catalog if api["layer"] == layer]
        shown = page.get_by_test_id(f"layer-{layer}").locator("li.api")
        expect(shown).to_have_count(len(members))
        for api in members:
            item = page.get_by_test_id(f"layer-{layer}").get_by_test_id(f"api-{api['name']}")
            expect(item).to_contain_text(api["path"])
            docs = item.get_by_test_id(f"docs-{api['name']}")
            expect(docs).to_have_attribute("href", api["links"]["docs"])
    docs_href = page.get_by_test_id("docs-availability").get_attribute("href")
    assert docs_href
    docs_page = httpx.get(urljoin(page.url, docs_href))
    assert docs_page.status_code == 200
    assert docs_page.headers["content-type"].startswith("text/html")


def sign_in(page: Page, base_url: str) -> None:
    expect(page.get_by_test_id("apps-signed-out")).to_be_visible()
    page.get_by_test_id("sign-in").click()
    page.wait_for_url("**/oauth/authorize?**")
    assert "client_id=strata-portal" in page.url
    assert "code_challenge_method=S256" in page.url
    page.fill("#username", USERNAME)
    page.fill("#password", PASSWORD)
    page.click("button[value=allow]")
    # Back on the portal, the callback's code taken out of the address bar.
    page.wait_for_url(f"{base_url}/portal")
    expect(page.get_by_test_id("signed-in-as")).to_have_text(f"Signed in as {USERNAME}")
    expect(page.get_by_test_id("apps-empty")).to_be_visible()


def create_app(page: Page, name: str) -> tuple[str, str]:
    """Registers a confidential app with one scope through the form; returns the client id
    and secret the page shows."""
    page.get_by_test_id("app-name").fill(name)
    page.get_by_test_id(f"scope-{SCOPE}").check()
    page.get_by_test_id("create-submit").click()
    expect(page.get_by_test_id("new-secret")).to_be_visible()
    expect(page.get_by_test_id("new-app-name")).to_have_text(name)
    expect(page.get_by_test_id("secret-warning")).to_be_visible()
    client_id = page.get_by_test_id("new-client-id").inner_text()
    secret = page.get_by_test_id("new-client-secret").inner_text()
    assert client_id and len(secret) >= 32
    return client_id, secret


def check_listed(page: Page, client_id: str, name: str) -> None:
    row = page.get_by_test_id(f"app-{client_id}")
    expect(row).to_be_visible()
    expect(row.get_by_test_id(f"app-name-{client_id}")).to_have_text(name)
    for cell in (client_id, "confidential", SCOPE, "free"):
        expect(row).to_contain_text(cell)
    expect(row.get_by_test_id(f"app-status-{client_id}")).to_have_text("active")
    expect(page.get_by_test_id("apps-count")).to_have_text("1 of 20 apps")


def secret_anywhere(page: Page, secret: str) -> bool:
    """Whether the secret is in the page's markup, its text or the tab's storage."""
    stored: str = page.evaluate(
        "JSON.stringify([Object.entries(sessionStorage), Object.entries(localStorage)])"
    )
    return any(secret in text for text in (page.content(), page.inner_text("body"), stored))


def delete_app(page: Page, client_id: str, name: str) -> None:
    confirm = page.get_by_test_id(f"confirm-delete-{client_id}")
    expect(confirm).to_be_hidden()
    page.get_by_test_id(f"delete-{client_id}").click()  # the first click only asks
    expect(confirm).to_be_visible()
    expect(page.get_by_test_id(f"app-{client_id}")).to_be_visible()
    confirm.click()
    expect(page.get_by_test_id("message")).to_have_text(
        f"Deleted {name}; its tokens no longer work."
    )
    expect(page.get_by_test_id(f"app-{client_id}")).to_have_count(0)
    expect(page.get_by_test_id("apps-empty")).to_be_visible()


def public_app_goes_with_its_credentials(page: Page) -> None:
    """A public app needs a redirect URI (the server's reason shown as it is); it gets no
    secret; deleting it at once also takes its just-shown credentials off the page."""
    page.get_by_test_id("app-name").fill("storefront")
    page.get_by_test_id(f"scope-{SCOPE}").check()
    page.get_by_test_id("app-public").check()
    with page.expect_response(lambda r: r.url.endswith("/portal/api/apps")) as refused:
        page.get_by_test_id("create-submit").click()
    assert refused.value.status == 422
    detail = refused.value.json()["detail"]
    assert detail.startswith("redirect_uris: ")  # names the field and why
    expect(page.get_by_test_id("error")).to_have_text(detail)
    page.get_by_test_id("app-redirects").fill(PUBLIC_REDIRECT)
    page.get_by_test_id("create-submit").click()
    expect(page.get_by_test_id("public-note")).to_be_visible()
    expect(page.get_by_test_id("error")).to_be_hidden()
    expect(page.get_by_test_id("new-client-secret")).to_be_hidden()
    expect(page.get_by_test_id("new-client-secret")).to_have_text("")
    client_id = page.get_by_test_id("new-client-id").inner_text()
    expect(page.get_by_test_id(f"app-{client_id}")).to_contain_text("public")
    delete_app(page, client_id, "storefront")
    expect(page.get_by_test_id("new-secret")).to_be_hidden()


def pending_app_says_why(page: Page) -> None:
    """An app asking for a back-office scope is made pending: the page says so, and why, both
    with its credentials and in its row."""
    page.get_by_test_id("app-name").fill("order-robot")
    page.get_by_test_id("scope-orders:write").check()
    page.get_by_test_id("create-submit").click()
    expect(page.get_by_test_id("new-secret")).to_be_visible()
    pending = page.get_by_test_id("new-app-pending")
    expect(pending).to_be_visible()
    expect(pending).to_contain_text("waits for an operator's approval (orders:write")
    client_id = page.get_by_test_id("new-client-id").inner_text()
    status = page.get_by_test_id(f"app-status-{client_id}")
    expect(status).to_contain_text("pending")
    expect(status).to_contain_text("it gets no token until then")
    delete_app(page, client_id, "order-robot")


def sign_out(page: Page, base_url: str) -> None:
    """Signing out forgets the tab's token, clears what the page last said, and revokes the
    token (best effort) so it no longer opens the portal's API."""
    token = page.evaluate("JSON.parse(sessionStorage.getItem('strata-portal.token')).accessToken")
    apps = f"{base_url}/portal/api/apps"
    assert httpx.get(apps, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    with page.expect_response(lambda r: r.url.endswith("/oauth/revoke")) as revoked:
        page.get_by_test_id("sign-out").click()
    assert revoked.value.status == 200
    expect(page.get_by_test_id("apps-signed-out")).to_be_visible()
    expect(page.get_by_test_id("sign-in")).to_be_visible()
    expect(page.get_by_test_id("message")).to_be_hidden()
    assert page.evaluate("sessionStorage.length") == 0
    after = httpx.get(apps, headers={"Authorization": f"Bearer {token}"})
    assert after.status_code == 401, after.text


def test_a_developer_registers_an_app_uses_it_and_deletes_it(web_server: Server, tab: Tab) -> None:
    page, base_url = tab.page, web_server.base_url
    page.goto(f"{base_url}/portal")
    check_catalog(page, base_url)
    sign_in(page, base_url)

    name = f"stock-script-{uuid.uuid4().hex[:8]}"
    client_id, secret = create_app(page, name)
    check_listed(page, client_id, name)

    # The developer's script: the app's own token calls a process API through the gateway.
    issued = client_token(base_url, client_id, secret)
    assert issued.status_code == 200, issued.text
    assert issued.json()["scope"] == SCOPE
    token = issued.json()["access_token"]
    answer = availability(base_url, token)
    assert answer.status_code == 200, answer.text
    assert answer.json()["sku"] == "FUR-001-GRA"

    # Shown once: after a reload the app is listed, its secret nowhere.
    assert secret_anywhere(page, secret)
    page.reload()
    check_listed(page, client_id, name)
    expect(page.get_by_test_id("new-secret")).to_be_hidden()
    assert not secret_anywhere(page, secret)

    delete_app(page, client_id, name)
    refused = availability(base_url, token)
    assert refused.status_code == 401, refused.text
    no_token = client_token(base_url, client_id, secret)
    assert no_token.status_code == 401, no_token.text
    assert no_token.json()["error"] == "invalid_client"

    public_app_goes_with_its_credentials(page)
    pending_app_says_why(page)
    sign_out(page, base_url)

    # Nothing went wrong in the page but the one registration the server refused.
    refused_registration = f"status of 422 (Unprocessable Entity) ({base_url}/portal/api/apps)"
    assert [error for error in tab.errors.seen if not error.endswith(refused_registration)] == []
    assert len(tab.errors.seen) == 1
