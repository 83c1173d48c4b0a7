"""Edges different hops read differently: an encoded slash is routed as a character, not a
separator, and forwarded as sent; more than one Authorization header is refused."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import pytest

from gateway.proxy.edges import routing_path
from strata.errors import PROBLEM_JSON

TWO_TOKENS = [(b"authorization", b"Bearer read-token"), (b"authorization", b"Bearer write-token")]


@pytest.mark.parametrize(
    ("path", "fallback_path"),
    [
        ("/system/crm/v1%2fcustomers", "/system/crm/v1%2Fcustomers"),
        ("/system/crm/v1%2Fcustomers", "/system/crm/v1%2Fcustomers"),
        ("/system%2Fcrm/v1/customers", "/system%2Fcrm/v1/customers"),
        ("/oauth%2Ftoken", "/oauth%2Ftoken"),
    ],
)
async def test_an_encoded_slash_separates_no_segments(
    upstreams: Any, gateway: Any, make_route: Any, tokens: Any, path: str, fallback_path: str
) -> None:
    (a,) = await upstreams("a")
    gw = gateway([make_route(targets=[a.url])])

    answer = await gw.client.get(path, headers=tokens.read)

    # Not the customers list: no route has that prefix, and the gateway's own app (the
    # fallback) sees the slash still encoded, so its routes do not match it either.
    assert answer.status_code == 404
    assert answer.json() == {"fallback": fallback_path}
    assert a.hits == []


@pytest.mark.parametrize(
    ("path", "forwarded"),
    [
        ("/system/crm/v1/customers%2F42", "/customers%2F42"),
        ("/system/crm/v1/files/a%2Fb%20c", "/files/a%2Fb%20c"),
        # The prefix spelled with escapes still routes; the rest keeps the client's escapes.
        ("/system/crm/%761/files/a%2fb%20c%25", "/files/a%2Fb%20c%25"),
        # A slash encoded twice is the text '%2F', not an encoded slash.
        ("/system/crm/v1/files/a%252Fb", "/files/a%252Fb"),
    ],
)
async def test_an_encoded_slash_inside_the_rest_is_forwarded_as_sent(
    upstreams: Any, gateway: Any, make_route: Any, tokens: Any, path: str, forwarded: str
) -> None:
    (a,) = await upstreams("a")
    gw = gateway([make_route(targets=[a.url])])

    answer = await gw.client.get(path, headers=tokens.read)

    assert answer.status_code == 200
    assert answer.json()["raw_path"] == forwarded


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/system/crm/v1/customers", "/system/crm/v1/customers"),
        ("/system/crm/v1%2fcustomers", "/system/crm/v1%2Fcustomers"),
        ("/a%20b/%7Ex", "/a b/~x"),
        ("/a%252Fb", "/a%252Fb"),
        ("/a%25/%2e%2e", "/a%25/.."),
    ],
)
def test_the_routing_path_decodes_all_but_encoded_slashes_and_percents(
    raw: str, expected: str
) -> None:
    scope = {"path": unquote(raw), "raw_path": raw.encode()}
    assert routing_path(scope) == expected


async def test_an_encoded_dot_segment_is_still_refused(
    upstreams: Any, gateway: Any, make_route: Any, tokens: Any
) -> None:
    (a,) = await upstreams("a")
    gw = gateway([make_route(targets=[a.url])])

    answer = await gw.client.get("/system/crm/v1/files/%2e%2e/secret", headers=tokens.read)

    assert answer.status_code == 400
    assert answer.json()["type"].endswith("/invalid-path")
    assert a.hits == []


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
