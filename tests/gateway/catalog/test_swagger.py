"""The Swagger UI pages hold tokens: each has a strict Content-Security-Policy, cannot be
framed, and runs no inline script or style (so the policy needs no 'unsafe-inline')."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from gateway.catalog.oauth_redirect import RedirectPage
from gateway.catalog.swagger import (
    ASSETS_PATH,
    create_assets_router,
    create_gateway_docs_router,
    swagger_static_dir,
    swagger_ui_html,
)
from tests.conftest import asgi_client

PAGES = ("/docs", f"{ASSETS_PATH}/oauth2-redirect.html")


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI(docs_url=None, redoc_url=None)
    app.include_router(create_assets_router())
    app.include_router(create_gateway_docs_router())
    async with asgi_client(app) as client:
        yield client


def directives(policy: str) -> dict[str, str]:
    pairs = (part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    return {name: value for name, value in pairs}


@pytest.mark.parametrize("path", PAGES)
async def test_every_docs_page_has_a_strict_policy_and_cannot_be_framed(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = directives(response.headers["content-security-policy"])
    assert policy["default-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["connect-src"] == "'self'"
    assert policy["base-uri"] == "'none'"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", PAGES)
async def test_pages_run_no_inline_script_or_style(client: httpx.AsyncClient, path: str) -> None:
    page = (await client.get(path)).text
    scripts = re.findall(r"<script([^>]*)>", page)
    assert scripts
    for attributes in scripts:
        assert "src=" in attributes or 'type="application/json"' in attributes, attributes
    assert not re.search(r"\son[a-z]+=", page), "an inline event handler"
    assert "style=" not in page and "<style" not in page


def test_a_notice_is_styled_from_the_stylesheet() -> None:
    page = swagger_ui_html(title="t", openapi_url="/o.json", notice="Public API")
    assert 'id="strata-access"' in page and "style=" not in page


async def test_the_redirect_page_starts_its_script_from_a_file(client: httpx.AsyncClient) -> None:
    page = (await client.get(f"{ASSETS_PATH}/oauth2-redirect.html")).text
    [source] = re.findall(r'<script src="([^"]+)"', page)
    script = await client.get(f"{ASSETS_PATH}/{source}")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert script.headers["x-content-type-options"] == "nosniff"
    assert "window.opener.swaggerUIRedirectOauth2" in script.text
    assert script.text.rstrip().endswith('window.addEventListener("load", run);')


async def test_the_page_stylesheet_is_served(client: httpx.AsyncClient) -> None:
    page = (await client.get("/docs")).text
    assert f"{ASSETS_PATH}/strata-docs.css" in page
    css = await client.get(f"{ASSETS_PATH}/strata-docs.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "#strata-access" in css.text


def test_a_redirect_page_of_another_shape_stops_the_start(tmp_path: Path) -> None:
    original = (swagger_static_dir() / "oauth2-redirect.html").read_text()
    (tmp_path / "oauth2-redirect.html").write_text(original.replace(' onload="run()"', ""))
    with pytest.raises(RuntimeError, match="inline script"):
        RedirectPage.from_package(tmp_path, "oauth2-redirect.js")
