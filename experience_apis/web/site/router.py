"""Serves the web app: its page at ``/app`` and ``/app/callback`` (the same ``index.html``; the
script routes by the URL's hash and finishes the sign-in on the callback) and its files under
``/app/static/``.

The files are read once, when the router is made, so a missing one stops the start rather
than a request. The page allows only its own scripts and styles (no inline script runs).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib.resources import files

from fastapi import APIRouter, Request
from fastapi.responses import Response

from strata.errors import NotFound, problem_responses
from strata.json_body import StrictJsonRoute

SITE_PREFIX = "/app"
PAGE_FILE = "index.html"
ASSET_TYPES = {
    "app.js": "text/javascript; charset=utf-8",
    "auth.js": "text/javascript; charset=utf-8",
    "api.js": "text/javascript; charset=utf-8",
    "dom.js": "text/javascript; charset=utf-8",
    "views.js": "text/javascript; charset=utf-8",
    "order.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
    "icon.svg": "image/svg+xml",
}
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # The callback URL carries the authorization code: never send it on as a referrer, and
    # never keep the page in a cache.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
# No build step means no fingerprinted file names: browsers revalidate every load (a 304
# when unchanged), so a new release is never mixed with old modules.
ASSET_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str
    etag: str

    @classmethod
    def read(cls, name: str, media_type: str) -> Asset:
        body = (files("experience_apis.web.site") / "static" / name).read_bytes()
        return cls(body, media_type, f'"{hashlib.sha256(body).hexdigest()[:32]}"')

    def response(self, request: Request, headers: dict[str, str]) -> Response:
        validators = {**headers, "ETag": self.etag}
        if self.etag in _etags(request.headers.get("if-none-match")):
            return Response(status_code=304, headers=validators)
        return Response(self.body, media_type=self.media_type, headers=validators)


def _etags(header: str | None) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in (header or "").split(",")}


def create_site_router() -> APIRouter:
    """``GET /app``, ``GET /app/callback`` and ``GET /app/static/{filename}``."""
    router = APIRouter(route_class=StrictJsonRoute, prefix=SITE_PREFIX, tags=["web app"])
    page = Asset.read(PAGE_FILE, "text/html; charset=utf-8")
    assets = {name: Asset.read(name, media_type) for name, media_type in ASSET_TYPES.items()}

    async def serve_page(request: Request) -> Response:
        return page.response(request, PAGE_HEADERS)

    async def serve_asset(filename: str, request: Request) -> Response:
        asset = assets.get(filename)
        if asset is None:
            raise NotFound("file", filename)
        return asset.response(request, ASSET_HEADERS)

    for path in ("", "/callback"):
        router.add_api_route(path, serve_page, methods=["GET"], include_in_schema=False)
    router.add_api_route(
        "/static/{filename}",
        serve_asset,
        methods=["GET"],
        include_in_schema=False,
        responses=problem_responses(404),
    )
    return router
