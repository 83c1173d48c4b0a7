"""The circuit breaker's state machine, on a clock the test moves."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.proxy import BreakerState, CircuitBreaker
from gateway.proxy.breaker import Clock
from gateway.proxy.upstream import Remote, Target, TargetPool


@dataclass
class FakeClock:
    now: float = 100.0

    def __call__(self) -> float:
        return self.now


def breaker(clock: Clock, changes: list[BreakerState] | None = None) -> CircuitBreaker:
    return CircuitBreaker(
        3, 10.0, clock=clock, listener=changes.append if changes is not None else None
    )


def test_it_opens_after_n_consecutive_failures_only():
    clock = FakeClock()
    b = breaker(clock)

    b.failed()
    b.failed()
    b.succeeded()  # a success resets the count
    b.failed()
    b.failed()
    assert b.state is BreakerState.CLOSED
    b.failed()

    assert b.state is BreakerState.OPEN
    assert not b.allow()


def test_after_the_cool_down_exactly_one_trial_goes_through():
    clock = FakeClock()
    changes: list[BreakerState] = []
    b = breaker(clock, changes)
    for _ in range(3):
        b.failed()

    clock.now += 9.9
    assert not b.allow()
    assert b.retry_after() > 0
    clock.now += 0.2
    assert b.allow()
    assert b.state is BreakerState.HALF_OPEN
    assert not b.allow()  # the trial is in flight

    b.succeeded()
    assert b.state is BreakerState.CLOSED
    assert b.allow()
    assert changes == [BreakerState.OPEN, BreakerState.HALF_OPEN, BreakerState.CLOSED]


def test_a_failed_trial_opens_it_again_for_a_full_cool_down():
    clock = FakeClock()
    b = breaker(clock)
    for _ in range(3):
        b.failed()
    clock.now += 11
    assert b.allow()

    b.failed()

    assert b.state is BreakerState.OPEN
    clock.now += 9
    assert not b.allow()
    clock.now += 2
    assert b.allow()


def test_an_abandoned_trial_lets_the_next_request_try():
    clock = FakeClock()
    b = breaker(clock)
    for _ in range(3):
        b.failed()
    clock.now += 11
    assert b.allow()

    b.abandoned()

    assert b.allow()


def test_a_late_success_does_not_close_an_open_circuit():
    clock = FakeClock()
    b = breaker(clock)
    for _ in range(3):
        b.failed()

    b.succeeded()

    assert b.state is BreakerState.OPEN


def test_the_pool_goes_round_robin_and_skips_open_targets():
    clock = FakeClock()
    targets = [
        Target(f"http://t{n}", breaker(clock), remote=Remote.parse(f"http://t{n}"))
        for n in range(3)
    ]
    pool = TargetPool(targets)

    assert [pool.choose() for _ in range(4)] == [targets[0], targets[1], targets[2], targets[0]]
    for _ in range(3):
        targets[1].breaker.failed()
    assert [pool.choose() for _ in range(4)] == [targets[2], targets[0], targets[2], targets[0]]
    assert pool.choose(exclude=[targets[2], targets[0]]) is None
    for target in targets:
        for _ in range(3):
            target.breaker.failed()
    assert pool.choose() is None
    assert 0 < pool.retry_after() <= 10
