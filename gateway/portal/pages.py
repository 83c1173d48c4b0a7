"""The portal's page and its static files (plain HTML, JS and CSS shipped in the package).

The page is ``static/index.html`` with its settings filled in as a JSON block (no inline
script runs: a strict Content-Security-Policy allows only the portal's own files). The same
page answers ``/portal`` and ``/portal/callback``, where the script finishes the sign-in.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from importlib.resources import files
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from gateway.oauth.users import PORTAL_CLIENT_ID, PORTAL_REDIRECT_PATH, PORTAL_SCOPES
from strata.errors import NotFound, problem_responses

STATIC_PATH = "/static"
PAGE_FILE = "index.html"
STATIC_FILES = {
    "signin.js": "text/javascript; charset=utf-8",
    "portal.js": "text/javascript; charset=utf-8",
    "portal.css": "text/css; charset=utf-8",
}
CONFIG_MARKER = "__PORTAL_CONFIG__"
STATIC_MARKER = "__PORTAL_STATIC__"
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # The callback URL carries the authorization code: never send it on as a referrer.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_ASSET_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}


@dataclass(frozen=True)
class PortalSignIn:
    """How the page signs a developer in: the seeded public client, PKCE S256, returning to
    the issuer's ``/portal/callback`` (the redirect URI the client was registered with)."""

    issuer: str
    client_id: str = PORTAL_CLIENT_ID
    scope: str = PORTAL_SCOPES

    @property
    def redirect_uri(self) -> str:
        return self.issuer.rstrip("/") + PORTAL_REDIRECT_PATH


def read_static(name: str) -> str:
    return (files("gateway.portal") / "static" / name).read_text(encoding="utf-8")


def page_config(sign_in: PortalSignIn, root: str, page_path: str) -> dict[str, Any]:
    """What the script needs: where to sign in, and where the portal and catalog APIs are."""
    return {
        "issuer": sign_in.issuer,
        "clientId": sign_in.client_id,
        "scope": sign_in.scope,
        "redirectUri": sign_in.redirect_uri,
        "authorizeUrl": f"{root}/oauth/authorize",
        "tokenUrl": f"{root}/oauth/token",
        "revokeUrl": f"{root}/oauth/revoke",
        "apiBase": f"{root}{page_path}/api",
        "catalogUrl": f"{root}/apis",
        "pagePath": f"{root}{page_path}",
    }


def render_page(template: str, config: Mapping[str, Any], static_base: str) -> str:
    return template.replace(CONFIG_MARKER, _json_for_html(config)).replace(
        STATIC_MARKER, escape(static_base, quote=True)
    )


def add_page_routes(router: APIRouter, sign_in: PortalSignIn) -> None:
    """Adds the page (at the router's prefix and ``/callback``) and ``/static/{file}``; the
    files are read once, here, so a missing one stops the start rather than a request."""
    template = read_static(PAGE_FILE)
    assets = {name: read_static(name) for name in STATIC_FILES}

    async def page(request: Request) -> HTMLResponse:
        root = str(request.scope.get("root_path", "")).rstrip("/")
        static_base = root + router.prefix + STATIC_PATH
        config = page_config(sign_in, root, router.prefix)
        html = render_page(template, config, static_base)
        return HTMLResponse(html, headers=PAGE_HEADERS)

    async def static(filename: str) -> Response:
        media_type = STATIC_FILES.get(filename)
        if media_type is None:
            raise NotFound("asset", filename)
        return Response(assets[filename], media_type=media_type, headers=_ASSET_HEADERS)

    for path in ("", "/callback"):
        router.add_api_route(
            path, page, methods=["GET"], response_class=HTMLResponse, include_in_schema=False
        )
    router.add_api_route(
        STATIC_PATH + "/{filename}",
        static,
        methods=["GET"],
        include_in_schema=False,
        responses=problem_responses(404),
    )


def _json_for_html(value: Any) -> str:
    # Inside <script>, "</script>" or "<!--" in a value would end the block early.
    text = json.dumps(value, ensure_ascii=False)
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(raw, escaped)
    return text
