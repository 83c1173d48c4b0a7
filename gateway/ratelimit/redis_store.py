"""The shared store: GCRA in Redis, one Lua script per decision (one round trip).

The script reads the key's TAT, decides and writes the new TAT in one atomic step, so any
number of gateway processes can hit the same key without races. It takes ``now`` from the
Redis server (``TIME``), never from the caller, so gateway nodes whose clocks disagree still
agree on every limit. Each written key expires (``PX``) when its TAT passes, the moment it
stops carrying information, so Redis never holds stale limits. The script is sent once
(``SCRIPT LOAD``) and then called by its SHA1 (``EVALSHA``); after a Redis restart or a
``SCRIPT FLUSH`` it is loaded again on the first ``NOSCRIPT``. Needs Redis 5 or later (script
effects replication, so ``TIME`` may precede a write).
"""

from __future__ import annotations

from collections.abc import Callable

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from gateway.ratelimit.config import MICROSECONDS
from gateway.ratelimit.policy import Decision, Policy, decision
from gateway.ratelimit.store import StoreUnavailable

# KEYS[1]: the key. ARGV: emission interval (µs), burst, offset added to the server time (µs).
# Returns {allowed (1/0), remaining, reset (µs), retry after (µs)}. Numbers stay whole
# microseconds, exact in Lua's doubles; '%.0f' keeps all digits when the TAT is written back.
# Both scripts read the key's TAT against the server's clock the same way.
_READ_TAT = """
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2]) + tonumber(ARGV[3])
local tolerance = interval * burst
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then
  tat = now
end
local new_tat = tat + interval
local reset = new_tat - now
local retry = new_tat - tolerance - now
if retry > 0 then
  return {0, 0, tat - now, retry}
end
"""
GCRA_SCRIPT = (
    _READ_TAT
    + """redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.ceil(reset / 1000))
return {1, math.floor((tolerance - reset) / interval), reset, 0}
"""
)
# The decision GCRA_SCRIPT would make now, read-only: nothing is written.
PEEK_SCRIPT = _READ_TAT + "return {1, math.floor((tolerance - reset) / interval), reset, 0}\n"


class RedisStore:
    """GCRA in Redis, shared by every gateway process that uses the same server.

    ``time_offset`` (seconds, default none) is added to the server's time: tests use it to
    move time forward without sleeping; production leaves it unset.
    """

    def __init__(
        self,
        redis: Redis,
        *,
        owns_client: bool = False,
        time_offset: Callable[[], float] | None = None,
    ) -> None:
        self._redis = redis
        self._owns_client = owns_client
        self._time_offset = time_offset
        self._script = redis.register_script(GCRA_SCRIPT)
        self._peek_script = redis.register_script(PEEK_SCRIPT)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        timeout: float = 0.25,
        max_connections: int = 64,
        time_offset: Callable[[], float] | None = None,
    ) -> RedisStore:
        """A store with a client (and connection pool) of its own.

        ``timeout`` bounds connecting, each answer, and the wait for a free pooled
        connection when ``max_connections`` are busy. A failed command is retried once at
        once (a pooled connection may have gone stale), never with back-off: a rate limit
        check must not stall a request.
        """
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=timeout,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), retries=1),
        )
        return cls(Redis.from_pool(pool), owns_client=True, time_offset=time_offset)

    async def load(self) -> None:
        """Loads the script now (optional: the first hit loads it otherwise)."""
        try:
            await self._redis.script_load(GCRA_SCRIPT)
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(f"Redis: {exc}") from exc

    async def hit(self, key: str, policy: Policy) -> Decision:
        return await self._run(self._script, key, policy)

    async def peek(self, key: str, policy: Policy) -> Decision:
        return await self._run(self._peek_script, key, policy)

    async def _run(self, script: AsyncScript, key: str, policy: Policy) -> Decision:
        offset = round(self._time_offset() * MICROSECONDS) if self._time_offset else 0
        try:
            allowed, remaining, reset_us, retry_us = await script(
                keys=[key],
                args=[policy.interval_us, policy.burst, offset],
            )
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(f"Redis: {exc}") from exc
        return decision(policy, allowed == 1, int(remaining), int(reset_us), int(retry_us))

    async def aclose(self) -> None:
        if self._owns_client:
            await self._redis.aclose()
