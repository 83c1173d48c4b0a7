"""Fixtures for the process APIs: the system layer in process over a seeded database, and
the orders API over it with its runner."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from conftest import asgi_client

from process.support import Stack, build_stack
from process_apis.flows import RetryPolicy
from process_apis.orders.app import OrdersProcess, create_orders
from process_apis.orders.config import OrdersConfig
from strata.db import Database

ORDERS_URL = "http://process.test/process/orders/v1"
FAST = RetryPolicy(wait_initial=0.0, wait_max=0.0, resume_initial=0.05, resume_max=0.2)


@pytest.fixture
async def stack(database: Database) -> AsyncIterator[Stack]:
    built = await build_stack(database)
    try:
        yield built
    finally:
        await built.aclose()


@pytest.fixture
async def orders_process(stack: Stack) -> AsyncIterator[OrdersProcess]:
    process = create_orders(
        stack.clients,
        stack.database,
        config=OrdersConfig(poll_interval_seconds=0.05, lease_seconds=5),
        retry_policy=FAST,
    )
    try:
        yield process
    finally:
        await process.aclose()


@pytest.fixture
async def orders(orders_process: OrdersProcess) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the orders API, mounted at its real path."""
    from fastapi import FastAPI

    root = FastAPI()
    root.mount("/process/orders/v1", orders_process.api)
    async with asgi_client(root, "http://process.test") as client:
        yield client
