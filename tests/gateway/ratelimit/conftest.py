"""Fixtures for the rate limiter: a fake clock, Redis, and one harness per store.

Redis is taken from ``STRATA_TEST_REDIS_URL`` (default: the local server). Every test uses a
key prefix of its own and deletes its keys afterwards. When Redis is unreachable the Redis
cases are skipped with the reason, unless ``STRATA_TEST_REQUIRE_SERVICES=1``, which makes
them fail instead.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from gateway.ratelimit import MemoryStore, RateLimiter, RateLimitSettings, RedisStore, Store

HERE = Path(__file__).parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "redis: needs the Redis server named by STRATA_TEST_REDIS_URL",
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks the tests here that need Redis (``-m "not redis"`` leaves them out). Marked
    after collection, not at import: a module-level mark would be checked before the
    marker above is registered."""
    for item in items:
        if HERE not in item.path.parents:
            continue
        callspec = getattr(item, "callspec", None)
        on_redis = callspec is not None and callspec.params.get("harness") == "redis"
        if on_redis or "redis_url" in getattr(item, "fixturenames", ()):
            item.add_marker("redis")


class FakeClock:
    """Seconds that only move when a test says so."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.start = start
        self.elapsed = 0.0

    def __call__(self) -> float:
        return self.start + self.elapsed

    def offset(self) -> float:
        return self.elapsed

    def advance(self, seconds: float) -> None:
        self.elapsed += seconds


@pytest.fixture
def key_prefix() -> str:
    return f"strata-test:{secrets.token_hex(6)}:"


async def delete_keys(client: Redis, prefix: str) -> None:
    keys = [key async for key in client.scan_iter(match=prefix + "*", count=1000)]
    if keys:
        await client.delete(*keys)


@pytest.fixture
async def redis_client(redis_url: str, key_prefix: str) -> AsyncIterator[Redis]:
    """A client for this test; every key under the test's prefix is deleted afterwards."""
    client = Redis.from_url(redis_url)
    try:
        yield client
    finally:
        await delete_keys(client, key_prefix)
        await client.aclose()


@dataclass
class Harness:
    """One store under test, a clock that moves it, and limiters built on it."""

    kind: str
    store: Store
    clock: FakeClock
    key_prefix: str

    def limiter(self, **settings: Any) -> RateLimiter:
        configured = RateLimitSettings(key_prefix=self.key_prefix, **settings)
        return RateLimiter(configured, self.store, clock=self.clock)

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)


@pytest.fixture(params=["memory", "redis"])
async def harness(request: pytest.FixtureRequest, key_prefix: str) -> AsyncIterator[Harness]:
    """The same behaviour runs on each store. For Redis the fake clock's elapsed time is
    added to the server's own time, so tests move time without sleeping."""
    clock = FakeClock()
    if request.param == "memory":
        yield Harness("memory", MemoryStore(clock=clock), clock, key_prefix)
        return
    url = request.getfixturevalue("redis_url")
    store = RedisStore.from_url(url, time_offset=clock.offset)
    try:
        yield Harness("redis", store, clock, key_prefix)
    finally:
        await store.aclose()
        client = Redis.from_url(url)
        try:
            await delete_keys(client, key_prefix)
        finally:
            await client.aclose()
