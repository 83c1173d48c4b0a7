"""What a registered API's upstream receives: stored with its secret encrypted, shown without
it, decrypted into the route table; bad settings are 422 naming the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from sqlalchemy import select

from gateway.registry.cli import describe_problem, register_from_cli
from gateway.registry.documents import DocumentLoader
from gateway.registry.models import ApiRecord
from gateway.registry.schemas import ApiUpdate
from gateway.registry.service import RegistryService
from gateway.registry.upstream_auth import UpstreamSecrets
from gateway.routes import NO_UPSTREAM_AUTH, ApiRoute, UpstreamAuth
from strata.db import Database
from strata.errors import PROBLEM_JSON, Problem
from tests.conftest import asgi_client
from tests.gateway.registry.test_router import admin_app

KEY = "sk_live_the-upstreams-own-key-42"
TARGET = "http://127.0.0.1:9/api"


@pytest.fixture
def secrets() -> UpstreamSecrets:
    return UpstreamSecrets.from_secret(b"registry test secret, long enough")


@pytest.fixture
def sealing_service(
    database: Database, fetch_transport: httpx.AsyncBaseTransport, secrets: UpstreamSecrets
) -> RegistryService:
    return RegistryService(database, DocumentLoader(fetch_transport), secrets=secrets)


@pytest.fixture
async def admin(sealing_service: RegistryService) -> Any:
    async with asgi_client(admin_app(sealing_service)) as client:
        client.headers["Authorization"] = "Bearer admin"
        yield client


def api_key(value: str = KEY, header: str = "X-API-Key") -> dict[str, str]:
    return {"mode": "api_key", "header": header, "value": value}


async def route_of(service: RegistryService, name: str = "orders") -> ApiRoute:
    route = (await service.route_table()).get(name)
    assert route is not None
    return route


async def stored_row(database: Database, name: str = "orders") -> ApiRecord:
    async with database.session() as session:
        record = await session.scalar(select(ApiRecord).where(ApiRecord.name == name))
        assert record is not None
        return record


async def test_an_api_key_is_stored_encrypted_and_routed_decrypted(
    sealing_service: RegistryService, database: Database, make_registration: Any
):
    with structlog.testing.capture_logs() as logs:
        api = await sealing_service.register(
            make_registration(targets=[TARGET], upstream_auth=api_key())
        )

    row = await stored_row(database)
    assert row.upstream_auth == {"mode": "api_key", "header": "X-API-Key"}
    assert row.upstream_secret_encrypted is not None
    assert KEY.encode() not in row.upstream_secret_encrypted
    assert api.upstream_auth == UpstreamAuth("api_key", "X-API-Key")  # no secret in the domain
    assert (await route_of(sealing_service)).upstream_auth == UpstreamAuth(
        "api_key", "X-API-Key", secret=KEY
    )
    assert KEY not in repr(await route_of(sealing_service))
    assert KEY not in repr(logs)


async def test_the_default_is_nothing_and_identity_has_no_secret(
    sealing_service: RegistryService, database: Database, make_registration: Any
):
    await sealing_service.register(make_registration(targets=[TARGET]))
    await sealing_service.register(
        make_registration("billing", targets=[TARGET], upstream_auth={"mode": "identity"})
    )

    assert (await stored_row(database)).upstream_auth == {"mode": "none"}
    assert (await route_of(sealing_service)).upstream_auth == NO_UPSTREAM_AUTH
    billing = await stored_row(database, "billing")
    assert billing.upstream_auth == {"mode": "identity"}
    assert billing.upstream_secret_encrypted is None
    assert (await route_of(sealing_service, "billing")).upstream_auth == UpstreamAuth("identity")


async def test_a_change_replaces_the_setting_and_its_secret(
    sealing_service: RegistryService, database: Database, make_registration: Any
):
    await sealing_service.register(make_registration(targets=[TARGET], upstream_auth=api_key()))

    rotated = ApiUpdate.model_validate({"upstream_auth": api_key("new-key", "Api-Token")})
    await sealing_service.update("orders", rotated)
    assert (await route_of(sealing_service)).upstream_auth.secret == "new-key"
    assert (await route_of(sealing_service)).upstream_auth.header == "Api-Token"

    await sealing_service.update(
        "orders", ApiUpdate.model_validate({"upstream_auth": {"mode": "none"}})
    )
    row = await stored_row(database)
    assert row.upstream_auth == {"mode": "none"} and row.upstream_secret_encrypted is None
    assert (await route_of(sealing_service)).upstream_auth == NO_UPSTREAM_AUTH


async def test_a_secret_copied_onto_another_api_does_not_open(
    sealing_service: RegistryService, database: Database, make_registration: Any
):
    await sealing_service.register(make_registration(targets=[TARGET], upstream_auth=api_key()))
    await sealing_service.register(
        make_registration("billing", targets=[TARGET], upstream_auth=api_key("billing-key"))
    )
    stolen = (await stored_row(database)).upstream_secret_encrypted
    async with database.session() as session:
        billing = await session.scalar(select(ApiRecord).where(ApiRecord.name == "billing"))
        assert billing is not None
        billing.upstream_secret_encrypted = stolen

    route = await route_of(sealing_service, "billing")
    assert route.upstream_auth.unreadable and route.upstream_auth.secret is None


async def test_another_secret_key_leaves_the_route_unreadable_not_broken(
    sealing_service: RegistryService, database: Database, make_registration: Any
):
    await sealing_service.register(make_registration(targets=[TARGET], upstream_auth=api_key()))
    elsewhere = RegistryService(
        database, secrets=UpstreamSecrets.from_secret(b"some other secret key, long enough")
    )

    route = await route_of(elsewhere)
    assert route.upstream_auth.unreadable and route.upstream_auth.secret is None
    # A registry that holds no key at all reads it as unreadable too.
    assert (await route_of(RegistryService(database))).upstream_auth.unreadable


async def test_a_registry_without_a_key_refuses_to_store_a_secret(
    database: Database, make_registration: Any
):
    with pytest.raises(Problem) as refused:
        await RegistryService(database).register(
            make_registration(targets=[TARGET], upstream_auth=api_key())
        )

    assert refused.value.status == 422
    assert refused.value.extensions["errors"][0]["field"] == "upstream_auth"
    assert await RegistryService(database).list() == []


# --- the admin API ------------------------------------------------------------------------


def registration_body(make_document: Any, **fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "orders",
        "layer": "process",
        "version": 1,
        "targets": [TARGET],
        "read_scope": "orders:read",
        "openapi": make_document(),
    }
    values.update(fields)
    return values


async def test_the_admin_api_never_answers_the_key(admin: httpx.AsyncClient, make_document: Any):
    created = await admin.post(
        "/admin/apis", json=registration_body(make_document, upstream_auth=api_key())
    )

    assert created.status_code == 201, created.text
    assert created.json()["upstream_auth"] == {"mode": "api_key", "header": "X-API-Key"}
    for answer in (created, await admin.get("/admin/apis"), await admin.get("/admin/apis/orders")):
        assert KEY not in answer.text
    patched = await admin.patch("/admin/apis/orders", json={"upstream_auth": api_key("k2")})
    assert patched.status_code == 200 and "k2" not in patched.text


async def test_the_admin_api_shows_identity_and_none(admin: httpx.AsyncClient, make_document: Any):
    plain = await admin.post("/admin/apis", json=registration_body(make_document))
    asserted = await admin.post(
        "/admin/apis",
        json=registration_body(make_document, name="billing", upstream_auth={"mode": "identity"}),
    )

    assert plain.json()["upstream_auth"] == {"mode": "none", "header": None}
    assert asserted.json()["upstream_auth"] == {"mode": "identity", "header": "Strata-Identity"}


@pytest.mark.parametrize(
    ("upstream_auth", "field"),
    [
        (api_key(header="X API Key"), "upstream_auth.api_key.header"),
        (api_key(header="X-API-Key:"), "upstream_auth.api_key.header"),
        (api_key(header="Host"), "upstream_auth.api_key.header"),
        (api_key(header="Strata-Identity"), "upstream_auth.api_key.header"),
        (api_key(header="Proxy-Authorization"), "upstream_auth.api_key.header"),
        (api_key(value="line\r\nX-Injected: 1"), "upstream_auth.api_key.value"),
        (api_key(value=""), "upstream_auth.api_key.value"),
        ({"mode": "api_key"}, "upstream_auth.api_key.value"),
        ({"mode": "identity", "value": "x"}, "upstream_auth.identity.value"),
        ({"mode": "basic"}, "upstream_auth"),
        (None, "upstream_auth"),
    ],
)
async def test_a_bad_setting_is_422_naming_the_field(
    admin: httpx.AsyncClient, make_document: Any, upstream_auth: Any, field: str
):
    answer = await admin.post(
        "/admin/apis", json=registration_body(make_document, upstream_auth=upstream_auth)
    )

    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == PROBLEM_JSON
    assert field in [error["field"] for error in answer.json()["errors"]]
    assert KEY not in answer.text


async def test_a_patch_cannot_null_the_setting(admin: httpx.AsyncClient, make_document: Any):
    await admin.post("/admin/apis", json=registration_body(make_document, upstream_auth=api_key()))

    answer = await admin.patch("/admin/apis/orders", json={"upstream_auth": None})

    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "upstream_auth"


# --- the command line ---------------------------------------------------------------------


def cli_arguments(tmp_path: Path, make_document: Any, **overrides: Any) -> dict[str, Any]:
    path = tmp_path / "billing.json"
    path.write_text(json.dumps(make_document("Billing")))
    values: dict[str, Any] = {
        "name": "billing",
        "layer": "system",
        "version": 1,
        "targets": [TARGET],
        "read_scope": "billing:read",
        "openapi": str(path),
    }
    values.update(overrides)
    return values


async def test_the_command_line_registers_an_api_key_encrypted(
    database: Database, tmp_path: Path, make_document: Any, secrets: UpstreamSecrets
):
    await register_from_cli(
        database,
        **cli_arguments(tmp_path, make_document),
        upstream_auth="api_key",
        upstream_header="Api-Key",
        upstream_key=KEY,
        secrets=secrets,
    )

    row = await stored_row(database, "billing")
    assert row.upstream_auth == {"mode": "api_key", "header": "Api-Key"}
    routed = (await RegistryService(database, secrets=secrets).route_table()).get("billing")
    assert routed is not None and routed.upstream_auth.secret == KEY


async def test_the_command_line_needs_the_key_for_api_key(
    database: Database, tmp_path: Path, make_document: Any, secrets: UpstreamSecrets
):
    with pytest.raises(Problem) as refused:
        await register_from_cli(
            database,
            **cli_arguments(tmp_path, make_document),
            upstream_auth="api_key",
            secrets=secrets,
        )

    assert "upstream_auth.api_key.value" in describe_problem(refused.value)
    assert await RegistryService(database).list() == []
