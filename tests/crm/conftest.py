"""Fixtures for the CRM stand-in and its system API: a seeded CRM, its native client, and the
system API over it in this process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import stamina
from conftest import asgi_client
from starlette.types import ASGIApp

from crm.support import BACKEND_URL, SYSTEM_URL
from strata.db import Database
from system_apis.backends.crm import create_backend, seed
from system_apis.backends.faults import FaultState
from system_apis.common.backend_client import BackendClient
from system_apis.crm.app import create_api
from system_apis.demo import DemoWorld, build_world


@pytest.fixture(autouse=True)
def _attempts_as_configured() -> Iterator[None]:
    # Testing mode without waits, but each call keeps its own number of attempts, so a call
    # that must not be retried is tried once.
    with stamina.set_testing(True, attempts=3, cap=True):
        yield


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
def backend_app(seeded: Database, faults: FaultState) -> ASGIApp:
    # Batches as small as one record, so that paging shows with the demo world's 60 accounts.
    return create_backend(seeded, faults, min_batch_size=1)


@pytest.fixture
async def sf(backend_app: ASGIApp) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the seeded CRM's native (Salesforce-style) API."""
    async with asgi_client(backend_app, BACKEND_URL) as client:
        yield client


@pytest.fixture
async def api(backend_app: ASGIApp) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the CRM system API over the seeded CRM, in this process."""
    async with asgi_client(backend_app, BACKEND_URL) as http:
        backend = BackendClient("crm", http, timeout=5.0, retries=2)
        async with asgi_client(create_api(backend), SYSTEM_URL) as client:
            yield client
