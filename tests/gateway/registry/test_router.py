"""The admin API: guarded, problem+json errors naming the field, ETags and If-Match."""

from __future__ import annotations

import json
from ipaddress import ip_network
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request

from gateway.registry.addresses import AddressPolicy
from gateway.registry.documents import DocumentLoader
from gateway.registry.router import create_admin_router
from gateway.registry.service import RegistryService
from strata.db import Database
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


# --- access: public or scoped ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"read_scope": None, "write_scope": None}, "read_scope"),
        ({"public": True}, "public"),
        ({"public": True, "read_scope": None}, "public"),
        ({"public": "yes"}, "public"),
    ],
)
async def test_access_that_is_neither_public_nor_scoped_is_422(
    admin: httpx.AsyncClient, make_document: Any, fields: dict[str, Any], field: str
):
    response = await admin.post("/admin/apis", json=body(make_document, **fields))
    assert assert_problem(response, 422)["errors"][0]["field"] == field
    assert (await admin.get("/admin/apis")).json()["items"] == []


async def test_a_public_api_is_registered_and_shown_as_public(
    admin: httpx.AsyncClient, make_document: Any
):
    open_api = body(make_document, read_scope=None, write_scope=None, public=True)
    created = await admin.post("/admin/apis", json=open_api)
    assert created.status_code == 201, created.text
    assert created.json()["public"] is True
    scoped = await admin.post("/admin/apis", json=body(make_document, name="scoped"))
    assert scoped.json()["public"] is False

    closing = await admin.patch("/admin/apis/orders", json={"public": False})
    assert assert_problem(closing, 422)["errors"][0]["field"] == "read_scope"
    closed = await admin.patch(
        "/admin/apis/orders", json={"public": False, "read_scope": "orders:read"}
    )
    assert closed.status_code == 200 and closed.json()["public"] is False


# --- targets and documents: inproc, refused addresses, the allowed networks -----------------


async def test_an_inproc_target_is_422(admin: httpx.AsyncClient, make_document: Any):
    exposed = body(make_document, name="crm-again", targets=["inproc://system/crm"])
    problem = assert_problem(await admin.post("/admin/apis", json=exposed), 422)
    assert problem["errors"][0]["field"] == "targets.0"
    assert "built-in APIs only" in problem["detail"]

    await admin.post("/admin/apis", json=body(make_document))
    moved = await admin.patch("/admin/apis/orders", json={"targets": ["inproc://process/orders"]})
    assert assert_problem(moved, 422)["errors"][0]["field"] == "targets.0"


REFUSED_HOSTS = [
    "169.254.169.254",
    "2852039166",
    "0xA9FEA9FE",
    "0251.0376.0251.0376",
    "169.254.43518",
    "[::ffff:169.254.169.254]",
    "[::ffff:a9fe:a9fe]",
    "[fe80::1]",
    "metadata",
    "metadata.google.internal",
    "0.0.0.0",
    "[::]",
    "224.0.0.251",
    "[ff02::1]",
    "255.255.255.255",
    "points-at-metadata.example",  # a name whose address is refused
]


@pytest.mark.parametrize("host", REFUSED_HOSTS)
async def test_a_refused_target_is_422_naming_it(
    admin: httpx.AsyncClient, make_document: Any, resolver: Any, host: str
):
    resolver.answers["points-at-metadata.example"] = ["10.0.0.8", "169.254.169.254"]
    targets = ["http://orders.internal:8080", f"http://{host}/latest"]
    problem = assert_problem(
        await admin.post("/admin/apis", json=body(make_document, targets=targets)), 422
    )
    assert problem["errors"][0]["field"] == "targets.1"
    assert "never calls it" in problem["detail"]
    assert (await admin.get("/admin/apis")).json()["items"] == []


@pytest.mark.parametrize("host", REFUSED_HOSTS)
async def test_a_refused_document_url_is_422_naming_it(
    admin: httpx.AsyncClient, make_document: Any, resolver: Any, host: str
):
    resolver.answers["points-at-metadata.example"] = ["169.254.169.254"]
    fields = {"openapi": None, "openapi_url": f"http://{host}/openapi.json"}
    problem = assert_problem(
        await admin.post("/admin/apis", json=body(make_document, **fields)), 422
    )
    assert problem["errors"][0]["field"] == "openapi_url"
    assert "never calls it" in problem["detail"]


async def test_a_name_that_does_not_resolve_is_refused(
    admin: httpx.AsyncClient, make_document: Any
):
    targets = ["http://orders.nowhere.example"]
    problem = assert_problem(
        await admin.post("/admin/apis", json=body(make_document, targets=targets)), 422
    )
    assert problem["errors"][0]["field"] == "targets.0"
    assert "does not resolve" in problem["detail"]


async def test_the_allowed_networks_narrow_the_targets(
    database: Database, fetch_transport: httpx.AsyncBaseTransport, resolver: Any, make_document: Any
):
    policy = AddressPolicy.allowing([ip_network("10.0.0.0/8")], resolver)
    service = RegistryService(database, DocumentLoader(fetch_transport), addresses=policy)
    async with asgi_client(admin_app(service)) as client:
        client.headers["Authorization"] = "Bearer admin"
        loopback = body(make_document, targets=["http://127.0.0.1:9001"])
        problem = assert_problem(await client.post("/admin/apis", json=loopback), 422)
        assert problem["errors"][0]["field"] == "targets.0"
        assert "outside the networks the registry allows" in problem["detail"]

        inside = await client.post("/admin/apis", json=body(make_document))  # orders.internal
        assert inside.status_code == 201, inside.text


async def test_the_readme_example_registers_a_loopback_service(
    database: Database, fetch_transport: httpx.AsyncBaseTransport, make_document: Any
):
    service = RegistryService(database, DocumentLoader(fetch_transport))  # the default policy
    async with asgi_client(admin_app(service)) as client:
        client.headers["Authorization"] = "Bearer admin"
        shipping = body(
            make_document,
            name="shipping",
            layer="system",
            targets=["http://127.0.0.1:9001"],
            read_scope="shipping:read",
            write_scope="shipping:write",
        )
        created = await client.post("/admin/apis", json=shipping)
    assert created.status_code == 201, created.text
    assert created.json()["targets"] == ["http://127.0.0.1:9001"]
