"""Fixtures for the registry: a service on the test database, documents, and a tiny app that
serves OpenAPI documents over an injected transport.

Host names are answered by a stand-in resolver (no DNS in tests): every ``*.internal`` name
is a private address, and a test may add its own answers.

Redis is taken from ``STRATA_TEST_REDIS_URL`` (default: the local server); when it is
unreachable the Redis cases are skipped with the reason, unless
``STRATA_TEST_REQUIRE_SERVICES=1``, which makes them fail instead.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping, Sequence
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from gateway.registry.addresses import AddressPolicy
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


INTERNAL_ADDRESS = "10.20.0.1"


class StandInResolver:
    """Answers like DNS would: ``answers`` first, any ``*.internal`` name with a private
    address, every other name not found. ``asked`` records the names looked up."""

    def __init__(self, answers: Mapping[str, Sequence[str]] | None = None) -> None:
        self.answers = dict(answers or {})
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        if host in self.answers:
            return list(self.answers[host])
        if host.endswith(".internal"):
            return [INTERNAL_ADDRESS]
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


@pytest.fixture
def resolver() -> StandInResolver:
    return StandInResolver()


@pytest.fixture
def addresses(resolver: StandInResolver) -> AddressPolicy:
    return AddressPolicy(resolve=resolver)


@pytest.fixture
def fetch_transport() -> httpx.AsyncBaseTransport:
    return httpx.ASGITransport(app=document_server())


@pytest.fixture
def service(
    database: Database, fetch_transport: httpx.AsyncBaseTransport, addresses: AddressPolicy
) -> RegistryService:
    loader = DocumentLoader(fetch_transport, max_bytes=20_000)
    return RegistryService(database, loader, addresses=addresses)


@pytest.fixture
def make_registration() -> Any:
    return registration


@pytest.fixture
def make_document() -> Any:
    return openapi_document
