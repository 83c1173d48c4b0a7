"""The catalog: listing, documents aimed at the gateway with OAuth2, and offline docs pages."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from openapi_spec_validator import validate

from gateway.catalog.documents import NOT_GRANTED, OAuthEndpoints
from gateway.catalog.router import create_catalog_router
from gateway.catalog.swagger import create_gateway_docs_router
from gateway.registry.schemas import ApiRegistration
from gateway.registry.service import RegistryService
from strata.db import Database
from strata.errors import PROBLEM_JSON, Problem, install_problem_handlers
from tests.conftest import asgi_client


def document(title: str) -> dict[str, Any]:
    ok = {"200": {"description": "OK"}}
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": "1.0.0"},
        "servers": [{"url": "http://upstream.internal"}],
        "paths": {
            "/customers/{id}": {
                "servers": [{"url": "http://bypass.internal"}],
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "get": {"responses": ok},
                "patch": {"responses": ok, "servers": [{"url": "http://bypass.internal"}]},
            }
        },
        "components": {"securitySchemes": {"upstream": {"type": "http", "scheme": "bearer"}}},
    }


APIS = [
    ("crm", "system", "CRM", "crm:read", "crm:write"),
    ("erp", "system", "ERP", "erp:read", None),
    ("orders", "process", "Orders", "orders:read", "orders:write"),
    ("web", "experience", "Web </script><script>alert(1)</script>", None, None),
]
PUBLIC = {"web"}


@pytest.fixture
async def service(database: Database) -> RegistryService:
    service = RegistryService(database)
    for name, layer, title, read, write in APIS:
        registration = ApiRegistration.model_validate(
            {
                "name": name,
                "layer": layer,
                "version": 2 if name == "orders" else 1,
                "description": f"The {title} API",
                "targets": [f"http://10.0.0.1:8080/{name}"],
                "read_scope": read,
                "write_scope": write,
                "public": name in PUBLIC,
                "openapi": document(title),
            }
        )
        await service.register(registration)
    return service


@pytest.fixture
async def client(service: RegistryService) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI(docs_url=None, redoc_url=None)
    install_problem_handlers(app)
    app.include_router(create_catalog_router(service, docs_client_id="strata-docs"))
    app.include_router(create_gateway_docs_router())
    async with asgi_client(app) as client:
        yield client


async def test_lists_every_api_in_layer_order(client: httpx.AsyncClient):
    response = await client.get("/apis")
    assert response.status_code == 200
    items = response.json()["items"]
    assert [item["name"] for item in items] == ["crm", "erp", "orders", "web"]
    orders = items[2]
    assert orders == {
        "name": "orders",
        "layer": "process",
        "version": 2,
        "title": "Orders",
        "description": "The Orders API",
        "path": "/process/orders/v2",
        "public": False,
        "scopes": {"read": "orders:read", "write": "orders:write"},
        "builtin": False,
        "links": {"docs": "/apis/orders/docs", "openapi": "/apis/orders/openapi.json"},
    }


async def test_filters_by_layer(client: httpx.AsyncClient):
    system = (await client.get("/apis", params={"layer": "system"})).json()["items"]
    assert [item["name"] for item in system] == ["crm", "erp"]
    wrong = await client.get("/apis", params={"layer": "backend"})
    assert wrong.status_code == 422 and wrong.headers["content-type"] == PROBLEM_JSON


async def test_openapi_goes_through_the_gateway(client: httpx.AsyncClient):
    response = await client.get("/apis/orders/openapi.json")
    assert response.status_code == 200
    served = response.json()

    assert served["servers"] == [
        {"url": "/process/orders/v2", "description": "Through the Strata gateway"}
    ]
    path_item = served["paths"]["/customers/{id}"]
    assert "servers" not in path_item and "servers" not in path_item["patch"]
    validate(served)  # still a valid OpenAPI document


async def test_openapi_has_the_oauth2_scheme_with_the_scopes(client: httpx.AsyncClient):
    served = (await client.get("/apis/orders/openapi.json")).json()
    schemes = served["components"]["securitySchemes"]
    assert "upstream" in schemes
    flows = schemes["strata_oauth2"]["flows"]
    assert flows["clientCredentials"]["tokenUrl"] == "/oauth/token"
    assert flows["authorizationCode"]["authorizationUrl"] == "/oauth/authorize"
    assert flows["authorizationCode"]["tokenUrl"] == "/oauth/token"
    assert set(flows["clientCredentials"]["scopes"]) == {"orders:read", "orders:write"}
    operations = served["paths"]["/customers/{id}"]
    assert operations["get"]["security"] == [{"strata_oauth2": ["orders:read"]}]
    assert operations["patch"]["security"] == [{"strata_oauth2": ["orders:write"]}]


async def test_an_api_without_a_write_scope_documents_its_writes_as_refused(
    client: httpx.AsyncClient,
):
    served = (await client.get("/apis/erp/openapi.json")).json()
    patch = served["paths"]["/customers/{id}"]["patch"]
    assert patch["description"] == NOT_GRANTED
    assert "description" not in served["paths"]["/customers/{id}"]["get"]
    flows = served["components"]["securitySchemes"]["strata_oauth2"]["flows"]
    assert list(flows["clientCredentials"]["scopes"]) == ["erp:read"]
    validate(served)


async def test_a_public_api_is_listed_and_documented_as_open(client: httpx.AsyncClient):
    items = {item["name"]: item for item in (await client.get("/apis")).json()["items"]}
    assert items["web"]["public"] is True
    assert items["web"]["scopes"] == {"read": None, "write": None}
    assert [name for name, item in items.items() if item["public"]] == ["web"]

    served = (await client.get("/apis/web/openapi.json")).json()
    assert served["security"] == []
    assert "strata_oauth2" not in served["components"]["securitySchemes"]
    operations = served["paths"]["/customers/{id}"]
    assert operations["get"]["security"] == operations["patch"]["security"] == []
    validate(served)

    page = (await client.get("/apis/web/docs")).text
    assert "Public API: anyone may call it, no token needed." in page
    assert json.loads(_config_block(page))["oauth"]["scopes"] == []


async def test_the_docs_page_says_which_scopes_each_kind_of_call_needs(
    client: httpx.AsyncClient,
):
    crm = (await client.get("/apis/crm/docs")).text
    assert "Reads need a token with crm:read; writes need a token with crm:write." in crm
    erp = (await client.get("/apis/erp/docs")).text
    assert "Reads need a token with erp:read; no token may make writes." in erp
    assert "Public API" not in crm + erp


async def test_the_stored_document_is_left_alone(
    client: httpx.AsyncClient, service: RegistryService
):
    await client.get("/apis/crm/openapi.json")
    stored = (await service.get("crm")).document
    assert stored["servers"] == [{"url": "http://upstream.internal"}]
    assert "strata_oauth2" not in stored["components"]["securitySchemes"]


async def test_unknown_api_is_a_404_problem(client: httpx.AsyncClient):
    for path in ("/apis/nope/openapi.json", "/apis/nope/docs"):
        response = await client.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"] == PROBLEM_JSON
        assert response.json()["detail"] == "API 'nope' does not exist"


async def test_docs_page_uses_only_local_assets(client: httpx.AsyncClient):
    response = await client.get("/apis/crm/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "CRM — Strata API docs" in page
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(source.startswith("/apis/_assets/") for source in sources)
    assert "http://" not in page and "https://" not in page
    for source in sources:
        asset = await client.get(source)
        assert asset.status_code == 200, source


async def test_docs_page_configures_oauth_with_pkce(client: httpx.AsyncClient):
    page = (await client.get("/apis/crm/docs")).text
    config = json.loads(_config_block(page))
    assert config["url"] == "/apis/crm/openapi.json"
    assert config["oauth2RedirectPath"] == "/apis/_assets/oauth2-redirect.html"
    assert config["oauth"]["usePkceWithAuthorizationCodeGrant"] is True
    assert config["oauth"]["clientId"] == "strata-docs"
    assert config["oauth"]["scopes"] == ["crm:read", "crm:write"]
    script = (await client.get("/apis/_assets/strata-docs.js")).text
    assert "initOAuth(config.oauth)" in script and "oauth2RedirectUrl" in script
    redirect = await client.get("/apis/_assets/oauth2-redirect.html")
    assert redirect.status_code == 200 and 'src="oauth2-redirect.js"' in redirect.text
    redirect_script = (await client.get("/apis/_assets/oauth2-redirect.js")).text
    assert "swaggerUIRedirectOauth2" in redirect_script


async def test_titles_cannot_break_out_of_the_page(client: httpx.AsyncClient):
    page = (await client.get("/apis/web/docs")).text
    assert "<script>alert(1)</script>" not in page
    assert page.count("<script") == 3  # the config block, the bundle, the starter


async def test_assets_are_served_with_types_and_caching(client: httpx.AsyncClient):
    bundle = await client.get("/apis/_assets/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and len(bundle.content) > 100_000
    assert bundle.headers["content-type"].startswith("text/javascript")
    assert "max-age" in bundle.headers["cache-control"]
    css = await client.get("/apis/_assets/swagger-ui.css")
    assert css.headers["content-type"].startswith("text/css")


@pytest.mark.parametrize(
    "path",
    [
        "/apis/_assets/swagger-editor-bundle.js",
        "/apis/_assets/..%2F__init__.py",
        "/apis/_assets/%2e%2e/swagger-ui.css",
        "/apis/_assets/LICENSE",
    ],
)
async def test_only_the_needed_assets_are_served(client: httpx.AsyncClient, path: str):
    response = await client.get(path)
    assert response.status_code == 404


async def test_gateway_docs_page(client: httpx.AsyncClient):
    page = (await client.get("/docs")).text
    config = json.loads(_config_block(page))
    assert config["url"] == "/openapi.json"
    assert "/apis/_assets/swagger-ui-bundle.js" in page


async def test_a_guard_protects_the_catalog_but_not_the_assets(service: RegistryService):
    def refuse() -> None:
        raise Problem(401, "Unauthorized", "a token is needed")

    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(create_catalog_router(service, guard=refuse))
    async with asgi_client(app) as client:
        for path in ("/apis", "/apis/crm/openapi.json", "/apis/crm/docs"):
            assert (await client.get(path)).status_code == 401
        assert (await client.get("/apis/_assets/swagger-ui.css")).status_code == 200


async def test_links_follow_the_root_path_and_custom_oauth(service: RegistryService):
    app = FastAPI()
    install_problem_handlers(app)
    endpoints = OAuthEndpoints(token_path="/auth/token", authorize_path="/auth/authorize")
    app.include_router(create_catalog_router(service, oauth=endpoints))
    transport = httpx.ASGITransport(app=app, root_path="/edge")
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        items = (await client.get("/edge/apis")).json()["items"]
        assert items[0]["links"]["docs"] == "/edge/apis/crm/docs"
        assert items[0]["path"] == "/edge/system/crm/v1"
        served = (await client.get("/edge/apis/crm/openapi.json")).json()
    assert served["servers"][0]["url"] == "/edge/system/crm/v1"
    flows = served["components"]["securitySchemes"]["strata_oauth2"]["flows"]
    assert flows["authorizationCode"]["authorizationUrl"] == "/edge/auth/authorize"


def _config_block(page: str) -> str:
    match = re.search(
        r'<script id="strata-docs-config" type="application/json">(.*?)</script>', page
    )
    assert match, "no config block"
    return match.group(1)
