"""Passive health per target: a circuit breaker.

closed --(N consecutive failures)--> open --(cool-down)--> half-open (one trial request)
half-open --(trial succeeds)--> closed;  half-open --(trial fails)--> open again.

The data path runs on one event loop and none of these methods awaits, so the state moves
atomically without a lock.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable


class BreakerState(enum.IntEnum):
    """Values double as the breaker-state gauge: 0 closed, 1 half-open, 2 open."""

    CLOSED = 0
    HALF_OPEN = 1
    OPEN = 2


Clock = Callable[[], float]
StateListener = Callable[[BreakerState], None]


class CircuitBreaker:
    __slots__ = (
        "_clock",
        "_listener",
        "_opened_at",
        "_trial_in_flight",
        "cooldown_seconds",
        "failure_threshold",
        "failures",
        "state",
    )

    def __init__(
        self,
        failure_threshold: int,
        cooldown_seconds: float,
        *,
        clock: Clock = time.monotonic,
        listener: StateListener | None = None,
    ) -> None:
        self.failure_threshold = failure_threshold
        self.cooldown_seconds = cooldown_seconds
        self._clock = clock
        self._listener = listener
        self.state = BreakerState.CLOSED
        self.failures = 0
        self._opened_at = 0.0
        self._trial_in_flight = False

    def allow(self) -> bool:
        """Whether a request may go to this target now; in half-open, the first caller
        after the cool-down gets the one trial."""
        if self.state is BreakerState.CLOSED:
            return True
        if self.state is BreakerState.OPEN:
            if self._clock() - self._opened_at < self.cooldown_seconds:
                return False
            self._move(BreakerState.HALF_OPEN)
        if self._trial_in_flight:
            return False
        self._trial_in_flight = True
        return True

    def retry_after(self) -> float:
        """Seconds until an open breaker lets a trial through (0 when it would now)."""
        if self.state is not BreakerState.OPEN:
            return 0.0
        return max(0.0, self.cooldown_seconds - (self._clock() - self._opened_at))

    def succeeded(self) -> None:
        # A success from a request sent before the circuit opened proves little; only the
        # cool-down's trial may close an open circuit.
        if self.state is BreakerState.OPEN:
            return
        self.failures = 0
        self._trial_in_flight = False
        if self.state is BreakerState.HALF_OPEN:
            self._move(BreakerState.CLOSED)

    def failed(self) -> None:
        self._trial_in_flight = False
        if self.state is BreakerState.HALF_OPEN:
            self._open()
            return
        self.failures += 1
        if self.state is BreakerState.CLOSED and self.failures >= self.failure_threshold:
            self._open()

    def abandoned(self) -> None:
        """The request ended without a verdict (the client left): a half-open breaker
        lets the next request be the trial instead."""
        self._trial_in_flight = False

    def _open(self) -> None:
        self._opened_at = self._clock()
        self._move(BreakerState.OPEN)

    def _move(self, state: BreakerState) -> None:
        self.state = state
        if self._listener is not None:
            self._listener(state)
