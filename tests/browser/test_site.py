"""The web app's files as the gateway serves them (no browser needed): one page for /app and
/app/callback under a strict Content-Security-Policy, and exactly the files it loads."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from importlib.resources import files

import httpx
import pytest
from fastapi import FastAPI

from experience_apis.web.site import create_site_router
from experience_apis.web.site.router import ASSET_TYPES, PAGE_FILE
from strata.errors import install_problem_handlers
from strata.http import in_process

JS_IMPORT = re.compile(r"""^import .* from "\./([\w.-]+)";$""", re.MULTILINE)


class PageParts(HTMLParser):
    """The app files the page loads, and any code inline in it (scripts, handlers, styles)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self.inline_code: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.inline_code += [name for name, _ in attrs if name.startswith("on") or name == "style"]
        if tag == "script" and values.get("src") is None:
            self.inline_scripts += 1
        for name in ("src", "href"):
            value = values.get(name)
            if value and value.startswith("/app/static/"):
                self.urls.append(value)


@pytest.fixture
async def site() -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(create_site_router())
    async with httpx.AsyncClient(base_url="http://shop.test", transport=in_process(app)) as client:
        yield client


@pytest.mark.parametrize("path", ["/app", "/app/callback"])
async def test_the_page_is_served_with_a_strict_policy(site: httpx.AsyncClient, path: str) -> None:
    response = await site.get(path, params={"code": "x", "state": "y"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    policy = response.headers["content-security-policy"]
    assert policy.startswith("default-src 'self'")
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert '<script type="module" src="/app/static/app.js">' in response.text


async def test_the_page_runs_no_inline_code(site: httpx.AsyncClient) -> None:
    parts = PageParts()
    parts.feed((await site.get("/app")).text)
    assert parts.inline_scripts == 0
    assert parts.inline_code == []


async def test_every_file_the_page_and_its_modules_load_is_served(
    site: httpx.AsyncClient,
) -> None:
    parts = PageParts()
    parts.feed((await site.get("/app")).text)
    wanted = {url.removeprefix("/app/static/") for url in parts.urls}
    for name in [name for name in ASSET_TYPES if name.endswith(".js")]:
        wanted |= set(JS_IMPORT.findall((await site.get(f"/app/static/{name}")).text))
    assert {"app.js", "app.css", "auth.js", "api.js", "views.js"} <= wanted
    for name in wanted:
        response = await site.get(f"/app/static/{name}")
        assert response.status_code == 200, name
        assert response.headers["content-type"] == ASSET_TYPES[name]
        assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("name", "media_type"),
    [("app.js", "text/javascript"), ("app.css", "text/css"), ("icon.svg", "image/svg+xml")],
)
async def test_files_are_revalidated_not_refetched(
    site: httpx.AsyncClient, name: str, media_type: str
) -> None:
    first = await site.get(f"/app/static/{name}")
    assert first.headers["content-type"].startswith(media_type)
    assert first.headers["cache-control"] == "no-cache"
    etag = first.headers["etag"]
    again = await site.get(f"/app/static/{name}", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    stale = await site.get(f"/app/static/{name}", headers={"If-None-Match": '"other"'})
    assert stale.status_code == 200
    assert stale.content == first.content


@pytest.mark.parametrize(
    "path",
    ["/app/static/missing.js", "/app/static/router.py", "/app/static/..%2Frouter.py"],
)
async def test_only_the_app_files_are_served(site: httpx.AsyncClient, path: str) -> None:
    response = await site.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_every_file_in_the_static_folder_is_served() -> None:
    # A new file left out of ASSET_TYPES would be a 404 in the browser (and missing from
    # the package data, which takes the whole folder).
    shipped = {entry.name for entry in (files("experience_apis.web.site") / "static").iterdir()}
    assert shipped == {*ASSET_TYPES, PAGE_FILE}
