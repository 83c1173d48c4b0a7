"""Fixtures for the ERP: its backend alone, and the ERP system API over it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import stamina
from conftest import asgi_client

from strata.db import Database
from system_apis.backends.erp import create_backend, seed
from system_apis.backends.faults import FaultState
from system_apis.common.backend_client import BackendClient
from system_apis.demo import DemoWorld, build_world
from system_apis.erp.app import create_api


@pytest.fixture(autouse=True)
def _retries_as_configured() -> Iterator[None]:
    # Test mode with cap=True keeps "no waits" but honours each call's own attempt count, so
    # a call that must not be retried is not retried here either.
    with stamina.set_testing(True, attempts=3, cap=True):
        yield


@pytest.fixture(scope="session")
def world() -> DemoWorld:
    return build_world()


@pytest.fixture
def faults() -> FaultState:
    return FaultState()


@pytest.fixture
def backend_app(database: Database, faults: FaultState) -> object:
    return create_backend(database, faults)


@pytest.fixture
async def erp(backend_app: object) -> AsyncIterator[httpx.AsyncClient]:
    """The ERP's native API, called directly."""
    async with asgi_client(backend_app, "http://erp.backend") as client:
        yield client


@pytest.fixture
async def seeded(database: Database, world: DemoWorld) -> Database:
    await seed(database, world)
    return database


def make_api(backend_app: object, *, timeout: float = 2.0, retries: int = 2) -> httpx.AsyncClient:
    backend = BackendClient(
        "erp",
        asgi_client(backend_app, "http://erp.backend"),
        timeout=timeout,
        retries=retries,
    )
    return asgi_client(create_api(backend), "http://testserver")


@pytest.fixture
async def api(backend_app: object) -> AsyncIterator[httpx.AsyncClient]:
    """The ERP system API over the in-process backend."""
    async with make_api(backend_app) as client:
        yield client
