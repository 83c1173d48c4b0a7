"""Swagger UI pages served from local assets (the ``swagger-ui-py`` package), never a CDN.

A page is static HTML plus a JSON block with its settings; the script that starts Swagger UI
is a file of its own, so pages need no inline script. OAuth2 is set up for the authorization
code flow with PKCE, returning to ``oauth2-redirect.html`` from the same assets.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, Response

from gateway.catalog.oauth_redirect import PAGE as REDIRECT_PAGE
from gateway.catalog.oauth_redirect import SCRIPT as REDIRECT_SCRIPT
from gateway.catalog.oauth_redirect import RedirectPage
from strata.errors import NotFound, problem_responses
from strata.json_body import StrictJsonRoute

ASSETS_PATH = "/apis/_assets"
INIT_SCRIPT = "strata-docs.js"
STYLESHEET = "strata-docs.css"
# Only what a page uses: the package also ships Swagger Editor, which nobody should load here.
_SWAGGER_FILES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
    "favicon-16x16.png": "image/png",
}
_CACHE = "public, max-age=86400"
# The pages hold tokens: only their own files run, they talk only to this origin, and no
# other site may frame them (clickjacking). Swagger UI sets its inline styles through the
# DOM, which style-src does not govern.
DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_PAGE_HEADERS = {
    "Content-Security-Policy": DOCS_CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

_INIT_JS = """\
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("strata-docs-config").textContent);
  window.addEventListener("load", function () {
    var ui = SwaggerUIBundle({
      url: config.url,
      dom_id: "#swagger-ui",
      deepLinking: true,
      presets: [SwaggerUIBundle.presets.apis],
      layout: "BaseLayout",
      oauth2RedirectUrl: new URL(config.oauth2RedirectPath, window.location.href).href,
      validatorUrl: null,
      showExtensions: true
    });
    ui.initOAuth(config.oauth);
    window.ui = ui;
  });
})();
"""
# What the page adds to Swagger UI's look, in a file: the policy allows no inline style.
_STYLE_CSS = """\
#strata-access { margin: 0; padding: 8px 20px; font-family: sans-serif; background: #f0f4f8; }
"""


@dataclass(frozen=True)
class DocsOAuth:
    """What Swagger UI's Authorize dialog starts with."""

    client_id: str | None = None
    scopes: Sequence[str] = field(default_factory=tuple)
    app_name: str = "Strata API docs"

    def init_oauth(self) -> dict[str, Any]:
        settings: dict[str, Any] = {
            "usePkceWithAuthorizationCodeGrant": True,
            "appName": self.app_name,
            "scopes": list(self.scopes),
        }
        if self.client_id:
            settings["clientId"] = self.client_id
        return settings


def swagger_static_dir() -> Path:
    """Where ``swagger-ui-py`` keeps Swagger UI 5."""
    return Path(str(files("swagger_ui") / "static"))


def swagger_ui_html(
    *,
    title: str,
    openapi_url: str,
    assets_path: str = ASSETS_PATH,
    oauth: DocsOAuth | None = None,
    notice: str | None = None,
) -> str:
    """The page; ``notice`` is one line shown above the docs (who may call the API)."""
    config = {
        "url": openapi_url,
        "oauth2RedirectPath": f"{assets_path}/oauth2-redirect.html",
        "oauth": (oauth or DocsOAuth()).init_oauth(),
    }
    assets = html.escape(assets_path, quote=True)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
<link rel="stylesheet" href="{assets}/{STYLESHEET}">
<link rel="icon" type="image/png" href="{assets}/favicon-32x32.png" sizes="32x32">
</head>
<body>
{_notice_html(notice)}<div id="swagger-ui"></div>
<script id="strata-docs-config" type="application/json">{_json_for_html(config)}</script>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{assets}/{INIT_SCRIPT}"></script>
</body>
</html>
"""


def swagger_ui_response(
    *,
    title: str,
    openapi_url: str,
    assets_path: str = ASSETS_PATH,
    oauth: DocsOAuth | None = None,
    notice: str | None = None,
) -> HTMLResponse:
    page = swagger_ui_html(
        title=title, openapi_url=openapi_url, assets_path=assets_path, oauth=oauth, notice=notice
    )
    return HTMLResponse(page, headers=_PAGE_HEADERS)


def create_assets_router(assets_path: str = ASSETS_PATH) -> APIRouter:
    """Serves the Swagger UI files a docs page needs, and nothing else from the package."""
    static = swagger_static_dir()
    missing = [name for name in _SWAGGER_FILES if not (static / name).is_file()]
    if missing:
        raise RuntimeError(f"swagger-ui-py is missing {', '.join(missing)} in {static}")
    router = APIRouter(
        route_class=StrictJsonRoute, prefix=assets_path, tags=["docs"], include_in_schema=False
    )
    # Relative: the script sits beside the page wherever the router is mounted.
    redirect = RedirectPage.from_package(static, REDIRECT_SCRIPT)

    @router.get(f"/{REDIRECT_PAGE}")
    async def oauth2_redirect_page() -> HTMLResponse:
        return HTMLResponse(redirect.html, headers=_PAGE_HEADERS)

    @router.get(f"/{REDIRECT_SCRIPT}")
    async def oauth2_redirect_script() -> Response:
        return Response(
            redirect.script, media_type="text/javascript; charset=utf-8", headers=_asset_headers()
        )

    @router.get(f"/{STYLESHEET}")
    async def stylesheet() -> Response:
        return Response(
            _STYLE_CSS, media_type="text/css; charset=utf-8", headers={"Cache-Control": _CACHE}
        )

    @router.get(f"/{INIT_SCRIPT}", responses=problem_responses(404))
    async def init_script() -> Response:
        return Response(
            _INIT_JS, media_type="text/javascript; charset=utf-8", headers={"Cache-Control": _CACHE}
        )

    @router.get("/{filename}", responses=problem_responses(404))
    async def asset(filename: str) -> FileResponse:
        media_type = _SWAGGER_FILES.get(filename)
        if media_type is None:
            raise NotFound("asset", filename)
        return FileResponse(static / filename, media_type=media_type, headers=_asset_headers())

    return router


def create_gateway_docs_router(
    *,
    openapi_url: str = "/openapi.json",
    path: str = "/docs",
    title: str = "Strata gateway",
    assets_path: str = ASSETS_PATH,
    oauth: DocsOAuth | None = None,
) -> APIRouter:
    """The gateway's own ``/docs``, built like every API's page (the assets router, e.g. from
    the catalog router, must be mounted too)."""
    router = APIRouter(route_class=StrictJsonRoute, tags=["docs"], include_in_schema=False)

    @router.get(path)
    async def gateway_docs() -> HTMLResponse:
        return swagger_ui_response(
            title=title, openapi_url=openapi_url, assets_path=assets_path, oauth=oauth
        )

    return router


def _notice_html(notice: str | None) -> str:
    if not notice:
        return ""
    return f'<p id="strata-access">{html.escape(notice)}</p>\n'


def _asset_headers() -> Mapping[str, str]:
    return {"Cache-Control": _CACHE, "X-Content-Type-Options": "nosniff"}


def _json_for_html(value: Any) -> str:
    # Inside <script>, "</script>" or "<!--" in a value would end the block early.
    text = json.dumps(value, ensure_ascii=False)
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(raw, escaped)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
