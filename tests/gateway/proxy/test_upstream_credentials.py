"""What an upstream receives of the caller's credentials: nothing of the gateway's (no
Authorization, Proxy-Authorization or gateway cookie), only what the credentials hook gives.
In-process targets keep the token: the built-in APIs check it themselves."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request

from gateway.proxy.hooks import Identity, RawHeaders
from gateway.routes import ApiRoute
from strata.errors import PROBLEM_JSON, Problem

CRM = "inproc://system/crm"


@dataclass
class RecordingCredentials:
    """A credentials hook that gives fixed headers and notes whom it was asked for."""

    headers: RawHeaders = ()
    refusal: Problem | None = None
    calls: list[tuple[Identity | None, str]] = field(default_factory=list)

    async def __call__(self, identity: Identity | None, route: ApiRoute) -> RawHeaders:
        self.calls.append((identity, route.name))
        if self.refusal is not None:
            raise self.refusal
        return self.headers


def seen_headers(answer: Any) -> dict[str, str]:
    assert answer.status_code == 200, answer.text
    return dict(answer.json()["headers"])


async def test_a_remote_upstream_never_receives_the_callers_credentials(
    upstreams, gateway, make_route, tokens
):
    (a,) = await upstreams("a")
    gw = gateway([make_route(targets=[a.url])])

    answer = await gw.client.get(
        "/system/crm/v1/customers",
        headers={
            **tokens.read,
            "Proxy-Authorization": "Basic Zm9vOmJhcg==",
            "Cookie": "strata_oauth_browser=binding; theme=dark",
            "Strata-Identity": "a.forged.assertion",
        },
    )

    seen = seen_headers(answer)
    assert "authorization" not in seen
    assert "proxy-authorization" not in seen
    assert "strata-identity" not in seen
    assert seen["cookie"] == "theme=dark"  # the upstream's own cookies still reach it


async def test_only_gateway_cookies_leave_no_cookie_header(upstreams, gateway, make_route, tokens):
    (a,) = await upstreams("a")
    gw = gateway([make_route(targets=[a.url])])

    answer = await gw.client.get(
        "/system/crm/v1/customers",
        headers={**tokens.read, "Cookie": "strata_oauth_browser=binding"},
    )

    assert "cookie" not in seen_headers(answer)


async def test_an_in_process_api_still_receives_the_callers_token(gateway, make_route, tokens):
    api = FastAPI()

    @api.get("/whoami")
    async def whoami(request: Request) -> dict[str, Any]:
        return {"authorization": request.headers.get("authorization")}

    credentials = RecordingCredentials([(b"x-api-key", b"not for in-process apps")])
    gw = gateway(
        [make_route(targets=[CRM])], inproc_apps={CRM: api}, upstream_credentials=credentials
    )

    answer = await gw.client.get("/system/crm/v1/whoami", headers=tokens.read)

    assert answer.status_code == 200
    assert answer.json() == {"authorization": "Bearer read-token"}
    assert credentials.calls == []


async def test_the_hooks_credentials_reach_the_upstream_for_the_admitted_caller(
    upstreams, gateway, make_route, tokens
):
    (a,) = await upstreams("a")
    credentials = RecordingCredentials([(b"x-api-key", b"upstream-key")])
    gw = gateway([make_route(targets=[a.url])], upstream_credentials=credentials)

    answer = await gw.client.get(
        "/system/crm/v1/customers", headers={**tokens.read, "X-API-Key": "the-clients-guess"}
    )

    seen = answer.json()["headers"]
    assert [value for name, value in seen if name == "x-api-key"] == ["upstream-key"]
    assert credentials.calls == [(tokens.reader, "crm")]


async def test_an_anonymous_caller_of_a_public_route_is_no_identity(upstreams, gateway, make_route):
    (a,) = await upstreams("a")
    credentials = RecordingCredentials()
    gw = gateway(
        [make_route(targets=[a.url], public=True)],
        upstream_credentials=credentials,
    )

    answer = await gw.client.get("/system/crm/v1/anything")

    assert answer.status_code == 200
    assert credentials.calls == [(None, "crm")]


async def test_credentials_are_made_once_for_all_retries(upstreams, gateway, make_route, tokens):
    a, b = await upstreams("a", "b")
    a.fail_with = 503
    credentials = RecordingCredentials([(b"x-api-key", b"upstream-key")])
    gw = gateway([make_route(targets=[a.url, b.url], retries=3)], upstream_credentials=credentials)

    answer = await gw.client.get("/system/crm/v1/customers", headers=tokens.read)

    assert answer.json()["upstream"] == "b"
    assert dict(answer.json()["headers"])["x-api-key"] == "upstream-key"
    assert len(a.hits) == 1 and len(credentials.calls) == 1


async def test_a_refusal_of_the_hook_is_a_problem_and_nothing_is_forwarded(
    upstreams, gateway, make_route, tokens
):
    (a,) = await upstreams("a")
    refusal = Problem(
        502,
        "Upstream credentials unavailable",
        "The gateway cannot read this API's upstream credentials.",
        kind="upstream-credentials",
    )
    gw = gateway(
        [make_route(targets=[a.url])], upstream_credentials=RecordingCredentials(refusal=refusal)
    )

    answer = await gw.client.get("/system/crm/v1/customers", headers=tokens.read)

    assert answer.status_code == 502
    assert answer.headers["content-type"] == PROBLEM_JSON
    assert answer.json()["type"].endswith("/upstream-credentials")
    assert answer.json()["instance"] == "/system/crm/v1/customers"
    assert a.hits == []
