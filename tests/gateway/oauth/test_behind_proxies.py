"""The token endpoint at the edges: behind a trusted proxy the sign-in throttle counts each
client's own address, and two Authorization headers are refused before any secret is read."""

import base64
from ipaddress import ip_network
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from gateway.oauth import OAuthServer, OAuthSettings
from gateway.proxy import GatewayDataPath, ProxyMetrics, StaticTokens
from gateway.routes import RouteTableHolder
from strata.errors import PROBLEM_JSON
from strata.server import server_config
from strata.server_settings import ServerSettings
from tests.gateway.oauth.conftest import (
    ISSUER,
    Registered,
    build_app,
    oauth_settings,
)

PROXY = ("10.0.0.7", 41_000)
FORM = {"grant_type": "client_credentials"}


@pytest.fixture
def settings() -> OAuthSettings:
    # Room for many wrong passwords on one form, and a small throttle to reach quickly.
    return oauth_settings(
        login_max_attempts=20, throttle={"per_account": "3/min burst 3", "per_address": "50/min"}
    )


def behind_proxy(app: Any) -> httpx.AsyncClient:
    config = server_config(app, "127.0.0.1", 0, ServerSettings(), (ip_network("10.0.0.0/24"),))
    config.load()
    transport = httpx.ASGITransport(app=config.loaded_app, client=PROXY)
    return httpx.AsyncClient(transport=transport, base_url=ISSUER)


async def test_behind_a_trusted_proxy_an_attacker_does_not_lock_out_the_owner(
    oauth: OAuthServer, partner: Registered
) -> None:
    wrong = (partner.id, "nope")
    async with behind_proxy(build_app(oauth)) as client:
        attacker = {"X-Forwarded-For": "198.51.100.7"}
        for _ in range(3):
            refused = await client.post("/oauth/token", data=FORM, auth=wrong, headers=attacker)
            assert refused.status_code == 401
        throttled = await client.post("/oauth/token", data=FORM, auth=wrong, headers=attacker)
        owner = await client.post(
            "/oauth/token",
            data=FORM,
            auth=(partner.id, partner.secret),
            headers={"X-Forwarded-For": "203.0.113.9"},
        )

    assert throttled.status_code == 429
    assert owner.status_code == 200, owner.text


async def test_two_authorization_headers_are_refused_at_the_token_endpoint(
    oauth: OAuthServer, partner: Registered
) -> None:
    app: FastAPI = build_app(oauth)
    data_path = GatewayDataPath(
        RouteTableHolder(),
        app,
        authenticate=StaticTokens({}),
        metrics=ProxyMetrics(CollectorRegistry()),
    )
    basic = "Basic " + base64.b64encode(f"{partner.id}:{partner.secret}".encode()).decode()
    transport = httpx.ASGITransport(app=data_path)
    async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as client:
        one = await client.post("/oauth/token", data=FORM, headers={"Authorization": basic})
        two = await client.post(
            "/oauth/token",
            data=FORM,
            headers=[("Authorization", basic), ("Authorization", "Basic b3RoZXI6c2VjcmV0")],
        )

    assert one.status_code == 200, one.text
    assert two.status_code == 400
    assert two.headers["content-type"] == PROBLEM_JSON
    assert two.json()["type"].endswith("/duplicate-authorization")
