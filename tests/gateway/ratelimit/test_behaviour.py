"""The limiter's behaviour, the same on every store (each test runs on memory and on Redis).

On Redis real time passes between calls (microseconds to milliseconds), so durations are
compared with a small tolerance; counts are exact on both stores.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Protocol

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from gateway.ratelimit import (
    Decision,
    RateLimiter,
    rate_limit_header_list,
    rate_limit_headers,
    refusal_response,
)
from strata.errors import PROBLEM_JSON
from strata.middleware import RequestContextMiddleware


class Harness(Protocol):
    """The ``harness`` fixture: one store, a clock to move, limiters built on the store."""

    def limiter(self, **settings: Any) -> RateLimiter: ...

    def advance(self, seconds: float) -> None: ...


TIERS = {
    "bronze": {"read": "3/min burst 3", "write": "2/min burst 2"},  # read interval 20 s
    "gold": {"read": "6/min burst 6", "write": "4/min burst 4"},
}


def build(harness: Harness, **settings: object) -> RateLimiter:
    settings.setdefault("tiers", TIERS)
    settings.setdefault("default_tier", "bronze")
    settings.setdefault("anonymous_tier", "bronze")
    return harness.limiter(**settings)


async def hits(limiter: RateLimiter, n: int, method: str = "GET", **who: str) -> list[Decision]:
    return [await limiter.check(method, **who) for _ in range(n)]


def allowed(decisions: list[Decision]) -> int:
    return sum(decision.allowed for decision in decisions)


async def test_burst_is_allowed_then_refused(harness: Harness) -> None:
    limiter = build(harness)
    decisions = await hits(limiter, 5, client_id="alice")

    assert [d.allowed for d in decisions] == [True, True, True, False, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0, 0]
    assert all(d.limit == 3 for d in decisions)
    refused = decisions[3]
    assert refused.retry_after == pytest.approx(20, abs=0.5)
    assert refused.reset == pytest.approx(60, abs=0.5)
    assert not refused.degraded


async def test_refills_one_request_per_interval(harness: Harness) -> None:
    limiter = build(harness)
    await hits(limiter, 3, client_id="alice")

    harness.advance(10)
    half = await limiter.check("GET", client_id="alice")
    assert not half.allowed
    assert half.retry_after == pytest.approx(10, abs=0.5)

    harness.advance(10)
    assert [d.allowed for d in await hits(limiter, 2, client_id="alice")] == [True, False]

    harness.advance(60)
    assert allowed(await hits(limiter, 5, client_id="alice")) == 3


async def test_long_idle_gives_back_the_burst_not_more(harness: Harness) -> None:
    limiter = build(harness)
    await hits(limiter, 3, client_id="alice")
    harness.advance(3600)

    assert allowed(await hits(limiter, 10, client_id="alice")) == 3


async def test_reads_and_writes_are_counted_apart(harness: Harness) -> None:
    limiter = build(harness)
    assert allowed(await hits(limiter, 5, "GET", client_id="alice")) == 3

    writes = [
        await limiter.check(method, client_id="alice")
        for method in ("POST", "DELETE", "PUT", "patch")
    ]
    assert [d.allowed for d in writes] == [True, True, False, False]
    assert writes[0].policy.name == "bronze.write"
    # HEAD and OPTIONS are reads: the read bucket is already empty.
    assert not (await limiter.check("HEAD", client_id="alice")).allowed
    assert not (await limiter.check("options", client_id="alice")).allowed


async def test_tiers_have_their_own_limits(harness: Harness) -> None:
    limiter = build(harness)

    assert allowed(await hits(limiter, 10, client_id="small", tier="bronze")) == 3
    assert allowed(await hits(limiter, 10, client_id="big", tier="gold")) == 6
    assert allowed(await hits(limiter, 10, "POST", client_id="big", tier="gold")) == 4


async def test_unknown_or_missing_tier_uses_the_default(harness: Harness) -> None:
    limiter = build(harness, default_tier="gold")

    assert allowed(await hits(limiter, 10, client_id="a", tier="platinum")) == 6
    assert allowed(await hits(limiter, 10, client_id="b")) == 6


async def test_anonymous_callers_are_limited_per_address(harness: Harness) -> None:
    limiter = build(harness, default_tier="gold")

    assert allowed(await hits(limiter, 10, ip="192.0.2.1")) == 3  # anonymous tier: bronze
    assert allowed(await hits(limiter, 10, ip="192.0.2.2")) == 3
    # One IPv6 host owns a /64: its addresses share one limit, another /64 has its own.
    assert allowed(await hits(limiter, 2, ip="2001:db8:1:2::1")) == 2
    assert allowed(await hits(limiter, 2, ip="2001:db8:1:2::ffff")) == 1
    assert allowed(await hits(limiter, 3, ip="2001:db8:1:3::1")) == 3
    # An IPv4 address seen through an IPv6 socket is the same caller.
    assert allowed(await hits(limiter, 1, ip="::ffff:192.0.2.1")) == 0


async def test_clients_do_not_share_limits_with_each_other_or_addresses(harness: Harness) -> None:
    limiter = build(harness)

    assert allowed(await hits(limiter, 4, client_id="alice", ip="192.0.2.9")) == 3
    assert allowed(await hits(limiter, 4, client_id="bob", ip="192.0.2.9")) == 3
    assert allowed(await hits(limiter, 4, ip="192.0.2.9")) == 3
    odd = "client with spaces:and/colons"
    assert allowed(await hits(limiter, 4, client_id=odd)) == 3
    assert allowed(await hits(limiter, 4, client_id="x" * 5000)) == 3


async def test_per_api_override_wins(harness: Harness) -> None:
    limiter = build(
        harness,
        apis={
            "system/crm/v1": {"write": "1/min burst 1", "tiers": {"gold": {"write": "5/min"}}},
        },
    )

    crm = await hits(limiter, 3, "POST", client_id="alice", api="system/crm/v1")
    assert [d.allowed for d in crm] == [True, False, False]
    assert crm[1].policy.name == "bronze.write@system/crm/v1"
    # The override has its own bucket: other APIs still get the tier's writes.
    assert allowed(await hits(limiter, 3, "POST", client_id="alice", api="system/erp/v1")) == 2
    # Reads on that API are not overridden: the tier's limit applies.
    assert allowed(await hits(limiter, 5, client_id="alice", api="system/crm/v1")) == 3
    # A tier's entry wins over the API-wide override.
    gold = await hits(limiter, 7, "POST", client_id="g", tier="gold", api="system/crm/v1")
    assert allowed(gold) == 5


async def test_headers_describe_the_decision(harness: Harness) -> None:
    limiter = build(harness)
    first, _, third, refused = await hits(limiter, 4, client_id="alice")

    assert rate_limit_headers(first) == {
        "RateLimit-Limit": "3",
        "RateLimit-Remaining": "2",
        "RateLimit-Reset": "20",
        "RateLimit-Policy": "3;w=60",
        "X-RateLimit-Limit": "3",
        "X-RateLimit-Remaining": "2",
        "X-RateLimit-Reset": "20",
    }
    assert rate_limit_headers(third)["RateLimit-Remaining"] == "0"
    assert rate_limit_headers(third)["RateLimit-Reset"] == "60"
    assert "Retry-After" not in rate_limit_headers(third)
    headers = rate_limit_headers(refused)
    assert headers["Retry-After"] == "20"
    assert headers["RateLimit-Remaining"] == headers["X-RateLimit-Remaining"] == "0"
    assert (b"retry-after", b"20") in rate_limit_header_list(refused)


def limited_app(limiter: RateLimiter) -> RequestContextMiddleware:
    """The way the gateway uses the limiter: check, then refuse or answer with the headers."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        decision = await limiter.check(scope["method"], client_id="alice")
        if not decision.allowed:
            await refusal_response(decision, scope["path"])(scope, receive, send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/plain"), *rate_limit_header_list(decision)],
            }
        )
        await send({"type": "http.response.body", "body": b"ok"})

    return RequestContextMiddleware(app)


