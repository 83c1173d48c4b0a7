"""Built-in APIs: registered at every start, idempotently, also by processes racing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from gateway.registry.builtin import builtin_registration, ensure_builtins
from gateway.registry.schemas import ApiUpdate
from gateway.registry.service import RegistryService
from strata.db import Database
from strata.errors import Problem


def crm(make_registration: Any, make_document: Any, name: str = "crm", **fields: Any) -> Any:
    values = {
        "layer": "system",
        "targets": ["inproc://system/crm"],
        "read_scope": "crm:read",
        "write_scope": "crm:write",
        "openapi": make_document("CRM"),
    }
    values.update(fields)
    return make_registration(name, **values)


async def test_ensure_builtin_creates_then_is_idempotent(
    service: RegistryService, make_registration: Any, make_document: Any
):
    first = await service.ensure_builtin(crm(make_registration, make_document))
    assert first.builtin and first.revision == 1

    again = await service.ensure_builtin(crm(make_registration, make_document))
    assert again.revision == 1 and again.created_at == first.created_at
    assert await service.revision() == 1


async def test_ensure_builtin_updates_in_place(
    service: RegistryService, make_registration: Any, make_document: Any
):
    first = await service.ensure_builtin(crm(make_registration, make_document))
    changed = await service.ensure_builtin(
        crm(make_registration, make_document, openapi=make_document("CRM 2"), version=2)
    )
    assert changed.revision == 2 and changed.version == 2 and changed.title == "CRM 2"
    assert changed.created_at == first.created_at
    assert len(await service.list()) == 1


async def test_ensure_builtin_takes_over_a_registered_name(
    service: RegistryService, make_registration: Any, make_document: Any
):
    await service.register(make_registration("crm", layer="system"))
    api = await service.ensure_builtin(crm(make_registration, make_document))
    assert api.builtin and api.targets == ("inproc://system/crm",)


async def test_builtin_apis_are_read_only_through_the_admin_paths(
    service: RegistryService, make_registration: Any, make_document: Any
):
    await service.ensure_builtin(crm(make_registration, make_document))
    with pytest.raises(Problem) as caught:
        await service.update("crm", ApiUpdate(retries=0))
    assert caught.value.status == 409
    with pytest.raises(Problem) as caught:
        await service.delete("crm")
    assert caught.value.status == 409
    assert (await service.get("crm")).retries == 1


async def test_ensure_builtin_refuses_a_document_that_is_not_plain_json(
    service: RegistryService, make_registration: Any, make_document: Any
):
    # Built-in documents are Strata's own and validated in CI (tests/test_openapi_documents.py
    # and `strata openapi export --check`), not at every start; one that cannot even be
    # stored as JSON is still refused.
    broken = {**make_document(), "x-bad": float("nan")}
    with pytest.raises(Problem) as caught:
        await service.ensure_builtin(crm(make_registration, make_document, openapi=broken))
    assert caught.value.status == 422


@pytest.mark.parametrize("processes", [2, 6])
async def test_processes_starting_at_once_do_not_collide(
    database: Database, make_registration: Any, make_document: Any, processes: int
):
    # Each "process" has its own engine; on PostgreSQL they race for real.
    databases = [Database(database.url) for _ in range(processes)]
    try:
        services = [RegistryService(db) for db in databases]
        names = ("crm", "erp", "inventory")
        registrations = [
            crm(make_registration, make_document, name=name, targets=[f"inproc://system/{name}"])
            for name in names
        ]
        results = await asyncio.gather(
            *(
                service.ensure_builtin(registration)
                for service in services
                for registration in registrations
            )
        )
        assert {api.name for api in results} == set(names)
        listed = await services[0].list()
        assert [api.name for api in listed] == sorted(names)
        # Exactly one write per API, however many processes raced.
        assert await services[0].revision() == len(names)
    finally:
        for db in databases:
            await db.dispose()


class Customer(BaseModel):
    id: str
    email: str | None = None


def crm_app() -> FastAPI:
    app = FastAPI(title="CRM system API", description="Customers in the canonical model")

    @app.get("/customers/{customer_id}")
    async def customer(customer_id: str) -> Customer:
        return Customer(id=customer_id)

    @app.post("/customers", status_code=201)
    async def create(customer: Customer) -> Customer:
        return customer

    return app


async def test_builtin_registration_from_a_fastapi_app(service: RegistryService):
    registration = builtin_registration(
        crm_app(), name="crm", layer="system", read_scope="crm:read", write_scope="crm:write"
    )
    assert registration.targets == ["inproc://system/crm"]
    assert registration.description == "Customers in the canonical model"

    [api] = await ensure_builtins(service, [registration])
    assert api.builtin and api.title == "CRM system API"
    assert api.route().prefix == "/system/crm/v1"
    # Started again with the same app: nothing is written.
    await ensure_builtins(
        service,
        [
            builtin_registration(
                crm_app(),
                name="crm",
                layer="system",
                read_scope="crm:read",
                write_scope="crm:write",
            )
        ],
    )
    assert await service.revision() == 1


def test_builtin_registration_refuses_bad_values():
    with pytest.raises(Problem) as caught:
        builtin_registration(crm_app(), name="CRM", layer="system")
    assert caught.value.status == 422 and caught.value.extensions["errors"][0]["field"] == "name"
