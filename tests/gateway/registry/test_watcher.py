"""The watcher: changes made through one process reach another's route table in time."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from gateway.registry.schemas import ApiUpdate
from gateway.registry.service import RegistryService
from gateway.registry.watcher import RegistryWatcher, publish_change
from gateway.routes import RouteTable, RouteTableHolder
from strata.db import Database

PROPAGATION_SECONDS = 2.0


async def eventually(condition: Callable[[], bool], within: float = PROPAGATION_SECONDS) -> float:
    """Seconds it took for ``condition`` to hold; fails after ``within``."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > within:
            pytest.fail(f"not within {within} s")
        await asyncio.sleep(0.02)
    return time.monotonic() - started


@pytest.fixture
async def other_process(database: Database) -> AsyncIterator[RegistryService]:
    """A second process's view of the same database: its own engine and service."""
    other = Database(database.url)
    try:
        yield RegistryService(other)
    finally:
        await other.dispose()


async def test_start_loads_the_table(service: RegistryService, make_registration: Any):
    await service.register(make_registration("orders"))
    holder = RouteTableHolder()
    async with RegistryWatcher(service, holder):
        assert holder.current.get("orders") is not None
        assert holder.current.revision == 1


async def test_changes_reach_another_process_by_polling(
    service: RegistryService, other_process: RegistryService, make_registration: Any
):
    here, there = RouteTableHolder(), RouteTableHolder()
    async with RegistryWatcher(service, here), RegistryWatcher(other_process, there):
        await service.register(make_registration("orders"))
        # The process that made the change routes it before the call returns.
        assert here.current.match("/process/orders/v1/orders") is not None
        await eventually(lambda: there.current.get("orders") is not None)

        await service.update("orders", ApiUpdate(targets=["http://moved.internal"]))
        await eventually(lambda: _targets(there.current, "orders") == ("http://moved.internal",))

        await service.delete("orders")
        await eventually(lambda: there.current.get("orders") is None)
        assert there.current.revision == await service.revision() == 3


async def test_changes_reach_another_process_through_redis(
    service: RegistryService,
    other_process: RegistryService,
    make_registration: Any,
    redis_url: str,
):
    channel = f"strata:test:{secrets.token_hex(4)}"
    here, there = RouteTableHolder(), RouteTableHolder()

    # Polls far apart: only the Redis notice can bring the change in time.
    def watcher(service: RegistryService, holder: RouteTableHolder) -> RegistryWatcher:
        return RegistryWatcher(
            service, holder, poll_seconds=60.0, redis_url=redis_url, channel=channel
        )

    async with watcher(service, here), watcher(other_process, there):
        await asyncio.sleep(0.3)  # both subscribed
        await service.register(make_registration("orders"))
        took = await eventually(lambda: there.current.get("orders") is not None)
        assert took < PROPAGATION_SECONDS

        # A change made outside any watcher (the CLI) is announced with publish_change.
        await other_process.update("orders", ApiUpdate(retries=4))
        await publish_change(redis_url, 0, channel)
        await eventually(lambda: _retries(here.current, "orders") == 4)


async def test_an_unreachable_redis_leaves_polling_working(
    service: RegistryService, other_process: RegistryService, make_registration: Any
):
    there = RouteTableHolder()
    watcher = RegistryWatcher(other_process, there, redis_url="redis://127.0.0.1:1/0")
    async with watcher:
        await service.register(make_registration("orders"))
        await eventually(lambda: there.current.get("orders") is not None)


class FlakyService(RegistryService):
    """Fails its revision reads a few times, as a database in a failover would."""

    def __init__(self, database: Database, failures: int) -> None:
        super().__init__(database)
        self.failures = failures

    async def revision(self) -> int:
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionError("database is restarting")
        return await super().revision()


async def test_a_failing_poll_is_retried_not_fatal(
    database: Database, service: RegistryService, make_registration: Any
):
    flaky = FlakyService(database, failures=2)
    holder = RouteTableHolder()
    watcher = RegistryWatcher(flaky, holder, poll_seconds=0.05)
    async with watcher:
        await service.register(make_registration("orders"))
        await eventually(lambda: holder.current.get("orders") is not None, within=5)
        assert flaky.failures == 0


async def test_stop_cancels_cleanly(service: RegistryService, redis_url: str):
    watcher = RegistryWatcher(service, RouteTableHolder(), redis_url=redis_url)
    await watcher.start()
    tasks = list(watcher._tasks)
    assert len(tasks) == 2
    await watcher.stop()
    assert all(task.done() for task in tasks)
    await watcher.stop()  # twice is harmless


def test_poll_interval_must_be_positive(service: RegistryService):
    with pytest.raises(ValueError):
        RegistryWatcher(service, RouteTableHolder(), poll_seconds=0)


def _targets(table: RouteTable, name: str) -> tuple[str, ...] | None:
    route = table.get(name)
    return route.targets if route else None


def _retries(table: RouteTable, name: str) -> int | None:
    route = table.get(name)
    return route.retries if route else None
