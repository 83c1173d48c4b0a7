"""Failed authentications are throttled per account and address, and per address alone; a
spent bucket refills by itself, and one address's failures never lock out another."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from gateway.oauth.throttle import FailureThrottle, Throttled, ThrottleSettings
from gateway.ratelimit import MemoryStore, Policy, RedisStore
from gateway.ratelimit.policy import Decision
from gateway.ratelimit.store import StoreUnavailable

SETTINGS = ThrottleSettings.model_validate({"per_account": "3/min burst 3", "per_address": "6/min"})


class Clock:
    def __init__(self) -> None:
        self.elapsed = 0.0

    def __call__(self) -> float:
        return 1_000.0 + self.elapsed


@pytest.fixture(params=["memory", "redis"])
async def throttle_and_clock(
    request: pytest.FixtureRequest,
) -> AsyncIterator[tuple[FailureThrottle, Clock]]:
    clock = Clock()
    prefix = f"strata-test:{secrets.token_hex(6)}:"
    if request.param == "memory":
        yield FailureThrottle(SETTINGS, MemoryStore(clock=clock), key_prefix=prefix), clock
        return
    url = request.getfixturevalue("redis_url")
    store = RedisStore.from_url(url, time_offset=lambda: clock.elapsed)
    try:
        yield FailureThrottle(SETTINGS, store, key_prefix=prefix), clock
    finally:
        await store.aclose()
        client = Redis.from_url(url)
        keys = [key async for key in client.scan_iter(match=prefix + "*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def fail(throttle: FailureThrottle, times: int, account: str, address: str) -> None:
    for _ in range(times):
        await throttle.check("password", account, address)
        await throttle.failed("password", account, address)


async def test_an_account_from_one_address_waits_after_its_failures(
    throttle_and_clock: tuple[FailureThrottle, Clock],
) -> None:
    throttle, clock = throttle_and_clock
    await fail(throttle, 3, "dana", "198.51.100.7")

    with pytest.raises(Throttled) as refused:
        await throttle.check("password", "dana", "198.51.100.7")
    assert refused.value.retry_after == 20  # 3/min: one more every 20 s

    await throttle.check("password", "dana", "203.0.113.9")  # the real user, elsewhere
    await throttle.check("password", "DANA ", "203.0.113.9")
    await throttle.check("password", "eli", "198.51.100.7")  # another account, same address
    await throttle.check("client", "dana", "198.51.100.7")  # another kind of secret

    clock.elapsed += 20
    await throttle.check("password", "dana", "198.51.100.7")  # a short lock, not a permanent one


async def test_an_address_waits_after_failures_across_accounts(
    throttle_and_clock: tuple[FailureThrottle, Clock],
) -> None:
    throttle, _ = throttle_and_clock
    for number in range(6):
        await fail(throttle, 1, f"user-{number}", "198.51.100.7")

    with pytest.raises(Throttled):
        await throttle.check("password", "someone-new", "198.51.100.7")
    with pytest.raises(Throttled):
        await throttle.check("bearer", None, "198.51.100.7")
    await throttle.check("password", "someone-new", "198.51.100.8")


async def test_checking_counts_nothing(throttle_and_clock: tuple[FailureThrottle, Clock]) -> None:
    throttle, _ = throttle_and_clock
    for _ in range(20):
        await throttle.check("password", "dana", "198.51.100.7")


class DownStore(MemoryStore):
    async def hit(self, key: str, policy: Policy) -> Decision:
        raise StoreUnavailable("connection refused")

    async def peek(self, key: str, policy: Policy) -> Decision:
        raise StoreUnavailable("connection refused")


async def test_an_unreachable_store_still_throttles_in_this_process() -> None:
    throttle = FailureThrottle(SETTINGS, DownStore())
    await fail(throttle, 3, "dana", "198.51.100.7")
    with pytest.raises(Throttled):
        await throttle.check("password", "dana", "198.51.100.7")
