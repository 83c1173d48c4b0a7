"""The data path refuses a token not issued for the route's API (its audience), whatever its
scopes, before it looks at them."""

from __future__ import annotations

import pytest

from gateway.proxy import Caller, ProxySettings, StaticTokens
from gateway.routes import ApiRoute, RouteTable

CRM = "http://127.0.0.1:8000/system/crm/v1"
ERP = "http://127.0.0.1:8000/system/erp/v1"
SCOPES = frozenset({"crm:read", "crm:write"})


def _tokens() -> StaticTokens:
    return StaticTokens(
        {
            "for-crm": Caller("svc", "batch", SCOPES, None, frozenset({CRM})),
            "for-both": Caller("svc", "batch", SCOPES, None, frozenset({ERP, CRM})),
            "for-erp": Caller("svc", "batch", SCOPES, None, frozenset({ERP})),
            "for-erp-no-scope": Caller("svc", "batch", frozenset(), None, frozenset({ERP})),
            "for-nothing": Caller("svc", "batch", SCOPES),
        }
    )


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_token_for_another_api_is_refused_before_its_scopes(upstreams, gateway, make_route):
    (a,) = await upstreams("a")
    gw = gateway([make_route(targets=[a.url])], authenticate=_tokens())

    answers = {
        token: await gw.client.get("/system/crm/v1/customers", headers=_bearer(token))
        for token in ("for-crm", "for-both", "for-erp", "for-erp-no-scope", "for-nothing")
    }

    assert answers["for-crm"].status_code == answers["for-both"].status_code == 200
    for token in ("for-erp", "for-erp-no-scope", "for-nothing"):
        refused = answers[token]
        assert refused.status_code == 401, token
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.headers["www-authenticate"] == (
            'Bearer error="invalid_token", '
            'error_description="the access token is meant for another audience"'
        )
        assert refused.json()["type"].endswith("/invalid-token")
    assert len(a.hits) == 2


async def test_each_route_has_its_own_audience(upstreams, gateway, make_route):
    (a,) = await upstreams("a")
    routes = [make_route(targets=[a.url]), make_route("erp", targets=[a.url])]
    gw = gateway(routes, authenticate=_tokens())

    crm = await gw.client.get("/system/crm/v1/x", headers=_bearer("for-crm"))
    erp = await gw.client.get("/system/erp/v1/x", headers=_bearer("for-crm"))

    assert (crm.status_code, erp.status_code) == (200, 401)
    assert gw.data_path.runtime("erp").audience == ERP


async def test_the_audience_follows_the_gateways_base_url(upstreams, gateway, make_route):
    (a,) = await upstreams("a")
    settings = ProxySettings(base_url="https://api.example.com/")
    gw = gateway([make_route(targets=[a.url])], authenticate=_tokens(), settings=settings)

    refused = await gw.client.get("/system/crm/v1/x", headers=_bearer("for-crm"))

    assert refused.status_code == 401
    assert gw.data_path.runtime("crm").audience == "https://api.example.com/system/crm/v1"


def test_the_base_url_must_be_an_http_url():
    with pytest.raises(ValueError, match="http"):
        ProxySettings(base_url="api.example.com")


async def test_a_route_table_change_keeps_the_audience_per_route(upstreams, gateway, make_route):
    (a,) = await upstreams("a")
    gw = gateway([make_route(targets=[a.url])], authenticate=_tokens())
    assert (await gw.client.get("/system/crm/v1/x", headers=_bearer("for-crm"))).status_code == 200

    moved = ApiRoute("crm", "system", 2, (a.url,), read_scope="crm:read", write_scope="crm:write")
    gw.holder.replace(RouteTable.of([moved], revision=2))
    answer = await gw.client.get("/system/crm/v2/x", headers=_bearer("for-crm"))

    assert answer.status_code == 401  # v2 is another API: a token for v1 does not open it
