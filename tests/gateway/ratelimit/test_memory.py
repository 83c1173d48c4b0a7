"""The memory store: exact GCRA (checked against a token bucket) and bounded memory."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.ratelimit import MemoryStore, Policy, Rate
from gateway.ratelimit.config import MICROSECONDS


class FakeClock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def policy(text: str, name: str = "test.read") -> Policy:
    return Policy.compile(name, "read", Rate.model_validate(text), "t:")


class TokenBucket:
    """The textbook token bucket in exact fractions: capacity ``burst``, one token back per
    interval, a request takes one token. GCRA must decide exactly as this does."""

    def __init__(self, interval_us: int, burst: int) -> None:
        self.interval = interval_us
        self.burst = burst
        self.tokens = Fraction(burst)
        self.last = 0

    def hit(self, now_us: int) -> tuple[bool, int]:
        refill = Fraction(now_us - self.last, self.interval)
        self.tokens = min(Fraction(self.burst), self.tokens + refill)
        self.last = now_us
        if self.tokens < 1:
            return False, 0
        self.tokens -= 1
        return True, int(self.tokens)  # floor: whole requests still allowed now


@settings(max_examples=200, deadline=None)
@given(
    requests=st.integers(1, 50),
    period_ms=st.integers(1, 10_000),
    burst=st.integers(1, 20),
    gaps_us=st.lists(st.integers(0, 3_000_000), min_size=1, max_size=80),
)
def test_gcra_decides_exactly_like_a_token_bucket(
    requests: int,
    period_ms: int,
    burst: int,
    gaps_us: list[int],
) -> None:
    rate = Rate(requests=requests, period_seconds=period_ms / 1000, burst=burst)
    if rate.interval_us < 1:
        return
    checked = Policy.compile("p", "read", rate, "t:")
    clock = FakeClock()
    clock.now = 0.0
    store = MemoryStore(clock=clock)
    bucket = TokenBucket(checked.interval_us, burst)
    now_us = 0
    for gap in gaps_us:
        now_us += gap
        clock.now = now_us / MICROSECONDS
        decision = store.hit_now("k", checked)
        expected_allowed, expected_remaining = bucket.hit(int(clock.now * MICROSECONDS))
        assert decision.allowed == expected_allowed
        assert decision.remaining == expected_remaining


def test_expired_keys_are_dropped_as_the_store_is_used() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    short = policy("10/s burst 5")  # a key is idle again 0.5 s after its last hit
    for n in range(1_000):
        store.hit_now(f"caller-{n}", short)
    assert len(store) == 1_000

    clock.now += 1
    for _ in range(100):
        store.hit_now("busy", short)
        clock.now += 0.1

    assert len(store) == 1


def test_keys_still_limited_are_kept() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    slow = policy("1/hour burst 1")
    store.hit_now("limited", slow)
    clock.now += 60

    for n in range(100):
        store.hit_now(f"other-{n}", policy("10/s burst 1"))

    assert not store.hit_now("limited", slow).allowed


def test_the_number_of_keys_is_capped() -> None:
    store = MemoryStore(clock=FakeClock(), max_keys=10)
    slow = policy("1/hour burst 1")

    for n in range(50):
        store.hit_now(f"caller-{n}", slow)

    assert len(store) == 10
    assert not store.hit_now("caller-49", slow).allowed  # the newest keys are kept


def test_sweep_drops_every_expired_key() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    for n in range(20):
        store.hit_now(f"short-{n}", policy("10/s burst 1"))
    store.hit_now("long", policy("1/hour burst 1"))
    clock.now += 5

    assert store.sweep() == 20
    assert len(store) == 1


def test_a_refusal_does_not_change_the_state() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    one = policy("1/min burst 1")
    store.hit_now("k", one)

    refusals = [store.hit_now("k", one) for _ in range(100)]
    clock.now += 60

    assert not any(d.allowed for d in refusals)
    assert store.hit_now("k", one).allowed
