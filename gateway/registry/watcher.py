"""Keeps a process's route table in step with the registry.

The watcher loads the table at start, then polls the registry revision (one read of one
row) and rebuilds the table whenever the revision differs. With Redis configured, each change
made in this process is also published, and every watcher subscribed to the channel reloads
at once; the poll stays as the safety net for a lost notice or a Redis outage.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from types import TracebackType

import structlog
from redis.asyncio import Redis

from gateway.registry.service import RegistryService
from gateway.routes import RouteTable, RouteTableHolder

log = structlog.get_logger(__name__)

ReloadListener = Callable[[RouteTable], Awaitable[None]]

DEFAULT_CHANNEL = "strata:registry:changed"
DEFAULT_POLL_SECONDS = 0.5
_MAX_BACKOFF_SECONDS = 5.0


class RegistryWatcher:
    def __init__(
        self,
        service: RegistryService,
        holder: RouteTableHolder,
        *,
        poll_seconds: float = DEFAULT_POLL_SECONDS,
        redis_url: str | None = None,
        channel: str = DEFAULT_CHANNEL,
    ) -> None:
        if poll_seconds <= 0:
            raise ValueError("poll_seconds must be positive")
        self.service = service
        self.holder = holder
        self.poll_seconds = poll_seconds
        self.channel = channel
        self._redis_url = redis_url
        self._redis: Redis | None = None
        self._wake = asyncio.Event()
        self._reload_lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self._reload_listeners: list[ReloadListener] = []

    def add_reload_listener(self, listener: ReloadListener) -> None:
        """``listener(table)`` is awaited after each new route table is in place, whichever
        process made the change that brought it."""
        self._reload_listeners.append(listener)

    @property
    def revision(self) -> int:
        return self.holder.current.revision

    async def start(self) -> None:
        """Loads the table (errors propagate: a gateway that cannot read its registry should
        not start), then watches in the background."""
        if self._tasks:
            return
        await self.reload()
        self.service.add_change_listener(self._on_local_change)
        self._tasks.append(asyncio.create_task(self._poll_forever(), name="registry-poll"))
        if self._redis_url:
            self._redis = Redis.from_url(self._redis_url)
            self._tasks.append(asyncio.create_task(self._listen_forever(), name="registry-redis"))

    async def stop(self) -> None:
        self.service.remove_change_listener(self._on_local_change)
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._redis is not None:
            redis, self._redis = self._redis, None
            await redis.aclose()

    async def __aenter__(self) -> RegistryWatcher:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    async def refresh(self) -> bool:
        """Rebuilds the table if the registry revision moved; True when it did."""
        if await self.service.revision() == self.revision:
            return False
        await self.reload()
        return True

    async def reload(self) -> None:
        async with self._reload_lock:
            table = await self.service.route_table()
            if table != self.holder.current:
                self.holder.replace(table)
                log.info("route table reloaded", revision=table.revision, apis=len(table.routes))
                await self._tell_listeners(table)

    async def _tell_listeners(self, table: RouteTable) -> None:
        for listener in list(self._reload_listeners):
            try:
                await listener(table)
            except Exception:
                # The table is in place; a listener's trouble must not stop routing.
                log.exception("route table listener failed", revision=table.revision)

    async def _on_local_change(self, revision: int) -> None:
        # Reload before answering, so a just-registered API is routable here at once.
        try:
            await self.reload()
        finally:
            await self._publish(revision)

    async def _publish(self, revision: int) -> None:
        if self._redis is None:
            return
        try:
            await self._redis.publish(self.channel, str(revision))
        except Exception as exc:
            log.warning("could not publish a registry change; peers will poll", error=str(exc))

    async def _poll_forever(self) -> None:
        failures = 0
        while True:
            delay = self.poll_seconds
            if failures:
                delay = max(delay, min(delay * 2**failures, _MAX_BACKOFF_SECONDS))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._wake.wait()
            self._wake.clear()
            try:
                await self.refresh()
                failures = 0
            except Exception as exc:
                failures = min(failures + 1, 4)
                log.warning("registry poll failed; will retry", error=str(exc))

    async def _listen_forever(self) -> None:
        assert self._redis is not None
        failures = 0
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    failures = 0
                    # A change may have happened while unsubscribed: check once now.
                    self._wake.set()
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self._wake.set()
            except Exception as exc:
                failures = min(failures + 1, 5)
                # Once per outage: the poll keeps the table right meanwhile.
                report = log.warning if failures == 1 else log.debug
                report("registry notices unavailable; polling only", error=str(exc))
                await asyncio.sleep(min(0.25 * 2**failures, _MAX_BACKOFF_SECONDS))


async def publish_change(redis_url: str, revision: int, channel: str = DEFAULT_CHANNEL) -> None:
    """Tells running gateways about a change made outside them (e.g. by the CLI)."""
    redis = Redis.from_url(redis_url)
    try:
        await redis.publish(channel, str(revision))
    finally:
        await redis.aclose()
