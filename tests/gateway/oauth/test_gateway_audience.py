"""Real tokens through the gateway's data path: a token asked for one API does not open
another that takes the same scope."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry
from starlette.responses import JSONResponse

from gateway.app import token_checker
from gateway.oauth import OAuthServer
from gateway.proxy import GatewayDataPath, ProxyMetrics, ProxySettings
from gateway.routes import ApiRoute, RouteTable, RouteTableHolder
from tests.gateway.oauth.conftest import CRM, ISSUER, ROUTES, Flows, Registered

# A second API registered with the CRM's read scope.
MIRROR_ROUTE = ApiRoute("mirror", "system", 1, ("inproc://system/mirror",), read_scope="crm:read")
MIRROR = f"{ISSUER}/system/mirror/v1"


async def _api(scope: Any, receive: Any, send: Any) -> None:
    await JSONResponse({"api": scope["root_path"]})(scope, receive, send)


async def _fallback(scope: Any, receive: Any, send: Any) -> None:
    await JSONResponse({}, status_code=404)(scope, receive, send)


@pytest.fixture
async def through_gateway(oauth: OAuthServer) -> AsyncIterator[httpx.AsyncClient]:
    routes = [ROUTES[0], MIRROR_ROUTE]
    oauth.vocabulary.learn_api_scopes([*ROUTES, MIRROR_ROUTE])
    data_path = GatewayDataPath(
        RouteTableHolder(RouteTable.of(routes)),
        _fallback,
        authenticate=token_checker(oauth.verifier),
        metrics=ProxyMetrics(CollectorRegistry()),
        inproc_apps={target: _api for route in routes for target in route.targets},
        settings=ProxySettings(base_url=ISSUER),
    )
    transport = httpx.ASGITransport(app=data_path)
    async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as client:
        yield client
    await data_path.aclose()


async def _statuses(client: httpx.AsyncClient, token: dict[str, Any]) -> tuple[int, int]:
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    crm = await client.get("/system/crm/v1/customers", headers=headers)
    mirror = await client.get("/system/mirror/v1/customers", headers=headers)
    if mirror.status_code == 401:
        assert "another audience" in mirror.headers["www-authenticate"]
    return crm.status_code, mirror.status_code


async def test_a_token_for_the_crm_is_refused_by_another_api_with_the_same_scope(
    through_gateway: httpx.AsyncClient, flows: Flows, partner: Registered
) -> None:
    for_crm = await flows.client_credentials_for(partner, resource=[CRM], scope="crm:read")
    assert await _statuses(through_gateway, for_crm) == (200, 401)


async def test_without_resource_the_token_opens_every_api_of_its_scope(
    through_gateway: httpx.AsyncClient, flows: Flows, partner: Registered
) -> None:
    token = await flows.client_credentials(partner, scope="crm:read")
    assert await _statuses(through_gateway, token) == (200, 200)


async def test_a_token_for_the_other_api_only_is_refused_by_the_crm(
    through_gateway: httpx.AsyncClient, flows: Flows, partner: Registered
) -> None:
    token = await flows.client_credentials_for(partner, resource=[MIRROR])
    assert token["scope"] == "crm:read"
    crm, mirror = await _statuses(through_gateway, token)
    assert (crm, mirror) == (401, 200)
