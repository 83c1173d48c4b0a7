"""Requests read differently by different hops are refused before routing: an encoded slash
in the path, and more than one Authorization header."""

from __future__ import annotations

from typing import Any

import pytest

from strata.errors import PROBLEM_JSON

TWO_TOKENS = [(b"authorization", b"Bearer read-token"), (b"authorization", b"Bearer write-token")]


@pytest.mark.parametrize(
    "path",
    [
        "/system/crm/v1%2fcustomers",
        "/system/crm/v1%2Fcustomers",
        "/system/crm/v1/customers%2F42",
        "/system%2fcrm/v1/customers",
        "/oauth%2Ftoken",
    ],
)
async def test_an_encoded_slash_is_refused_and_never_routed(
    upstreams: Any, gateway: Any, make_route: Any, tokens: Any, path: str
) -> None:
    (a,) = await upstreams("a")
    gw = gateway([make_route(targets=[a.url])])

    answer = await gw.client.get(path, headers=tokens.read)

    assert answer.status_code == 400
    assert answer.headers["content-type"] == PROBLEM_JSON
    problem = answer.json()
    assert problem["type"].endswith("/encoded-slash")
    assert problem["field"] == "path"
    assert "%2F" in problem["detail"]
    assert a.hits == []


async def test_other_escapes_route_as_decoded_and_reach_the_upstream_as_sent(
    upstreams: Any, gateway: Any, make_route: Any, tokens: Any
) -> None:
    (a,) = await upstreams("a")
    gw = gateway([make_route(targets=[a.url])])

    spaced = await gw.client.get("/system/crm/v1/customers/a%20b", headers=tokens.read)
    # A slash encoded twice is a '%2F' character once decoded, not a separator.
    double = await gw.client.get("/system/crm/v1/customers/a%252Fb", headers=tokens.read)

    assert spaced.status_code == 200
    assert spaced.json()["raw_path"] == "/customers/a%20b"
    assert double.status_code == 200
    assert double.json()["raw_path"] == "/customers/a%252Fb"
    assert a.hits == [("GET", "/customers/a b"), ("GET", "/customers/a%2Fb")]


async def test_two_authorization_headers_are_refused_before_any_token_check(
    upstreams: Any, gateway: Any, make_route: Any, raw_request: Any
) -> None:
    (a,) = await upstreams("a")
    checked: list[object] = []

    async def authenticate(headers: Any) -> Any:
        checked.append(headers)
        raise AssertionError("no token is checked")

    gw = gateway([make_route(targets=[a.url])], authenticate=authenticate)

    answer = await raw_request(gw.data_path, "GET", "/system/crm/v1/customers", headers=TWO_TOKENS)

    assert answer.status == 400
    assert answer.header(b"content-type") == PROBLEM_JSON.encode()
    problem = answer.json()
    assert problem["type"].endswith("/duplicate-authorization")
    assert problem["header"] == "Authorization"
    assert "2 Authorization headers" in problem["detail"]
    assert checked == []
    assert a.hits == []


async def test_two_authorization_headers_never_reach_the_gateways_own_endpoints(
    gateway: Any, make_route: Any, raw_request: Any
) -> None:
    gw = gateway([make_route()])

    answer = await raw_request(gw.data_path, "POST", "/oauth/token", headers=TWO_TOKENS)

    assert answer.status == 400
    assert answer.json()["type"].endswith("/duplicate-authorization")
    assert "fallback" not in answer.json()


async def test_one_authorization_header_is_served(
    upstreams: Any, gateway: Any, make_route: Any, tokens: Any
) -> None:
    (a,) = await upstreams("a")
    gw = gateway([make_route(targets=[a.url])])

    answer = await gw.client.get("/system/crm/v1/customers", headers=tokens.read)

    assert answer.status_code == 200
    assert a.hits == [("GET", "/customers")]
