"""Every JSON API of every layer (system, process, experience, and the gateway's own admin,
OAuth and portal endpoints) refuses a body that repeats a key, with 422 naming the field."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from strata.app import Strata, create_strata
from strata.errors import PROBLEM_JSON
from strata.json_body import StrictJsonRoute
from strata.settings import load_settings

REPEATING = b'{"probe": {"key": 1, "key": 2}}'


@pytest.fixture(scope="module")
def strata() -> Strata:
    settings = load_settings(database_url="sqlite+aiosqlite:///:memory:", seed_demo_data=False)
    return create_strata(settings)


def every_app(strata: Strata) -> Iterator[tuple[str, FastAPI]]:
    for (layer, name), app in strata.layers.apis.items():
        yield f"{layer}/{name}", app
    yield "gateway", strata.gateway.app


def api_routes(routes: Sequence[BaseRoute]) -> Iterator[APIRoute]:
    """Every API route, into included routers (FastAPI keeps an included router whole, as
    its ``original_router``, rather than copying its routes)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from api_routes(included.routes)


def json_operation(app: FastAPI) -> tuple[str, str]:
    """The method and a path of the first operation documented with a JSON request body."""
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                return method.upper(), re.sub(r"\{[^}]+\}", "x", path)
    raise AssertionError("no operation takes a JSON body")


def test_every_route_of_every_layer_parses_json_strictly(strata: Strata) -> None:
    loose = [
        f"{where} {sorted(route.methods)} {route.path}"
        for where, app in every_app(strata)
        for route in api_routes(app.routes)
        if not isinstance(route, StrictJsonRoute)
    ]
    assert loose == []


@pytest.mark.parametrize(
    "api",
    [
        "system/crm",
        "system/erp",
        "system/inventory",
        "process/orders",
        "process/availability",
        "experience/web",
        "experience/mobile",
        "gateway",
    ],
)
async def test_a_repeated_key_is_refused_by_each_app(strata: Strata, api: str) -> None:
    # process/customers takes no body; the test above covers its routes.
    app = dict(every_app(strata))[api]
    method, path = json_operation(app)

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        answer = await client.request(
            method, path, content=REPEATING, headers={"content-type": "application/json"}
        )

    assert answer.status_code == 422, (method, path, answer.text)
    assert answer.headers["content-type"] == PROBLEM_JSON
    assert {"field": "probe.key", "in": "body"}.items() <= answer.json()["errors"][0].items()
