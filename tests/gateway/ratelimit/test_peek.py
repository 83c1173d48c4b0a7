"""Peeking at a key: what a hit would decide now, with nothing counted, on both stores."""

from __future__ import annotations

from gateway.ratelimit import Policy, Rate
from tests.gateway.ratelimit.conftest import Harness


def policy(text: str, prefix: str) -> Policy:
    return Policy.compile("test.write", "write", Rate.model_validate(text), prefix)


async def test_peeking_counts_nothing(harness: Harness) -> None:
    two = policy("2/min burst 2", harness.key_prefix)
    key = harness.key_prefix + "k"

    for _ in range(5):
        assert (await harness.store.peek(key, two)).allowed

    assert (await harness.store.hit(key, two)).allowed
    assert (await harness.store.hit(key, two)).allowed
    assert not (await harness.store.hit(key, two)).allowed


async def test_peeking_agrees_with_the_next_hit(harness: Harness) -> None:
    two = policy("2/min burst 2", harness.key_prefix)
    key = harness.key_prefix + "k"
    await harness.store.hit(key, two)
    await harness.store.hit(key, two)

    refused = await harness.store.peek(key, two)
    assert not refused.allowed
    assert 29 <= refused.retry_after <= 30

    harness.advance(30)
    allowed = await harness.store.peek(key, two)
    assert allowed.allowed
    assert allowed.remaining == 0  # exactly one more may go: the next hit takes it
    assert (await harness.store.hit(key, two)).allowed
    assert not (await harness.store.peek(key, two)).allowed
