"""The embedded store: GCRA in this process's memory (the default without Redis).

Each key holds its TAT in an ``OrderedDict`` kept in order of last update. A key whose TAT
has passed means the same as an absent key, so every hit drops a few such keys from the
oldest end; the dict therefore only holds keys updated within the longest policy window
(and never more than ``max_keys``: beyond that the least recently updated key is dropped,
which only ever gives that caller a fresh burst). The hit does not await between reading
and writing the TAT, so concurrent tasks on one event loop cannot race.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from gateway.ratelimit.config import MICROSECONDS
from gateway.ratelimit.policy import Decision, Policy, decision

# Dropping at most this many keys per hit keeps every hit cheap while still draining
# expired keys many times faster than new ones can arrive.
_EVICTIONS_PER_HIT = 16


class MemoryStore:
    """GCRA in memory. ``clock`` returns seconds (monotonic by default; tests inject one)."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 1_000_000,
    ) -> None:
        self._clock = clock
        self._max_keys = max_keys
        self._tats: OrderedDict[str, int] = OrderedDict()

    def __len__(self) -> int:
        return len(self._tats)

    async def hit(self, key: str, policy: Policy) -> Decision:
        return self.hit_now(key, policy)

    def hit_now(self, key: str, policy: Policy) -> Decision:
        """The synchronous core of :meth:`hit`."""
        now = int(self._clock() * MICROSECONDS)
        tats = self._tats
        tat = max(tats.get(key, now), now)
        new_tat = tat + policy.interval_us
        retry_us = new_tat - policy.tolerance_us - now
        if retry_us > 0:
            return decision(policy, False, 0, tat - now, retry_us)
        tats[key] = new_tat
        tats.move_to_end(key)
        self._evict(now)
        reset_us = new_tat - now
        remaining = (policy.tolerance_us - reset_us) // policy.interval_us
        return decision(policy, True, remaining, reset_us, 0)

    async def peek(self, key: str, policy: Policy) -> Decision:
        now = int(self._clock() * MICROSECONDS)
        tat = max(self._tats.get(key, now), now)
        retry_us = tat + policy.interval_us - policy.tolerance_us - now
        if retry_us > 0:
            return decision(policy, False, 0, tat - now, retry_us)
        # As the hit would answer: what is left, and the reset, once this one is counted.
        reset_us = tat + policy.interval_us - now
        remaining = (policy.tolerance_us - reset_us) // policy.interval_us
        return decision(policy, True, remaining, reset_us, 0)

    def _evict(self, now: int) -> None:
        tats = self._tats
        for _ in range(_EVICTIONS_PER_HIT):
            oldest, tat = next(iter(tats.items()))
            if tat > now and len(tats) <= self._max_keys:
                return
            del tats[oldest]
            if not tats:
                return

    def sweep(self) -> int:
        """Drops every expired key now (a full scan); returns how many were dropped."""
        now = int(self._clock() * MICROSECONDS)
        expired = [key for key, tat in self._tats.items() if tat <= now]
        for key in expired:
            del self._tats[key]
        return len(expired)

    async def aclose(self) -> None:
        self._tats.clear()
