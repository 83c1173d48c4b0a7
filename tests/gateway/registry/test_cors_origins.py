"""A registration's ``cors_origins``: validated (422 naming the item), stored on both
databases, shown, changed whole, carried into the route table, and set on built-in APIs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.registry.addresses import AddressPolicy
from gateway.registry.builtin import builtin_registration
from gateway.registry.cli import register_from_cli
from gateway.registry.schemas import ApiUpdate
from gateway.registry.service import RegistryService
from strata.db import Database
from strata.errors import Problem
from tests.gateway.registry.conftest import openapi_document, registration
from tests.gateway.registry.test_cli import arguments
from tests.gateway.registry.test_router import admin, assert_problem, body

__all__ = ["admin"]  # the admin API fixture, shared with the router tests


@pytest.mark.parametrize(
    ("origins", "field", "says"),
    [
        (["https://app.example", "https://app.example/"], "cors_origins.1", "path"),
        (["https://app.example/callback"], "cors_origins.0", "path"),
        (["https://*.example"], "cors_origins.0", "wildcard"),
        (["ftp://app.example"], "cors_origins.0", "http or https"),
        (["app.example"], "cors_origins.0", "scheme"),
        (["null"], "cors_origins.0", "scheme"),
        (["https://user@app.example"], "cors_origins.0", "user"),
        (["https://app.example:70000"], "cors_origins.0", "port"),
        (["https://app.example?x=1"], "cors_origins.0", "query"),
        (["https://app.example", "*"], "cors_origins", "only one"),
        (["https://app.example", "https://APP.example:443"], "cors_origins", "repeat"),
        ("https://app.example", "cors_origins", "list"),
    ],
)
async def test_a_bad_origin_is_422_naming_it(
    admin: httpx.AsyncClient, make_document: Any, origins: Any, field: str, says: str
):
    response = await admin.post("/admin/apis", json=body(make_document, cors_origins=origins))

    problem = assert_problem(response, 422)
    assert problem["errors"][0]["field"] == field
    assert says in problem["errors"][0]["message"]


async def test_origins_are_stored_as_browsers_send_them_and_shown(
    admin: httpx.AsyncClient, make_document: Any
):
    origins = ["HTTPS://App.Example:443", "http://127.0.0.1:5173", "http://[::1]:80"]
    created = await admin.post("/admin/apis", json=body(make_document, cors_origins=origins))
    plain = await admin.post("/admin/apis", json=body(make_document, name="plain"))

    assert created.status_code == 201, created.text
    expected = ["https://app.example", "http://127.0.0.1:5173", "http://[::1]"]
    assert created.json()["cors_origins"] == expected
    assert (await admin.get("/admin/apis/orders")).json()["cors_origins"] == expected
    assert plain.json()["cors_origins"] == []


async def test_a_change_replaces_the_origins_and_null_is_refused(
    admin: httpx.AsyncClient, make_document: Any
):
    await admin.post("/admin/apis", json=body(make_document, cors_origins=["https://a.example"]))

    changed = await admin.patch("/admin/apis/orders", json={"cors_origins": ["*"]})
    nulled = await admin.patch("/admin/apis/orders", json={"cors_origins": None})

    assert changed.status_code == 200, changed.text
    assert changed.json()["cors_origins"] == ["*"]
    assert assert_problem(nulled, 422)["errors"][0]["field"] == "cors_origins"


async def test_the_route_table_carries_each_apis_origins(service: RegistryService):
    await service.register(registration("open", cors_origins=["https://a.example"]))
    await service.register(registration("closed"))

    table = await service.route_table()
    open_route, closed_route = table.get("open"), table.get("closed")

    assert open_route is not None and open_route.cors_origins == ("https://a.example",)
    assert closed_route is not None and closed_route.cors_origins == ()

    await service.update("open", ApiUpdate(cors_origins=["https://b.example"]))
    changed = (await service.route_table()).get("open")
    assert changed is not None and changed.cors_origins == ("https://b.example",)


async def test_a_built_in_api_follows_the_configured_origins(service: RegistryService):
    def built_in(*origins: str) -> Any:
        return builtin_registration(
            openapi_document(),
            name="orders",
            layer="process",
            read_scope="orders:read",
            cors_origins=origins,
        )

    first = await service.ensure_builtin(built_in())
    same = await service.ensure_builtin(built_in())
    opened = await service.ensure_builtin(built_in("https://app.example"))

    assert first.cors_origins == () and same.revision == first.revision
    assert opened.cors_origins == ("https://app.example",)
    assert opened.revision > first.revision
    route = (await service.route_table()).get("orders")
    assert route is not None and route.cors_origins == ("https://app.example",)


async def test_the_command_line_registers_origins_and_names_a_bad_one(
    database: Database, tmp_path: Path, make_document: Any, addresses: AddressPolicy
):
    path = tmp_path / "billing.json"
    path.write_text(json.dumps(make_document("Billing")))

    def register(*origins: str) -> Any:
        return register_from_cli(
            database,
            openapi=str(path),
            addresses=addresses,
            **arguments(cors_origins=list(origins)),
        )

    with pytest.raises(Problem) as refused:
        await register("https://app.example/path")
    api = await register("https://App.Example")

    assert refused.value.status == 422
    assert refused.value.extensions["errors"][0]["field"] == "cors_origins.0"
    assert api.cors_origins == ("https://app.example",)
