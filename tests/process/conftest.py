"""Fixtures for the process APIs: the system layer in process over a seeded database, and
the orders API over it with its runner."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from process.support import Stack, build_stack, make_orders, orders_client
from process_apis.orders.app import OrdersProcess
from strata.db import Database


@pytest.fixture
async def stack(database: Database) -> AsyncIterator[Stack]:
    built = await build_stack(database)
    try:
        yield built
    finally:
        await built.aclose()


@pytest.fixture
async def orders_process(stack: Stack) -> AsyncIterator[OrdersProcess]:
    process = make_orders(stack)
    try:
        yield process
    finally:
        await process.aclose()


@pytest.fixture
async def orders(orders_process: OrdersProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with orders_client(orders_process) as client:
        yield client
