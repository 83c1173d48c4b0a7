"""The consent page tells the person who made the app, where it returns them to and what each
scope lets it do: for a developer's portal app and for Strata's own."""

from __future__ import annotations

import re
from html import unescape

import httpx

from gateway.oauth.users import MOBILE_CLIENT_ID, WEB_CLIENT_ID
from tests.gateway.portal.conftest import ISSUER, LOGIN_FORM_ID, Portal, s256

SPA_REDIRECT = "https://spa.example:8443/callback"
TAG = re.compile(r"<[^>]*>")


async def consent_page(portal: Portal, client_id: str, redirect_uri: str, scope: str) -> str:
    async with portal.http() as browser:
        page = await browser.get(
            "/oauth/authorize",
            params={
                "response_type": "code",
                "client_id": client_id,
                "redirect_uri": redirect_uri,
                "scope": scope,
                "code_challenge": s256("v" * 43),
                "code_challenge_method": "S256",
            },
        )
    return _text(page)


def _text(page: httpx.Response) -> str:
    """The page's text as a person reads it: the markup's tags out, then unescaped."""
    assert page.status_code == 200, page.text
    return " ".join(unescape(TAG.sub(" ", page.text)).split())


async def test_a_portal_app_names_its_developer_and_host(portal: Portal, devi: str) -> None:
    app = await portal.create_app(
        devi,
        name="Devi's <b>shop</b>",
        scopes=["me:read", "me:write"],
        redirect_uris=[SPA_REDIRECT],
        public=True,
    )
    text = await consent_page(portal, app["client_id"], SPA_REDIRECT, "me:read me:write")
    assert "Devi's <b>shop</b> asks to act for you" in text  # escaped in the markup
    assert "a third-party app made by Devi Developer (devi)" in text
    assert "Returns you to spa.example:8443" in text
    assert "Strata's own app" not in text
    assert "me:read Read your own profile and orders" in text
    assert "me:write Place orders and change your own profile" in text


async def test_the_markup_is_escaped(portal: Portal, devi: str) -> None:
    app = await portal.create_app(
        devi, name="<script>x</script>", scopes=["me:read"], redirect_uris=[SPA_REDIRECT]
    )
    async with portal.http() as browser:
        page = await browser.get(
            "/oauth/authorize",
            params={
                "response_type": "code",
                "client_id": app["client_id"],
                "code_challenge": s256("v" * 43),
                "code_challenge_method": "S256",
            },
        )
    assert page.status_code == 200
    assert "<script>" not in page.text and "&lt;script&gt;x&lt;/script&gt;" in page.text


async def test_stratas_own_web_app(portal: Portal) -> None:
    text = await consent_page(portal, WEB_CLIENT_ID, f"{ISSUER}/app/callback", "me:read")
    assert "Strata web app asks to act for you" in text
    assert "Who made it Strata's own app" in text
    assert "Returns you to strata.test" in text
    assert "third-party" not in text
    assert "me:read Read your own profile and orders" in text


async def test_an_installed_app_returns_to_its_scheme(portal: Portal) -> None:
    text = await consent_page(
        portal, MOBILE_CLIENT_ID, "dev.strata.mobile:/oauth/callback", "me:read"
    )
    assert "Strata's own app" in text
    assert "Returns you to dev.strata.mobile" in text


async def test_an_operators_client_says_so(portal: Portal) -> None:
    redirect = "http://127.0.0.1/callback"
    client, _ = await portal.strata.gateway.oauth.create_client(
        "Warehouse kiosk", "inventory:read", redirect_uris=[redirect], public=True
    )
    text = await consent_page(portal, client.id, "http://127.0.0.1:50123/callback", "")
    assert "Who made it registered by an operator" in text
    assert "Returns you to 127.0.0.1:50123" in text
    assert "inventory:read Read products, locations and stock levels" in text


async def test_a_wrong_password_shows_the_same_consent_again(portal: Portal, devi: str) -> None:
    app = await portal.create_app(
        devi, name="Devi's shop", scopes=["me:read"], redirect_uris=[SPA_REDIRECT], public=True
    )
    async with portal.http() as browser:
        page = await browser.get(
            "/oauth/authorize",
            params={
                "response_type": "code",
                "client_id": app["client_id"],
                "code_challenge": s256("v" * 43),
                "code_challenge_method": "S256",
            },
        )
        found = LOGIN_FORM_ID.search(page.text)
        assert found, page.text
        again = await browser.post(
            "/oauth/authorize",
            data={
                "request_id": found.group(1),
                "username": "devi",
                "password": "not the password",
                "decision": "allow",
            },
        )
    text = _text(again)
    assert "Wrong username or password." in text
    assert "a third-party app made by Devi Developer (devi)" in text
    assert "Returns you to spa.example:8443" in text
    assert "me:read Read your own profile and orders" in text
