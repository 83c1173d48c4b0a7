"""Throttling failed authentication: passwords at sign-in, client secrets at the token,
introspection and revocation endpoints, and bearer tokens the data path refuses.

Only failures count, each against two GCRA buckets (the rate limiter's policies and stores):
one for the account (a username or a client id) *from one address*, and one for the address
whatever the account. Before the costly check (an argon2 hash) both are peeked; once either
has no failure left, the attempt is refused at once with the time to wait, so a flood of
wrong secrets costs no hashing. The account bucket is per address on purpose: an attacker
elsewhere can exhaust only their own address's buckets, never lock the real user out, and a
spent bucket refills by itself (a short lock, never a permanent one).

With Redis the buckets are shared by every gateway process; without it, or while Redis is
unreachable, they live in this process's memory.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

import structlog
from pydantic import BaseModel, ConfigDict
from starlette.requests import HTTPConnection

from gateway.ratelimit.config import Rate
from gateway.ratelimit.limiter import ip_identity
from gateway.ratelimit.memory import MemoryStore
from gateway.ratelimit.policy import Decision, Policy
from gateway.ratelimit.redis_store import RedisStore
from gateway.ratelimit.store import Store, StoreUnavailable

log = structlog.get_logger(__name__)

KEY_PREFIX = "strata:authfail:"


class ThrottleSettings(BaseModel):
    """Failed authentications allowed before further attempts wait
    (``STRATA_OAUTH__THROTTLE__PER_ACCOUNT="5/min burst 5"``).

    ``per_account``: failures of one username or client id from one address; with the default
    a sixth wrong password in a row waits 12 s, and one more may follow every 12 s.
    ``per_address``: failures of any kind from one address (passwords, client secrets, bearer
    tokens refused by the data path).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    per_account: Rate = Rate(requests=5, period_seconds=60, burst=5)
    per_address: Rate = Rate(requests=60, period_seconds=60, burst=30)


class Throttled(Exception):
    """The attempt was refused before it was checked; ``retry_after`` is in whole seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed attempts; retry after {retry_after} s")
        self.retry_after = retry_after


def address_of(connection: HTTPConnection) -> str | None:
    """The address a request came from, as the throttle keys it."""
    return connection.client.host if connection.client else None


class FailureThrottle:
    def __init__(
        self, settings: ThrottleSettings, store: Store, *, key_prefix: str = KEY_PREFIX
    ) -> None:
        self._store = store
        self._prefix = key_prefix
        self._fallback = MemoryStore()
        self._account = Policy.compile("failures per account", "write", settings.per_account, "")
        self._address = Policy.compile("failures per address", "write", settings.per_address, "")

    @classmethod
    def build(cls, settings: ThrottleSettings, redis_url: str | None) -> FailureThrottle:
        store: Store = RedisStore.from_url(redis_url) if redis_url else MemoryStore()
        return cls(settings, store)

    async def check(self, kind: str, account: str | None, address: str | None) -> None:
        """Raises :class:`Throttled` when ``account`` from ``address`` (or ``address`` alone)
        has no failure left."""
        waits = [
            decision.retry_after
            for key, policy in self._buckets(kind, account, address)
            if not (decision := await self._peek(key, policy)).allowed
        ]
        if waits:
            raise Throttled(max(1, math.ceil(max(waits))))

    async def failed(self, kind: str, account: str | None, address: str | None) -> None:
        """Counts one failure of ``account`` from ``address``."""
        for key, policy in self._buckets(kind, account, address):
            await self._hit(key, policy)

    def _buckets(
        self, kind: str, account: str | None, address: str | None
    ) -> Sequence[tuple[str, Policy]]:
        where = ip_identity(address)
        buckets = [(f"{self._prefix}addr:{where}", self._address)]
        if account:
            # Hashed: usernames and client ids are attacker-chosen text.
            who = hashlib.sha256(account.strip().lower().encode("utf-8", "replace")).hexdigest()
            buckets.append((f"{self._prefix}{kind}:{who[:32]}:{where}", self._account))
        return buckets

    async def _peek(self, key: str, policy: Policy) -> Decision:
        try:
            return await self._store.peek(key, policy)
        except StoreUnavailable as exc:
            log.warning("authentication throttle store unavailable", error=str(exc))
            return await self._fallback.peek(key, policy)

    async def _hit(self, key: str, policy: Policy) -> None:
        try:
            await self._store.hit(key, policy)
        except StoreUnavailable as exc:
            log.warning("authentication throttle store unavailable", error=str(exc))
            await self._fallback.hit(key, policy)

    async def aclose(self) -> None:
        await self._store.aclose()
