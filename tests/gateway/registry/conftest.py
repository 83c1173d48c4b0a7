"""Fixtures for the registry: a service on the test database, documents, and a tiny app that
serves OpenAPI documents over an injected transport.

Redis is taken from ``STRATA_TEST_REDIS_URL`` (default: the local server); when it is
unreachable the Redis cases are skipped with the reason, unless
``STRATA_TEST_REQUIRE_SERVICES=1``, which makes them fail instead.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from gateway.registry.documents import DocumentLoader
from gateway.registry.schemas import ApiRegistration
from gateway.registry.service import RegistryService
from strata.db import Database


def openapi_document(title: str = "Orders", version: str = "3.1.0") -> dict[str, Any]:
    return {
        "openapi": version,
        "info": {"title": title, "version": "1.0.0"},
        "paths": {
            "/orders": {
                "get": {"responses": {"200": {"description": "The orders"}}},
                "post": {"responses": {"201": {"description": "Created"}}},
            }
        },
    }


def registration(name: str = "orders", **fields: Any) -> ApiRegistration:
    values: dict[str, Any] = {
        "name": name,
        "layer": "process",
        "version": 1,
        "targets": ["http://orders.internal:8080/api"],
        "read_scope": "orders:read",
        "write_scope": "orders:write",
        "openapi": openapi_document(),
    }
    values.update(fields)
    return ApiRegistration.model_validate(values)


def document_server() -> FastAPI:
    """An upstream publishing documents: good, broken, and hostile ones."""
    app = FastAPI(openapi_url=None)

    @app.get("/openapi.json")
    async def good() -> dict[str, Any]:
        return openapi_document("Fetched")

    @app.get("/v2.json")
    async def second() -> dict[str, Any]:
        return openapi_document("Fetched again")

    @app.get("/swagger.json")
    async def swagger() -> dict[str, Any]:
        return {"swagger": "2.0", "info": {"title": "old", "version": "1"}, "paths": {}}

    @app.get("/invalid.json")
    async def invalid() -> dict[str, Any]:
        return {"openapi": "3.0.3", "info": {"title": "no version"}, "paths": {}}

    @app.get("/html")
    async def html() -> Response:
        return PlainTextResponse("<html>not json</html>", media_type="text/html")

    @app.get("/list.json")
    async def a_list() -> JSONResponse:
        return JSONResponse([1, 2, 3])

    @app.get("/huge.json")
    async def huge() -> Response:
        return PlainTextResponse("x" * 50_000, media_type="application/json")

    return app


@pytest.fixture
def fetch_transport() -> httpx.AsyncBaseTransport:
    return httpx.ASGITransport(app=document_server())


@pytest.fixture
def service(database: Database, fetch_transport: httpx.AsyncBaseTransport) -> RegistryService:
    return RegistryService(database, DocumentLoader(fetch_transport, max_bytes=20_000))


@pytest.fixture
def make_registration() -> Any:
    return registration


@pytest.fixture
def make_document() -> Any:
    return openapi_document
