"""What only the Redis store has to do: one script by SHA, server time, keys that expire."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from gateway.ratelimit import Policy, Rate, RedisStore
from gateway.ratelimit.redis_store import GCRA_SCRIPT


def policy(text: str, prefix: str) -> Policy:
    return Policy.compile("test.read", "read", Rate.model_validate(text), prefix)


async def test_a_key_expires_when_it_stops_mattering(
    redis_client: Redis,
    key_prefix: str,
) -> None:
    store = RedisStore(redis_client)
    fast = policy("10/s burst 2", key_prefix)  # a key matters for at most 0.2 s
    key = key_prefix + "k"

    await store.hit(key, fast)
    first_ttl = await redis_client.pttl(key)
    await store.hit(key, fast)
    second_ttl = await redis_client.pttl(key)

    assert 0 < first_ttl <= 100
    assert 100 < second_ttl <= 200
    await asyncio.sleep(0.25)
    assert await redis_client.exists(key) == 0


async def test_a_refusal_writes_nothing(redis_client: Redis, key_prefix: str) -> None:
    store = RedisStore(redis_client)
    one = policy("1/min burst 1", key_prefix)
    key = key_prefix + "k"
    await store.hit(key, one)
    stored = await redis_client.get(key)

    refused = await store.hit(key, one)

    assert not refused.allowed
    assert await redis_client.get(key) == stored


async def test_the_script_is_loaded_once_and_called_by_its_sha(
    redis_client: Redis,
    key_prefix: str,
) -> None:
    store = RedisStore(redis_client)
    await store.load()
    sha = redis_client.register_script(GCRA_SCRIPT).sha

    assert await redis_client.script_exists(sha) == [True]
    decision = await store.hit(key_prefix + "k", policy("5/s", key_prefix))
    assert decision.allowed and decision.remaining == 4


async def test_time_comes_from_the_redis_server(redis_client: Redis, key_prefix: str) -> None:
    """The stored TAT is in the server's time, never a caller's, so gateway nodes whose
    clocks disagree still agree on every limit."""
    (seconds, microseconds) = await redis_client.time()
    server_now_us = seconds * 1_000_000 + microseconds
    store = RedisStore(redis_client)
    key = key_prefix + "k"

    await store.hit(key, policy("1/min burst 1", key_prefix))

    stored = int(await redis_client.get(key) or 0)
    assert 0 < stored - server_now_us <= 60_000_000 + 1_000_000


async def test_two_stores_on_one_redis_share_the_limit(
    redis_url: str,
    redis_client: Redis,
    key_prefix: str,
) -> None:
    nodes = [RedisStore.from_url(redis_url), RedisStore.from_url(redis_url)]
    shared = policy("10/hour burst 10", key_prefix)
    try:
        decisions = await asyncio.gather(
            *(nodes[n % 2].hit(key_prefix + "k", shared) for n in range(40)),
        )
    finally:
        for node in nodes:
            await node.aclose()

    assert sum(d.allowed for d in decisions) == 10
    assert await redis_client.exists(key_prefix + "k") == 1
