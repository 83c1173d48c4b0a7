"""What a rate limit store is: something that applies GCRA to one key atomically."""

from __future__ import annotations

from typing import Protocol

from gateway.ratelimit.policy import Decision, Policy


class StoreUnavailable(Exception):
    """The store could not be reached or did not answer in time."""


class Store(Protocol):
    async def hit(self, key: str, policy: Policy) -> Decision:
        """Counts one request against ``key`` under ``policy``, atomically, and decides."""
        ...

    async def peek(self, key: str, policy: Policy) -> Decision:
        """What :meth:`hit` would decide now, counting nothing (for limits that count only
        failures, checked before the costly work that may fail)."""
        ...

    async def aclose(self) -> None: ...
