"""When the shared store is down: fail open to per-process limits by default, or as
configured allow everything or refuse everything; a warning, a counter, and no stalls."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator

import pytest
import structlog
from prometheus_client import CollectorRegistry

from gateway.ratelimit import (
    Decision,
    MemoryStore,
    Policy,
    RateLimiter,
    RateLimitMetrics,
    RateLimitSettings,
    RedisStore,
    StoreUnavailable,
    build_limiter,
    rate_limit_headers,
    refusal_response,
)
from strata.errors import PROBLEM_JSON

TIERS = {"free": {"read": "3/min burst 3", "write": "1/min burst 1"}}


def configured(**settings: object) -> RateLimitSettings:
    return RateLimitSettings.model_validate({"tiers": TIERS, "default_tier": "free", **settings})


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class FlakyStore:
    """A store that fails while ``down`` is set, and counts how often it was asked."""

    def __init__(self) -> None:
        self.down = True
        self.calls = 0
        self.inner = MemoryStore()

    async def hit(self, key: str, policy: Policy) -> Decision:
        self.calls += 1
        if self.down:
            raise StoreUnavailable("connection refused")
        return await self.inner.hit(key, policy)

    async def aclose(self) -> None:
        pass


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def failures(registry: CollectorRegistry) -> float:
    return registry.get_sample_value("strata_ratelimit_store_failures_total") or 0.0


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
async def unreachable_redis(registry: CollectorRegistry) -> AsyncIterator[RateLimiter]:
    """The limiter ``build_limiter`` makes for a Redis URL where nothing listens."""
    limiter = build_limiter(
        configured(key_prefix="outage:"),
        f"redis://127.0.0.1:{closed_port()}/0",
        registry=registry,
    )
    try:
        yield limiter
    finally:
        await limiter.aclose()


async def test_redis_down_fails_open_to_per_process_limits(
    unreachable_redis: RateLimiter,
    registry: CollectorRegistry,
) -> None:
    limiter = unreachable_redis
    with structlog.testing.capture_logs() as logs:
        decisions = [await limiter.check("GET", client_id="alice") for _ in range(5)]

    assert [d.allowed for d in decisions] == [True, True, True, False, False]
    assert all(d.degraded for d in decisions)
    assert failures(registry) == 5
    warnings = [entry for entry in logs if entry["log_level"] == "warning"]
    assert len(warnings) == 1
    assert "unreachable" in warnings[0]["event"]
    assert "Redis" in warnings[0]["error"]


async def test_an_outage_does_not_slow_requests_down(unreachable_redis: RateLimiter) -> None:
    started = time.perf_counter()
    for _ in range(200):
        await unreachable_redis.check("GET", client_id="alice")

    assert time.perf_counter() - started < 1.0


async def test_an_unanswering_redis_times_out_quickly() -> None:
    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(-1)  # hold the connection open, say nothing
        writer.close()

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    store = RedisStore.from_url(f"redis://127.0.0.1:{port}/0", timeout=0.1)
    limiter = RateLimiter(configured(), store)
    try:
        started = time.perf_counter()
        decision = await limiter.check("GET", client_id="alice")
        elapsed = time.perf_counter() - started
    finally:
        await limiter.aclose()
        server.close()

    assert decision.allowed and decision.degraded
    assert elapsed < 1.0


async def test_fail_closed_refuses_with_503() -> None:
    limiter = RateLimiter(
        configured(on_store_error="deny", store_retry_seconds=2),
        FlakyStore(),
    )

    decision = await limiter.check("GET", client_id="alice")
    response = refusal_response(decision, "/system/crm/v1/customers")

    assert not decision.allowed and decision.degraded
    assert response.status_code == 503
    assert response.media_type == PROBLEM_JSON
    assert response.headers["retry-after"] == "2"
    body = json.loads(bytes(response.body))
    assert body["type"] == "https://strata.dev/problems/rate-limit-unavailable"
    assert body["status"] == 503


async def test_fail_open_allows_everything() -> None:
    limiter = RateLimiter(configured(on_store_error="allow"), FlakyStore())

    decisions = [await limiter.check("POST", client_id="alice") for _ in range(10)]

    assert all(d.allowed and d.degraded for d in decisions)
    assert rate_limit_headers(decisions[-1])["RateLimit-Limit"] == "1"


async def test_the_store_is_retried_after_a_pause_and_recovery_is_logged(
    registry: CollectorRegistry,
) -> None:
    clock = FakeClock()
    store = FlakyStore()
    limiter = RateLimiter(
        configured(store_retry_seconds=1.0),
        store,
        metrics=RateLimitMetrics(registry),
        clock=clock,
    )

    await limiter.check("GET", client_id="alice")
    await limiter.check("GET", client_id="alice")
    assert store.calls == 1  # the second check did not wait on a store known to be down

    clock.now += 1.5
    store.down = False
    with structlog.testing.capture_logs() as logs:
        decision = await limiter.check("GET", client_id="alice")

    assert store.calls == 2
    assert decision.allowed and not decision.degraded
    assert decision.remaining == 2  # the shared store knew nothing of the degraded hits
    assert [entry["log_level"] for entry in logs] == ["info"]
    assert failures(registry) == 2
    assert (
        registry.get_sample_value(
            "strata_ratelimit_decisions_total",
            {"outcome": "allowed"},
        )
        == 3
    )


async def test_other_errors_are_not_mistaken_for_an_outage() -> None:
    class BrokenStore(FlakyStore):
        async def hit(self, key: str, policy: Policy) -> Decision:
            raise RuntimeError("a bug")

    limiter = RateLimiter(configured(), BrokenStore())

    with pytest.raises(RuntimeError, match="a bug"):
        await limiter.check("GET", client_id="alice")
