"""The admin API: guarded, problem+json errors naming the field, ETags and If-Match."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request

from gateway.registry.router import create_admin_router
from gateway.registry.service import RegistryService
from strata.errors import PROBLEM_JSON, Problem, install_problem_handlers
from strata.middleware import RequestContextMiddleware
from tests.conftest import asgi_client


def allow_admins(request: Request) -> None:
    if request.headers.get("authorization") != "Bearer admin":
        raise Problem(403, "Forbidden", "needs the admin scope", kind="insufficient-scope")


def admin_app(service: RegistryService) -> Any:
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(create_admin_router(service, allow_admins))
    return RequestContextMiddleware(app)


@pytest.fixture
async def admin(service: RegistryService) -> Any:
    async with asgi_client(admin_app(service)) as client:
        client.headers["Authorization"] = "Bearer admin"
        yield client


def body(make_document: Any, **fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "orders",
        "layer": "process",
        "version": 1,
        "targets": ["http://orders.internal:8080"],
        "read_scope": "orders:read",
        "write_scope": "orders:write",
        "openapi": make_document(),
    }
    values.update(fields)
    return values


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status and problem["request_id"]
    return problem


async def test_a_refusing_guard_blocks_every_route(service: RegistryService, make_document: Any):
    async with asgi_client(admin_app(service)) as client:
        responses = [
            await client.post("/admin/apis", json=body(make_document)),
            await client.get("/admin/apis"),
            await client.get("/admin/apis/orders"),
            await client.patch("/admin/apis/orders", json={"retries": 0}),
            await client.delete("/admin/apis/orders"),
        ]
    for response in responses:
        assert assert_problem(response, 403)["type"].endswith("/insufficient-scope")
    assert await service.list() == []


async def test_register_list_get_patch_delete(admin: httpx.AsyncClient, make_document: Any):
    created = await admin.post("/admin/apis", json=body(make_document, description="Orders"))
    assert created.status_code == 201, created.text
    assert created.headers["location"] == "/admin/apis/orders"
    assert created.headers["etag"] == '"1"'
    api = created.json()
    assert api["prefix"] == "/process/orders/v1" and api["builtin"] is False
    assert "openapi" not in api

    listed = (await admin.get("/admin/apis")).json()
    assert [item["name"] for item in listed["items"]] == ["orders"]
    assert listed["revision"] == 1
    assert (await admin.get("/admin/apis", params={"layer": "system"})).json()["items"] == []

    one = await admin.get("/admin/apis/orders")
    assert one.json() == api and one.headers["etag"] == '"1"'

    patched = await admin.patch(
        "/admin/apis/orders", json={"timeout_seconds": 2.5, "write_scope": None}
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["timeout_seconds"] == 2.5 and patched.json()["write_scope"] is None
    assert patched.headers["etag"] == '"2"'

    deleted = await admin.delete("/admin/apis/orders")
    assert deleted.status_code == 204 and deleted.content == b""
    assert_problem(await admin.get("/admin/apis/orders"), 404)


async def test_if_match_guards_against_lost_updates(admin: httpx.AsyncClient, make_document: Any):
    await admin.post("/admin/apis", json=body(make_document))
    ok = await admin.patch("/admin/apis/orders", json={"retries": 3}, headers={"If-Match": '"1"'})
    assert ok.status_code == 200
    stale = await admin.patch(
        "/admin/apis/orders", json={"retries": 0}, headers={"If-Match": '"1"'}
    )
    problem = assert_problem(stale, 412)
    assert problem["revision"] == 2
    garbage = await admin.delete("/admin/apis/orders", headers={"If-Match": "whatever"})
    assert_problem(garbage, 412)
    gone = await admin.delete("/admin/apis/orders", headers={"If-Match": 'W/"2"'})
    assert gone.status_code == 204


async def test_duplicate_is_409(admin: httpx.AsyncClient, make_document: Any):
    await admin.post("/admin/apis", json=body(make_document))
    problem = assert_problem(await admin.post("/admin/apis", json=body(make_document)), 409)
    assert "already registered" in problem["detail"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "Not A Slug"}, "name"),
        ({"layer": "backend"}, "layer"),
        ({"version": 0}, "version"),
        ({"version": "one"}, "version"),
        ({"targets": ["gopher://x.internal"]}, "targets.0"),
        ({"targets": ["http://u:p@x.internal"]}, "targets.0"),
        ({"openapi": "not an object"}, "openapi"),
        ({"openapi": None}, "openapi"),
        ({"openapi": {"openapi": "3.1.0", "info": {"title": "t"}, "paths": {}}}, "openapi"),
        ({"openapi": None, "openapi_url": "http://docs.internal/missing.json"}, "openapi_url"),
        ({"surprise": 1}, "surprise"),
    ],
)
async def test_bad_input_is_422_naming_the_field(
    admin: httpx.AsyncClient, make_document: Any, fields: dict[str, Any], field: str
):
    response = await admin.post("/admin/apis", json=body(make_document, **fields))
    problem = assert_problem(response, 422)
    assert problem["errors"][0]["field"] == field
    assert field in problem["detail"]
    assert (await admin.get("/admin/apis")).json()["items"] == []


async def test_malformed_bodies_are_clear_errors(admin: httpx.AsyncClient, make_document: Any):
    broken = await admin.post(
        "/admin/apis", content=b'{"name": "orders",', headers={"content-type": "application/json"}
    )
    assert_problem(broken, 422)
    not_object = await admin.post("/admin/apis", json=[1, 2])
    assert_problem(not_object, 422)
    await admin.post("/admin/apis", json=body(make_document))
    null_targets = await admin.patch("/admin/apis/orders", json={"targets": None})
    assert assert_problem(null_targets, 422)["errors"][0]["field"] == "targets"
    rename = await admin.patch("/admin/apis/orders", json={"name": "other"})
    assert assert_problem(rename, 422)["errors"][0]["field"] == "name"
    bad_layer = await admin.get("/admin/apis", params={"layer": "nope"})
    assert assert_problem(bad_layer, 422)["errors"][0]["field"] == "layer"


async def test_deeply_nested_document_is_not_a_500(admin: httpx.AsyncClient, make_document: Any):
    depth = 50_000
    document = json.dumps(body(make_document)).replace(
        '"info": {', '"info": {"x-deep": ' + '{"x": ' * depth + "{}" + "}" * depth + ", ", 1
    )
    response = await admin.post(
        "/admin/apis", content=document, headers={"content-type": "application/json"}
    )
    assert_problem(response, 400)
