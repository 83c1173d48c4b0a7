"""The portal page and its static files: served with the right types and headers, only local
files, the settings the script signs in with, and the mount points the script fills."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from gateway.oauth import OAuthSettings, build_oauth
from gateway.portal import create_portal_router
from strata.db import Database
from strata.errors import install_problem_handlers
from tests.acceptance_support import assert_problem
from tests.gateway.portal.conftest import ISSUER, PORTAL_REDIRECT_URI, Portal

CONFIG_BLOCK = re.compile(r'<script id="portal-config" type="application/json">(.*?)</script>')
MOUNT_POINTS = (
    "catalog",
    "catalog-layers",
    "sign-in",
    "sign-out",
    "signed-in-as",
    "apps",
    "app-list",
    "create-form",
    "app-name",
    "scope-choices",
    "app-public",
    "app-redirects",
    "create-submit",
    "new-secret",
    "new-client-id",
    "new-client-secret",
    "copy-secret",
    "secret-warning",
    "error",
)


def build_app() -> FastAPI:
    """The portal alone (no database is touched to serve the page)."""
    settings = OAuthSettings(
        issuer=ISSUER, secret_key="page-tests-key-long-enough-x-x-x-x-x-x-x-x-x"
    )
    oauth = build_oauth(Database("sqlite+aiosqlite:///:memory:"), settings)
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(create_portal_router(oauth))
    return app


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app())
    async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as client:
        yield client


def page_config(page: str) -> dict[str, Any]:
    found = CONFIG_BLOCK.search(page)
    assert found, page
    config: dict[str, Any] = json.loads(found.group(1))
    return config


async def test_the_page_has_the_mount_points_the_script_fills(http: httpx.AsyncClient) -> None:
    answer = await http.get("/portal")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    for element in MOUNT_POINTS:
        assert f'id="{element}"' in answer.text, element
        assert f'data-testid="{element}"' in answer.text, element
    # The callback is the same page; the script finishes the sign-in there.
    callback = await http.get("/portal/callback", params={"code": "x", "state": "y"})
    assert callback.status_code == 200 and callback.text == answer.text


async def test_the_page_is_locked_down(http: httpx.AsyncClient) -> None:
    headers = (await http.get("/portal")).headers
    policy = headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self';" in policy
    assert "frame-ancestors 'none'" in policy and "connect-src 'self'" in policy
    # The callback's address holds the code: never passed on, never cached.
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["cache-control"] == "no-store"
    assert headers["x-frame-options"] == "DENY"


async def test_the_script_signs_in_with_the_portal_client(http: httpx.AsyncClient) -> None:
    config = page_config((await http.get("/portal")).text)
    assert config == {
        "issuer": ISSUER,
        "clientId": "strata-portal",
        "scope": "apps:read apps:write",
        "redirectUri": PORTAL_REDIRECT_URI,
        "authorizeUrl": "/oauth/authorize",
        "tokenUrl": "/oauth/token",
        "revokeUrl": "/oauth/revoke",
        "apiBase": "/portal/api",
        "catalogUrl": "/apis",
        "pagePath": "/portal",
    }


async def test_only_local_files_are_loaded_and_served_with_their_types(
    http: httpx.AsyncClient,
) -> None:
    page = (await http.get("/portal")).text
    links = re.findall(r'(?:src|href)="([^"]+)"', page)
    # An empty inline icon spares the browser a request for /favicon.ico.
    sources = [link for link in links if link != "data:,"]
    assert len(links) == 4
    assert sorted(sources) == [
        "/portal/static/portal.css",
        "/portal/static/portal.js",
        "/portal/static/signin.js",
    ]
    # The settings (data, not code), then the portal's own two files, sign-in first.
    assert page.count("<script") == 3
    assert page.index("signin.js") < page.index("portal.js")
    kinds: dict[str, str] = {}
    for source in sources:
        asset = await http.get(source)
        assert asset.status_code == 200, source
        assert asset.headers["x-content-type-options"] == "nosniff"
        kinds[source.rsplit(".", 1)[1]] = asset.headers["content-type"]
        assert "https://" not in asset.text and "http://" not in asset.text, source
    assert kinds == {
        "js": "text/javascript; charset=utf-8",
        "css": "text/css; charset=utf-8",
    }


async def test_the_script_uses_pkce_s256_and_checks_the_state(http: httpx.AsyncClient) -> None:
    sign_in = (await http.get("/portal/static/signin.js")).text
    assert 'crypto.subtle.digest("SHA-256"' in sign_in
    assert 'code_challenge_method: "S256"' in sign_in
    assert 'answer.get("state") !== pending.state' in sign_in
    assert "sessionStorage" in sign_in and "localStorage" not in sign_in
    assert "refresh_token" not in sign_in  # only the short-lived access token is kept
    page = (await http.get("/portal/static/portal.js")).text
    assert "StrataPortalSignIn(config)" in page
    assert "innerHTML" not in page + sign_in  # server values go in as text only


@pytest.mark.parametrize(
    "path",
    [
        "/portal/static/index.html",
        "/portal/static/nope.js",
        "/portal/static/..%2Fservice.py",
        "/portal/static/%2e%2e/router.py",
    ],
)
async def test_only_the_pages_files_are_served(http: httpx.AsyncClient, path: str) -> None:
    answer = await http.get(path)
    assert answer.status_code == 404


async def test_an_unknown_file_is_a_problem(http: httpx.AsyncClient) -> None:
    assert_problem(await http.get("/portal/static/nope.js"), 404, "not-found")


async def test_links_follow_the_root_path() -> None:
    transport = httpx.ASGITransport(app=build_app(), root_path="/edge")
    async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as client:
        page = (await client.get("/edge/portal")).text
        assert (await client.get("/edge/portal/static/portal.js")).status_code == 200
    config = page_config(page)
    assert config["apiBase"] == "/edge/portal/api" and config["catalogUrl"] == "/edge/apis"
    assert config["authorizeUrl"] == "/edge/oauth/authorize"
    assert 'src="/edge/portal/static/portal.js"' in page


async def test_the_gateway_serves_the_portal_and_the_catalog_it_shows(portal: Portal) -> None:
    async with portal.http() as http:
        page = await http.get("/portal")
        assert page.status_code == 200 and 'id="catalog-layers"' in page.text
        catalog = (await http.get("/apis")).json()["items"]
        layers = {item["layer"] for item in catalog}
        assert layers == {"system", "process", "experience"}
        for item in catalog:
            assert item["links"]["docs"] == f"/apis/{item['name']}/docs"
        docs = await http.get(catalog[0]["links"]["docs"])
        assert docs.status_code == 200 and docs.headers["content-type"].startswith("text/html")
        scopes = await http.get("/portal/api/scopes")
        assert scopes.status_code == 200 and scopes.json()["items"]
