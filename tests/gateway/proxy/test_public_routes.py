"""Registered APIs on the data path: only a public one answers anonymous callers, and a
method no scope grants is refused (routes built by the registry, on both databases)."""

from __future__ import annotations

from typing import Any

from gateway.registry.schemas import ApiRegistration
from gateway.registry.service import RegistryService
from strata.db import Database

DOCUMENT = {
    "openapi": "3.1.0",
    "info": {"title": "Echo", "version": "1.0.0"},
    "paths": {"/x": {"get": {"responses": {"200": {"description": "OK"}}}}},
}


def registration(name: str, target: str, **access: Any) -> ApiRegistration:
    return ApiRegistration.model_validate(
        {
            "name": name,
            "layer": "system",
            "version": 1,
            "targets": [target],
            "openapi": DOCUMENT,
            **access,
        }
    )


async def test_registered_apis_are_open_only_when_public(
    database: Database, upstreams: Any, gateway: Any, tokens: Any
):
    (a,) = await upstreams("a")
    # Registered on 127.0.0.1 as in the README: loopback upstreams are allowed by default.
    service = RegistryService(database)
    await service.register(registration("open", a.url, public=True))
    await service.register(registration("scoped", a.url, read_scope="crm:read"))
    gw = gateway(list((await service.route_table()).routes))

    open_read = await gw.client.get("/system/open/v1/x")
    open_write = await gw.client.post("/system/open/v1/x", json={})
    scoped_read = await gw.client.get("/system/scoped/v1/x")
    scoped_write = await gw.client.post("/system/scoped/v1/x", json={}, headers=tokens.write)

    assert (open_read.status_code, open_write.status_code) == (200, 200)
    assert scoped_read.status_code == 401
    assert scoped_write.status_code == 403
    assert scoped_write.json()["type"].endswith("/not-granted")
    assert a.hits == [("GET", "/x"), ("POST", "/x")]
