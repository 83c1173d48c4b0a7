"""Fixtures for the inventory stand-in and its system API: a seeded store, a clock that tests
move forward, and clients for the store and the API over it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from conftest import asgi_client
from starlette.types import ASGIApp

from inventory.support import BACKEND_URL, SYSTEM_URL, FakeClock
from strata.db import Database
from system_apis.backends.faults import FaultState
from system_apis.backends.inventory import create_backend, seed
from system_apis.common.backend_client import BackendClient
from system_apis.demo import DemoWorld, build_world
from system_apis.inventory.app import create_api


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 17, 30, tzinfo=UTC))


@pytest.fixture
def world() -> DemoWorld:
    return build_world()


@pytest.fixture
async def seeded(database: Database, world: DemoWorld) -> Database:
    await seed(database, world)
    return database


@pytest.fixture
def faults() -> FaultState:
    return FaultState()


@pytest.fixture
def backend_app(seeded: Database, faults: FaultState, clock: FakeClock) -> ASGIApp:
    return create_backend(seeded, faults, clock=clock)


@pytest.fixture
async def shop(backend_app: ASGIApp) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the seeded store's native API."""
    async with asgi_client(backend_app, BACKEND_URL) as client:
        yield client


@pytest.fixture
async def api(backend_app: ASGIApp) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the inventory system API over the seeded store, in this process."""
    async with asgi_client(backend_app, BACKEND_URL) as http:
        backend = BackendClient("inventory", http, timeout=5.0, retries=2)
        async with asgi_client(create_api(backend), SYSTEM_URL) as client:
            yield client
