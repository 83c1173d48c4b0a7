"""The gateway's own endpoints a browser app calls cross-origin (token, revoke, metadata,
JWKS) and the built-in APIs serve the origins of ``STRATA_CORS__ORIGINS``; the authorization
page and the admin API never answer with CORS headers; without the setting no endpoint does."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from strata.app import Strata, create_strata
from strata.db import Database
from strata.errors import PROBLEM_JSON
from strata.http import in_process
from strata.settings import load_settings

ISSUER = "http://127.0.0.1:8000"
APP_ORIGIN = "http://127.0.0.1:5173"
OTHER_ORIGIN = "https://evil.example"
CROSS_ORIGIN_ENDPOINTS = [
    "/oauth/token",
    "/oauth/revoke",
    "/.well-known/oauth-authorization-server",
    "/.well-known/jwks.json",
]
GatewayFactory = Callable[..., Any]


def preflight(origin: str, method: str = "POST") -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "content-type",
    }


def cors_headers(response: httpx.Response) -> list[str]:
    return [name for name in response.headers if name.startswith("access-control-")]


@asynccontextmanager
async def serving(database: Database, origins: list[str]) -> AsyncIterator[tuple[Strata, Any]]:
    settings = load_settings(
        redis_url=None,
        seed_demo_data=False,
        cors={"origins": origins},
        oauth={
            "issuer": ISSUER,
            "secret_key": "DwfpDpUEd9TY-97Y_iVNZs-9hGqS3CwQAao6UUalI6Q",
            "password_hash_time_cost": 1,
            "password_hash_memory_kib": 64,
        },
    )
    strata = create_strata(settings, database)
    await strata.start()
    try:
        transport = in_process(strata.gateway.data_path)
        async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as http:
            yield strata, http
    finally:
        await strata.stop()


@pytest.fixture
async def gateway(database: Database) -> AsyncIterator[tuple[Strata, Any]]:
    async with serving(database, [APP_ORIGIN]) as served:
        yield served


@pytest.mark.parametrize("path", CROSS_ORIGIN_ENDPOINTS)
async def test_the_endpoints_answer_a_preflight_from_an_allowed_origin(gateway: Any, path: str):
    _, http = gateway

    answer = await http.options(path, headers=preflight(APP_ORIGIN))

    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == APP_ORIGIN
    assert "POST" in answer.headers["access-control-allow-methods"]
    assert "content-type" in answer.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in answer.headers


@pytest.mark.parametrize("path", CROSS_ORIGIN_ENDPOINTS)
async def test_a_preflight_from_another_origin_is_403_without_cors_headers(gateway: Any, path: str):
    _, http = gateway

    answer = await http.options(path, headers=preflight(OTHER_ORIGIN))

    assert answer.status_code == 403
    assert answer.headers["content-type"] == PROBLEM_JSON
    assert cors_headers(answer) == []


async def test_a_token_answer_and_the_jwks_carry_the_headers(gateway: Any):
    strata, http = gateway
    client, secret = await strata.gateway.oauth.create_client("spa-test", "crm:read")
    assert secret is not None

    issued = await http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "crm:read"},
        auth=(client.id, secret),
        headers={"Origin": APP_ORIGIN},
    )
    refused = await http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client.id, "wrong"),
        headers={"Origin": APP_ORIGIN},
    )
    keys = await http.get("/.well-known/jwks.json", headers={"Origin": APP_ORIGIN})
    elsewhere = await http.get("/.well-known/jwks.json", headers={"Origin": OTHER_ORIGIN})

    assert issued.status_code == 200, issued.text
    assert issued.headers["access-control-allow-origin"] == APP_ORIGIN
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == APP_ORIGIN
    assert "www-authenticate" in refused.headers["access-control-expose-headers"].lower()
    assert keys.headers["access-control-allow-origin"] == APP_ORIGIN
    # Starlette names the exposed headers to every origin; without Allow-Origin that opens
    # nothing.
    assert elsewhere.status_code == 200
    assert "access-control-allow-origin" not in elsewhere.headers


@pytest.mark.parametrize("path", ["/oauth/authorize", "/admin/apis", "/admin/clients"])
async def test_the_authorization_page_and_the_admin_api_never_answer_cross_origin(
    gateway: Any, path: str
):
    _, http = gateway

    ask = await http.options(path, headers=preflight(APP_ORIGIN, "GET"))
    get = await http.get(path, headers={"Origin": APP_ORIGIN})

    assert cors_headers(ask) == [] and ask.status_code != 200
    assert cors_headers(get) == []


async def test_the_built_in_apis_serve_the_configured_origins(gateway: Any):
    strata, http = gateway

    ask = await http.options(
        "/system/crm/v1/customers",
        headers={**preflight(APP_ORIGIN, "GET"), "Access-Control-Request-Headers": "authorization"},
    )
    anonymous = await http.get("/system/crm/v1/customers", headers={"Origin": APP_ORIGIN})

    assert ask.status_code == 204
    assert ask.headers["access-control-allow-origin"] == APP_ORIGIN
    assert anonymous.status_code == 401
    assert anonymous.headers["access-control-allow-origin"] == APP_ORIGIN
    route = strata.gateway.routes.current.get("crm")
    assert route is not None and route.cors_origins == (APP_ORIGIN,)


async def test_without_the_setting_no_endpoint_answers_cross_origin(database: Database):
    async with serving(database, []) as (_, http):
        token = await http.options("/oauth/token", headers=preflight(APP_ORIGIN))
        keys = await http.get("/.well-known/jwks.json", headers={"Origin": APP_ORIGIN})
        api = await http.options("/system/crm/v1/customers", headers=preflight(APP_ORIGIN, "GET"))

    assert token.status_code == 403 and cors_headers(token) == []
    assert keys.status_code == 200 and "access-control-allow-origin" not in keys.headers
    assert api.status_code == 403 and cors_headers(api) == []