async def test_refusal_is_a_problem_with_retry_after(harness: Harness) -> None:
    transport = httpx.ASGITransport(app=limited_app(build(harness)))
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        answers = [await client.get("/system/crm/v1/customers") for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[0].headers["ratelimit-remaining"] == "2"
    refused = answers[3]
    assert refused.headers["content-type"] == PROBLEM_JSON
    assert refused.headers["retry-after"] == "20"
    assert refused.headers["x-ratelimit-remaining"] == "0"
    body = json.loads(refused.content)
    assert body["type"] == "https://strata.dev/problems/rate-limited"
    assert body["title"] == "Too many requests"
    assert body["status"] == 429
    assert body["policy"] == "bronze.read"
    assert body["limit"] == 3
    assert body["retry_after"] == 20
    assert "bronze.read" in body["detail"]
    assert "3/min" in body["detail"]
    assert body["instance"] == "/system/crm/v1/customers"
    assert body["request_id"] == refused.headers["x-request-id"]


async def test_concurrent_hits_on_one_key_allow_exactly_the_limit(harness: Harness) -> None:
    limiter = build(harness, tiers={"bronze": {"read": "50/hour burst 50", "write": "1/s"}})

    decisions = await asyncio.gather(
        *(limiter.check("GET", client_id="crowd") for _ in range(200)),
    )

    assert allowed(list(decisions)) == 50
    assert sorted(d.remaining for d in decisions if d.allowed) == list(range(50))


async def test_concurrent_clients_each_get_their_own_limit(harness: Harness) -> None:
    limiter = build(harness)
    clients = [f"client-{n}" for n in range(10)]

    decisions = await asyncio.gather(
        *(limiter.check("GET", client_id=client) for client in clients for _ in range(8)),
    )

    for index, client in enumerate(clients):
        own = decisions[index * 8 : (index + 1) * 8]
        assert allowed(list(own)) == 3, client
