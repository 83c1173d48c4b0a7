"""Reload listeners hear of every new route table, whichever process changed the registry;
and a registration may only name scopes the authorization server can grant."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import ValidationError

from gateway.registry.addresses import AddressPolicy
from gateway.registry.service import RegistryService
from gateway.registry.watcher import RegistryWatcher
from gateway.routes import RouteTable, RouteTableHolder
from strata.db import Database


@pytest.fixture
async def other_process(
    database: Database, addresses: AddressPolicy
) -> AsyncIterator[RegistryService]:
    other = Database(database.url)
    try:
        yield RegistryService(other, addresses=addresses)
    finally:
        await other.dispose()


async def test_listeners_hear_of_changes_made_here_and_elsewhere(
    service: RegistryService, other_process: RegistryService, make_registration: Any
) -> None:
    heard: list[RouteTable] = []

    async def listener(table: RouteTable) -> None:
        heard.append(table)

    holder = RouteTableHolder()
    watcher = RegistryWatcher(service, holder, poll_seconds=0.05)
    watcher.add_reload_listener(listener)
    async with watcher:
        assert heard == []  # nothing registered yet, so no new table
        await service.register(make_registration("orders"))
        # The change made here is heard before the call returns.
        assert heard and heard[-1].get("orders") is not None

        await other_process.register(make_registration("billing", read_scope="billing:read"))
        started = time.monotonic()
        while not heard[-1].get("billing"):
            assert time.monotonic() - started < 2.0, "the change made elsewhere was not heard"
            await asyncio.sleep(0.02)
    assert heard[-1] is holder.current


async def test_a_failing_listener_does_not_stop_routing(
    service: RegistryService, make_registration: Any
) -> None:
    async def broken(table: RouteTable) -> None:
        raise RuntimeError("listener bug")

    holder = RouteTableHolder()
    watcher = RegistryWatcher(service, holder)
    watcher.add_reload_listener(broken)
    async with watcher:
        await service.register(make_registration("orders"))
        assert holder.current.match("/process/orders/v1/orders") is not None


@pytest.mark.parametrize("scope", ["Orders:Read", "orders/read", "orders:read:all:of:it", "9to5"])
def test_a_scope_the_gateway_cannot_grant_is_refused(make_registration: Any, scope: str) -> None:
    with pytest.raises(ValidationError) as caught:
        make_registration(read_scope=scope)
    error = caught.value.errors()[0]
    assert error["loc"] == ("read_scope",)
    assert "the gateway can grant" in error["msg"]
