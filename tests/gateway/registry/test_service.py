"""The registry service: CRUD, revisions, validation of every field and of documents."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from gateway.registry.addresses import AddressPolicy
from gateway.registry.documents import DocumentLoader
from gateway.registry.schemas import ApiRegistration, ApiUpdate
from gateway.registry.service import RegistryService
from strata.db import Database
from strata.errors import Problem


def field_of(problem: Problem) -> str:
    return str(problem.extensions["errors"][0]["field"])


async def test_register_get_list_and_route(service: RegistryService, make_registration: Any):
    api = await service.register(make_registration("orders", description="Order flows"))

    assert api.prefix == "/process/orders/v1"
    assert api.revision == 1 and not api.builtin
    assert api.title == "Orders"
    fetched = await service.get("orders")
    assert fetched == api
    assert fetched.document["info"]["title"] == "Orders"
    assert [a.name for a in await service.list()] == ["orders"]
    table = await service.route_table()
    route, rest = table.match("/process/orders/v1/orders/42") or (None, "")
    assert route is not None and rest == "/orders/42"
    assert route.targets == ("http://orders.internal:8080/api",)
    assert route.scope_for("POST") == "orders:write"
    assert table.revision == await service.revision() == 1


async def test_every_change_bumps_the_registry_revision(
    service: RegistryService, make_registration: Any
):
    assert await service.revision() == 0
    await service.register(make_registration("orders"))
    await service.register(make_registration("crm", layer="system"))
    assert await service.revision() == 2

    updated = await service.update("orders", ApiUpdate(timeout_seconds=3.5))
    assert updated.revision == 3 and updated.timeout_seconds == 3.5
    assert (await service.get("crm")).revision == 2

    await service.delete("crm")
    assert await service.revision() == 4
    with pytest.raises(Problem) as caught:
        await service.get("crm")
    assert caught.value.status == 404


async def test_unchanged_update_does_not_bump(service: RegistryService, make_registration: Any):
    await service.register(make_registration("orders", retries=2))
    same = await service.update("orders", ApiUpdate(retries=2))
    assert same.revision == 1 and await service.revision() == 1


async def test_list_orders_by_layer_and_filters(service: RegistryService, make_registration: Any):
    await service.register(make_registration("web", layer="experience"))
    await service.register(make_registration("orders", layer="process"))
    await service.register(make_registration("erp", layer="system"))
    await service.register(make_registration("crm", layer="system"))

    assert [a.name for a in await service.list()] == ["crm", "erp", "orders", "web"]
    assert [a.name for a in await service.list("system")] == ["crm", "erp"]


async def test_duplicate_name_is_409(service: RegistryService, make_registration: Any):
    await service.register(make_registration("orders"))
    with pytest.raises(Problem) as caught:
        await service.register(make_registration("orders", layer="system", version=2))
    assert caught.value.status == 409
    assert caught.value.extensions["field"] == "name"
    assert len(await service.list()) == 1


async def test_concurrent_registrations_of_one_name(
    database: Database, make_registration: Any, addresses: AddressPolicy
):
    other = Database(database.url)
    try:
        services = [
            RegistryService(database, addresses=addresses),
            RegistryService(other, addresses=addresses),
        ]
        results = await asyncio.gather(
            *(s.register(make_registration("orders")) for s in services), return_exceptions=True
        )
        errors = [r for r in results if isinstance(r, Exception)]
        assert len(errors) == 1
        assert isinstance(errors[0], Problem) and errors[0].status == 409
        assert [a.name for a in await services[0].list()] == ["orders"]
    finally:
        await other.dispose()


async def test_partial_update_changes_only_given_fields(
    service: RegistryService, make_registration: Any
):
    await service.register(make_registration("orders", rate_tier="premium"))
    changes = ApiUpdate.model_validate(
        {"targets": ["https://a.internal", "http://10.0.0.7:8080"], "rate_tier": None}
    )
    api = await service.update("orders", changes)

    assert api.targets == ("https://a.internal", "http://10.0.0.7:8080")
    assert api.rate_tier is None
    assert api.read_scope == "orders:read" and api.layer == "process"
    assert api.updated_at >= api.created_at


async def test_update_moves_the_route(service: RegistryService, make_registration: Any):
    await service.register(make_registration("orders"))
    await service.update("orders", ApiUpdate(version=2, layer="experience"))
    table = await service.route_table()
    assert table.match("/process/orders/v1/x") is None
    assert table.match("/experience/orders/v2/x") is not None


async def test_update_with_stale_revision_is_412(service: RegistryService, make_registration: Any):
    await service.register(make_registration("orders"))
    await service.update("orders", ApiUpdate(retries=3), expected_revision=1)
    with pytest.raises(Problem) as caught:
        await service.update("orders", ApiUpdate(retries=0), expected_revision=1)
    assert caught.value.status == 412
    assert (await service.get("orders")).retries == 3
    with pytest.raises(Problem) as caught:
        await service.delete("orders", expected_revision=1)
    assert caught.value.status == 412


async def test_unknown_names_are_404(service: RegistryService):
    for call in (
        service.get("nope"),
        service.update("nope", ApiUpdate(retries=1)),
        service.delete("nope"),
    ):
        with pytest.raises(Problem) as caught:
            await call
        assert caught.value.status == 404


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": "Orders"}, "name", "lowercase slug"),
        ({"name": "orders_v2"}, "name", "lowercase slug"),
        ({"name": "-orders"}, "name", "lowercase slug"),
        ({"name": "a" * 64}, "name", "at most 63"),
        ({"layer": "backend"}, "layer", "'system', 'process' or 'experience'"),
        ({"version": 0}, "version", "greater than or equal to 1"),
        ({"version": "1"}, "version", "valid integer"),
        ({"targets": []}, "targets", "at least 1"),
        ({"targets": ["ftp://files.internal"]}, "targets.0", "scheme must be one of"),
        ({"targets": ["https://user:secret@a.internal"]}, "targets.0", "credentials"),
        ({"targets": ["http:///no-host"]}, "targets.0", "no host"),
        ({"targets": ["http://a.internal:99999"]}, "targets.0", "invalid port"),
        ({"targets": ["http://a.internal/x?debug=1"]}, "targets.0", "query string"),
        ({"targets": ["orders.internal"]}, "targets.0", "absolute URL"),
        ({"targets": ["http://a b.internal"]}, "targets.0", "spaces"),
        ({"targets": ["inproc://backend/crm"]}, "targets.0", "inproc://<layer>/<name>"),
        ({"targets": ["inproc://system/crm/extra"]}, "targets.0", "inproc://<layer>/<name>"),
        ({"targets": ["http://a.internal", "http://a.internal/"]}, "targets", "repeat"),
        ({"read_scope": "orders read"}, "read_scope", "scope token"),
        ({"timeout_seconds": 0}, "timeout_seconds", "greater than 0"),
        ({"timeout_seconds": 1e308}, "timeout_seconds", "less than or equal to 300"),
        ({"retries": -1}, "retries", "greater than or equal to 0"),
        ({"rate_tier": "Gold Plus"}, "rate_tier", "rate tier"),
        ({"openapi_url": "file:///etc/passwd", "openapi": None}, "openapi_url", "http or https"),
        ({"openapi": [1, 2]}, "openapi", "valid dictionary"),
        ({"builtin": True}, "builtin", "Extra inputs"),
    ],
)
def test_bad_registrations_name_the_field(
    make_registration: Any, fields: dict[str, Any], field: str, message: str
):
    with pytest.raises(ValidationError) as caught:
        make_registration(**fields)
    errors = caught.value.errors()
    assert ".".join(str(p) for p in errors[0]["loc"]) == field
    assert message in errors[0]["msg"]


def test_updates_cannot_null_required_fields():
    with pytest.raises(ValidationError) as caught:
        ApiUpdate.model_validate({"targets": None})
    assert caught.value.errors()[0]["loc"] == ("targets",)
    assert ApiUpdate.model_validate({"read_scope": None}).changes() == {"read_scope": None}
    with pytest.raises(ValidationError):
        ApiUpdate.model_validate({"name": "renamed"})


def test_targets_are_normalized(make_registration: Any):
    api = make_registration(targets=["HTTPS://a.internal:8443/base/", "inproc://system/crm/"])
    assert api.targets == ["https://a.internal:8443/base", "inproc://system/crm"]


async def test_document_is_required_and_one_source_only(
    service: RegistryService, make_registration: Any, make_document: Any
):
    with pytest.raises(Problem) as caught:
        await service.register(make_registration(openapi=None))
    assert caught.value.status == 422 and field_of(caught.value) == "openapi"
    both = make_registration(openapi=make_document(), openapi_url="http://docs/openapi.json")
    with pytest.raises(Problem) as caught:
        await service.register(both)
    assert field_of(caught.value) == "openapi"
    assert await service.list() == []


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"swagger": "2.0", "info": {}, "paths": {}}, "not an OpenAPI 3.x document (Swagger 2.0)"),
        ({"info": {"title": "x", "version": "1"}}, "no 'openapi' field"),
        ({"openapi": 3.1, "info": {}, "paths": {}}, "not an OpenAPI 3.x"),
        ({"openapi": "3.0.3", "info": {"title": "x"}, "paths": {}}, "'version' is a required"),
        (
            {
                "openapi": "3.1.0",
                "info": {"title": "x", "version": "1"},
                "paths": {"/a": {"get": {"responses": {"200": {"$ref": "file:///etc/passwd"}}}}},
            },
            "cannot resolve $ref 'file:///etc/passwd'",
        ),
        (
            {
                "openapi": "3.1.0",
                "info": {"title": "x", "version": "1"},
                "paths": {"/a": {"get": {"responses": {"200": {"$ref": "#/nowhere"}}}}},
            },
            "$ref '#/nowhere' points to nothing",
        ),
        ({"openapi": "3.0.3", "info": {"title": "x", "version": float("nan")}}, "not plain JSON"),
    ],
)
async def test_invalid_inline_documents_are_422(
    service: RegistryService, make_registration: Any, document: dict[str, Any], message: str
):
    with pytest.raises(Problem) as caught:
        await service.register(make_registration(openapi=document))
    problem = caught.value
    assert problem.status == 422 and field_of(problem) == "openapi"
    assert message in (problem.detail or "")
    assert await service.revision() == 0


async def test_oversized_inline_document_is_422(service: RegistryService, make_registration: Any):
    document = {
        "openapi": "3.1.0",
        "info": {"title": "x", "version": "1", "description": "y" * 30_000},
        "paths": {},
    }
    with pytest.raises(Problem) as caught:
        await service.register(make_registration(openapi=document))
    assert "larger than 20000 bytes" in (caught.value.detail or "")


async def test_document_fetched_from_url(service: RegistryService, make_registration: Any):
    api = await service.register(
        make_registration(openapi=None, openapi_url="http://docs.internal/openapi.json")
    )
    assert api.openapi_url == "http://docs.internal/openapi.json"
    assert api.title == "Fetched"

    # Giving the URL again fetches it anew; a new inline document forgets the URL.
    changed = await service.update("orders", ApiUpdate(openapi_url="http://docs.internal/v2.json"))
    assert changed.title == "Fetched again" and changed.revision == 2
    inline = await service.update("orders", ApiUpdate.model_validate({"openapi": api.document}))
    assert inline.openapi_url is None and inline.title == "Fetched"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/missing.json", "answered HTTP 404 instead of the document"),
        ("/html", "did not return a JSON document"),
        ("/list.json", "JSON that is not an object"),
        ("/huge.json", "returned more than 20000 bytes"),
        ("/swagger.json", "not an OpenAPI 3.x document (Swagger 2.0)"),
        ("/invalid.json", "'version' is a required property"),
    ],
)
async def test_bad_document_urls_are_422(
    service: RegistryService, make_registration: Any, path: str, message: str
):
    url = f"http://docs.internal{path}"
    with pytest.raises(Problem) as caught:
        await service.register(make_registration(openapi=None, openapi_url=url))
    assert caught.value.status == 422 and field_of(caught.value) == "openapi_url"
    assert message in (caught.value.detail or "")
    assert await service.list() == []


async def test_unreachable_document_url_is_422(
    database: Database, make_registration: Any, addresses: AddressPolicy
):
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    loader = DocumentLoader(httpx.MockTransport(refuse))
    service = RegistryService(database, loader, addresses=addresses)
    with pytest.raises(Problem) as caught:
        await service.register(
            make_registration(openapi=None, openapi_url="http://gone.internal/openapi.json")
        )
    assert caught.value.status == 422 and field_of(caught.value) == "openapi_url"
    detail = caught.value.detail or ""
    assert "http://gone.internal/openapi.json is unreachable" in detail
    assert "connection refused" not in detail  # the same words as for a silent port


async def test_slow_document_url_times_out(
    database: Database, make_registration: Any, addresses: AddressPolicy
):
    async def stall(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200, json={})

    loader = DocumentLoader(httpx.MockTransport(stall), timeout_seconds=0.2)
    service = RegistryService(database, loader, addresses=addresses)
    with pytest.raises(Problem) as caught:
        await service.register(
            make_registration(openapi=None, openapi_url="http://slow.internal/openapi.json")
        )
    assert "no answer came back within 0.2 seconds" in (caught.value.detail or "")


def test_registration_model_rejects_wrong_types():
    with pytest.raises(ValidationError) as caught:
        ApiRegistration.model_validate(
            {"name": 5, "layer": "system", "version": 1, "targets": "http://a"}
        )
    fields = {error["loc"][0] for error in caught.value.errors()}
    assert {"name", "targets"} <= fields


# --- access: public, or scoped; never neither ------------------------------------------------


async def test_a_registration_without_scopes_is_refused_unless_public(
    service: RegistryService, make_registration: Any
):
    with pytest.raises(Problem) as caught:
        await service.register(make_registration(read_scope=None, write_scope=None))
    assert caught.value.status == 422 and field_of(caught.value) == "read_scope"
    assert "public: true" in (caught.value.detail or "")

    api = await service.register(make_registration(read_scope=None, write_scope=None, public=True))
    route = (await service.route_table()).get("orders")
    assert api.public and route is not None and route.public


async def test_a_public_api_takes_no_scopes(service: RegistryService, make_registration: Any):
    with pytest.raises(Problem) as caught:
        await service.register(make_registration(write_scope=None, public=True))
    assert caught.value.status == 422 and field_of(caught.value) == "public"
    assert "either open to anyone" in (caught.value.detail or "")
    assert await service.list() == []


async def test_one_scope_is_enough(service: RegistryService, make_registration: Any):
    api = await service.register(make_registration(write_scope=None))
    assert (api.read_scope, api.write_scope, api.public) == ("orders:read", None, False)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"read_scope": None, "write_scope": None}, "read_scope"),
        ({"public": True}, "public"),
        ({"public": True, "read_scope": None}, "public"),
    ],
)
async def test_an_update_keeps_the_rule_for_the_merged_api(
    service: RegistryService, make_registration: Any, changes: dict[str, Any], field: str
):
    await service.register(make_registration())
    with pytest.raises(Problem) as caught:
        await service.update("orders", ApiUpdate.model_validate(changes))
    assert caught.value.status == 422 and field_of(caught.value) == field
    assert (await service.get("orders")).read_scope == "orders:read"


async def test_an_update_may_open_or_close_an_api(service: RegistryService, make_registration: Any):
    await service.register(make_registration())
    opened = await service.update(
        "orders",
        ApiUpdate.model_validate({"public": True, "read_scope": None, "write_scope": None}),
    )
    assert opened.public and opened.read_scope is None
    with pytest.raises(Problem) as caught:
        await service.update("orders", ApiUpdate(public=False))
    assert field_of(caught.value) == "read_scope"
    closed = await service.update("orders", ApiUpdate(public=False, read_scope="orders:read"))
    route = (await service.route_table()).get("orders")
    assert not closed.public and route is not None and not route.public


def test_public_cannot_be_null():
    with pytest.raises(ValidationError) as caught:
        ApiUpdate.model_validate({"public": None})
    assert caught.value.errors()[0]["loc"] == ("public",)


# --- inproc:// is for the built-in APIs ------------------------------------------------------


async def test_inproc_targets_are_refused_for_registrations_and_updates(
    service: RegistryService, make_registration: Any
):
    exposed = make_registration("crm-again", layer="system", targets=["inproc://system/crm"])
    with pytest.raises(Problem) as caught:
        await service.register(exposed)
    assert caught.value.status == 422 and field_of(caught.value) == "targets.0"
    assert "built-in APIs only" in (caught.value.detail or "")

    await service.register(make_registration())
    moved = ApiUpdate(targets=["http://orders.internal:8080", "inproc://process/orders"])
    with pytest.raises(Problem) as caught:
        await service.update("orders", moved)
    assert field_of(caught.value) == "targets.1"
    assert (await service.get("orders")).targets == ("http://orders.internal:8080/api",)
