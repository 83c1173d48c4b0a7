"""The catalog: every API behind the gateway, its OpenAPI document and its docs page.

``GET /apis`` lists them (``?layer=`` for one layer), ``/apis/{name}/openapi.json`` serves a
document aimed at the gateway with its OAuth2 scheme, ``/apis/{name}/docs`` a Swagger UI
page built from local assets under ``/apis/_assets``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from gateway.catalog.documents import OAuthEndpoints, access_notice, gateway_document
from gateway.catalog.schemas import Catalog, CatalogEntry, CatalogLinks, CatalogScopes
from gateway.catalog.swagger import (
    ASSETS_PATH,
    DocsOAuth,
    create_assets_router,
    swagger_ui_response,
)
from gateway.registry.schemas import Layer
from gateway.registry.store import RegisteredApi
from strata.errors import problem_responses
from strata.json_body import StrictJsonRoute


class CatalogSource(Protocol):
    """Where the catalog reads APIs from (the registry service)."""

    async def list(self, layer: str | None = None) -> list[RegisteredApi]: ...

    async def get(self, name: str) -> RegisteredApi: ...


def create_catalog_router(
    source: CatalogSource,
    *,
    guard: Callable[..., Any] | None = None,
    oauth: OAuthEndpoints | None = None,
    docs_client_id: str | None = None,
    include_assets: bool = True,
) -> APIRouter:
    """The catalog routes. ``guard`` (optional) protects the listing and documents; the
    static assets stay public. ``docs_client_id`` pre-fills the Authorize dialog."""
    endpoints = oauth or OAuthEndpoints()
    dependencies = [Depends(guard)] if guard else []
    router = APIRouter(route_class=StrictJsonRoute, prefix="/apis", tags=["catalog"])
    if include_assets:
        # Under this router's /apis prefix, so they land at ASSETS_PATH.
        router.include_router(create_assets_router(ASSETS_PATH.removeprefix(router.prefix)))

    @router.get(
        "",
        summary="Every API behind the gateway",
        dependencies=dependencies,
        responses=problem_responses(422),
    )
    async def list_catalog(
        request: Request,
        layer: Annotated[Layer | None, Query(description="Only this layer")] = None,
    ) -> Catalog:
        root = _root_path(request)
        apis = await source.list(layer)
        return Catalog(items=[_entry(api, root) for api in apis])

    @router.get(
        "/{name}/openapi.json",
        summary="An API's OpenAPI document, aimed at the gateway",
        dependencies=dependencies,
        responses={200: {"content": {"application/json": {}}}, **problem_responses(404)},
    )
    async def openapi_document(name: str, request: Request) -> JSONResponse:
        api = await source.get(name)
        document = gateway_document(api, root_path=_root_path(request), oauth=endpoints)
        return JSONResponse(document, headers={"Cache-Control": "no-cache"})

    @router.get(
        "/{name}/docs",
        summary="An API's interactive docs (Swagger UI)",
        dependencies=dependencies,
        response_class=HTMLResponse,
        responses=problem_responses(404),
    )
    async def docs_page(name: str, request: Request) -> HTMLResponse:
        api = await source.get(name)
        root = _root_path(request)
        scopes = [scope for scope in (api.read_scope, api.write_scope) if scope]
        return swagger_ui_response(
            title=f"{api.title} — Strata API docs",
            openapi_url=f"{root}/apis/{api.name}/openapi.json",
            assets_path=root + ASSETS_PATH,
            oauth=DocsOAuth(client_id=docs_client_id, scopes=list(dict.fromkeys(scopes))),
            notice=access_notice(api),
        )

    return router


def _root_path(request: Request) -> str:
    root: str = request.scope.get("root_path", "")
    return root.rstrip("/")


def _entry(api: RegisteredApi, root: str) -> CatalogEntry:
    base = f"{root}/apis/{api.name}"
    return CatalogEntry(
        name=api.name,
        layer=api.layer,
        version=api.version,
        title=api.title,
        description=api.description,
        path=root + api.prefix,
        public=api.public,
        scopes=CatalogScopes(read=api.read_scope, write=api.write_scope),
        builtin=api.builtin,
        links=CatalogLinks(docs=f"{base}/docs", openapi=f"{base}/openapi.json"),
    )
