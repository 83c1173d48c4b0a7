"""What happens before forwarding: token, scope, rate limit, body size, path checks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import JSONResponse

from gateway.proxy import ProxySettings, Verdict
from gateway.routes import ApiRoute
from strata.errors import Problem

LIMIT_HEADERS = ((b"ratelimit-limit", b"10"), (b"ratelimit-remaining", b"9"))


@dataclass
class RecordingLimiter:
    """Allows or refuses everything, and remembers who asked."""

    allow: bool = True
    refusal: Any = None
    calls: list[tuple[Any, str, str]] = field(default_factory=list)

    async def __call__(self, caller: Any, route: ApiRoute, method: str) -> Verdict:
        self.calls.append((caller, route.name, method))
        headers = LIMIT_HEADERS if self.allow else (*LIMIT_HEADERS, (b"retry-after", b"7"))
        return Verdict(self.allow, headers, self.refusal)


async def test_a_protected_route_without_a_token_gets_the_hooks_401(upstreams, gateway, make_route):
    (a,) = await upstreams("a")
    gw = gateway([make_route(targets=[a.url])])

    answer = await gw.client.get("/system/crm/v1/customers")

    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["instance"] == "/system/crm/v1/customers"
    assert a.hits == []


async def test_a_bad_token_gets_401_invalid_token(upstreams, gateway, make_route):
    (a,) = await upstreams("a")
    gw = gateway([make_route(targets=[a.url])])

    answer = await gw.client.get(
        "/system/crm/v1/customers", headers={"Authorization": "Bearer forged"}
    )

    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    assert a.hits == []


async def test_a_refusal_raised_by_the_hook_passes_through_as_is(upstreams, gateway, make_route):
    (a,) = await upstreams("a")

    async def revoked(headers: Any) -> Any:
        raise Problem(
            401,
            "Token revoked",
            "The access token was revoked.",
            kind="token-revoked",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            token_hint="abc",
        )

    gw = gateway([make_route(targets=[a.url])], authenticate=revoked)

    answer = await gw.client.get("/system/crm/v1/x", headers={"Authorization": "Bearer t"})

    assert answer.status_code == 401
    body = answer.json()
    assert body["type"].endswith("/token-revoked")
    assert body["token_hint"] == "abc"
    assert body["request_id"] == answer.headers["x-request-id"]


async def test_a_token_without_the_routes_scope_gets_403(upstreams, gateway, make_route, tokens):
    (a,) = await upstreams("a")
    gw = gateway([make_route(targets=[a.url])])

    answer = await gw.client.post("/system/crm/v1/customers", json={}, headers=tokens.read)

    assert answer.status_code == 403
    assert answer.headers["www-authenticate"] == (
        'Bearer error="insufficient_scope", scope="crm:write"'
    )
    assert answer.json()["required_scope"] == "crm:write"
    assert a.hits == []


async def test_the_scope_is_chosen_by_method(upstreams, gateway, make_route, tokens):
    (a,) = await upstreams("a")
    gw = gateway([make_route(targets=[a.url])])

    read = await gw.client.get("/system/crm/v1/customers", headers=tokens.read)
    write = await gw.client.post("/system/crm/v1/customers", json={}, headers=tokens.write)

    assert (read.status_code, write.status_code) == (200, 200)


async def test_a_public_route_lets_anonymous_callers_in_limited_by_ip(
    upstreams, gateway, make_route, tokens
):
    (a,) = await upstreams("a")
    limiter = RecordingLimiter()
    gw = gateway([make_route(targets=[a.url], public=True)], limit=limiter)

    anonymous = await gw.client.get("/system/crm/v1/open")
    identified = await gw.client.get("/system/crm/v1/open", headers=tokens.read)
    forged = await gw.client.get("/system/crm/v1/open", headers={"Authorization": "Bearer x"})

    assert (anonymous.status_code, identified.status_code) == (200, 200)
    assert forged.status_code == 401
    assert limiter.calls == [("127.0.0.1", "crm", "GET"), (tokens.reader, "crm", "GET")]


async def test_a_read_only_route_refuses_every_write(upstreams, gateway, make_route, tokens):
    (a,) = await upstreams("a")
    gw = gateway([make_route(targets=[a.url], write_scope=None)])

    anonymous = await gw.client.post("/system/crm/v1/x", json={})
    reader = await gw.client.post("/system/crm/v1/x", json={}, headers=tokens.read)
    writer = await gw.client.delete("/system/crm/v1/x", headers=tokens.write)
    read = await gw.client.get("/system/crm/v1/x", headers=tokens.read)

    for refused in (anonymous, reader, writer):
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["type"].endswith("/not-granted")
        assert "No scope grants" in refused.json()["detail"]
    assert [method for method, _ in a.hits] == ["GET"] and read.status_code == 200


async def test_a_route_that_is_not_public_and_has_no_scopes_refuses_everyone(
    upstreams, gateway, make_route, tokens
):
    (a,) = await upstreams("a")
    gw = gateway([make_route(targets=[a.url], read_scope=None, write_scope=None)])

    answers = [
        await gw.client.get("/system/crm/v1/customers"),
        await gw.client.get("/system/crm/v1/customers", headers=tokens.write),
        await gw.client.post("/system/crm/v1/customers", json={}, headers=tokens.write),
    ]

    assert [answer.status_code for answer in answers] == [403, 403, 403]
    assert a.hits == []


async def test_only_a_public_route_lets_anonymous_callers_in(
    upstreams, gateway, make_route, tokens
):
    (a,) = await upstreams("a")
    gw = gateway(
        [
            make_route("open", targets=[a.url], public=True),
            make_route("crm", targets=[a.url]),
        ]
    )

    open_read = await gw.client.get("/system/open/v1/x")
    open_write = await gw.client.post("/system/open/v1/x", json={})
    closed = await gw.client.get("/system/crm/v1/x")

    assert (open_read.status_code, open_write.status_code) == (200, 200)
    assert closed.status_code == 401


async def test_a_refused_request_gets_429_with_the_limiters_headers(
    upstreams, gateway, make_route, tokens
):
    (a,) = await upstreams("a")
    limiter = RecordingLimiter(allow=False)
    gw = gateway([make_route(targets=[a.url])], limit=limiter)

    answer = await gw.client.get("/system/crm/v1/customers", headers=tokens.read)

    assert answer.status_code == 429
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["retry-after"] == "7"
    assert answer.headers["ratelimit-remaining"] == "9"
    assert a.hits == []
    assert limiter.calls == [(tokens.reader, "crm", "GET")]


async def test_the_limiters_own_refusal_response_is_sent(upstreams, gateway, make_route, tokens):
    (a,) = await upstreams("a")
    refusal = JSONResponse({"limited": True}, status_code=429, headers={"Retry-After": "3"})
    gw = gateway([make_route(targets=[a.url])], limit=RecordingLimiter(False, refusal))

    answer = await gw.client.get("/system/crm/v1/customers", headers=tokens.read)

    assert answer.status_code == 429
    assert answer.json() == {"limited": True}
    assert answer.headers["retry-after"] == "3"


async def test_allowed_responses_carry_the_rate_limit_headers(
    upstreams, gateway, make_route, tokens
):
    (a,) = await upstreams("a")
    gw = gateway([make_route(targets=[a.url])], limit=RecordingLimiter())

    answer = await gw.client.get("/system/crm/v1/customers", headers=tokens.read)

    assert answer.status_code == 200
    assert answer.headers["ratelimit-limit"] == "10"
    assert answer.headers["ratelimit-remaining"] == "9"


async def test_a_body_declared_over_the_limit_gets_413_unread(
    upstreams, gateway, make_route, tokens
):
    (a,) = await upstreams("a")
    gw = gateway([make_route(targets=[a.url])], settings=ProxySettings(max_body_bytes=1024))

    answer = await gw.client.post(
        "/system/crm/v1/customers", content=b"x" * 1025, headers=tokens.write
    )

    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["limit_bytes"] == 1024
    assert a.hits == []


async def test_a_chunked_body_over_the_limit_gets_413(upstreams, gateway, make_route, tokens):
    (a,) = await upstreams("a")
    gw = gateway([make_route(targets=[a.url])], settings=ProxySettings(max_body_bytes=1024))

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(5):
            yield b"y" * 300

    answer = await gw.client.post(
        "/system/crm/v1/customers", content=chunks(), headers=tokens.write
    )

    assert answer.status_code == 413
    assert a.hits == []


async def test_a_body_within_the_limit_is_forwarded_whole(upstreams, gateway, make_route, tokens):
    (a,) = await upstreams("a")
    gw = gateway([make_route(targets=[a.url])], settings=ProxySettings(max_body_bytes=1024))

    async def chunks() -> AsyncIterator[bytes]:
        for part in (b"a" * 500, b"b" * 524):
            yield part

    answer = await gw.client.post(
        "/system/crm/v1/customers", content=chunks(), headers=tokens.write
    )

    assert answer.status_code == 200
    assert answer.json()["body"] == "a" * 500 + "b" * 524
    seen = dict(answer.json()["headers"])
    assert seen["content-length"] == "1024"
    assert "transfer-encoding" not in seen


async def test_dot_segments_in_the_path_are_refused(upstreams, gateway, make_route, raw_request):
    (a,) = await upstreams("a")
    gw = gateway([make_route(targets=[a.url + "/api/crm"], public=True)])

    for path in (
        "/system/crm/v1/../../admin",
        "/system/crm/v1/x/./y",
        "/system/crm/v1/%2e%2e/z",
        "/system/crm/v1/..",
    ):
        answer = await raw_request(gw.data_path, "GET", path)
        assert answer.status == 400, path
        assert answer.json()["type"].endswith("/invalid-path")
    assert a.hits == []
    assert (await raw_request(gw.data_path, "GET", "/system/crm/v1/a..b/.c")).status == 200


@dataclass
class RefusalBudget:
    """Lets ``budget`` refusals per address through as 401s, then asks for a wait."""

    budget: int
    counted: list[str] = field(default_factory=list)

    async def __call__(self, address: str) -> int | None:
        if self.counted.count(address) >= self.budget:
            return 42
        self.counted.append(address)
        return None


async def test_refused_credentials_count_against_the_address(upstreams, gateway, make_route):
    (a,) = await upstreams("a")
    budget = RefusalBudget(2)
    gw = gateway([make_route(targets=[a.url])], refused=budget)
    forged = {"Authorization": "Bearer forged"}

    statuses = [(await gw.client.get("/system/crm/v1/x", headers=forged)).status_code]
    statuses.append((await gw.client.get("/system/crm/v1/x")).status_code)  # no token at all
    flooded = await gw.client.get("/system/crm/v1/x", headers=forged)
    valid = await gw.client.get("/system/crm/v1/x", headers={"Authorization": "Bearer read-token"})

    assert statuses == [401, 401]
    assert flooded.status_code == 429
    assert flooded.headers["retry-after"] == "42"
    assert flooded.json()["type"].endswith("/too-many-refusals")
    # A valid token is never counted nor held back by its address's refusals.
    assert valid.status_code == 200
    assert budget.counted == ["127.0.0.1", "127.0.0.1"]
