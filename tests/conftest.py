"""Shared fixtures: a migrated database on SQLite and on PostgreSQL, and in-process clients.

Database tests run on both engines. PostgreSQL is taken from ``STRATA_TEST_POSTGRES_URL``
(default: the local server's ``test`` database); each test session creates a database of its
own there and drops it at the end. When the server is unreachable the PostgreSQL cases are
skipped with the reason, unless ``STRATA_TEST_REQUIRE_SERVICES=1`` (as CI sets), which makes
them fail instead.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import redis
import stamina
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from strata.db import Database
from strata.http import in_process, layer_client
from strata.migrate import upgrade_database
from strata.tables import metadata

# The acceptance modules share their service fixtures (workdir, east).
pytest_plugins = ("tests.acceptance_support",)

POSTGRES_URL = os.environ.get(
    "STRATA_TEST_POSTGRES_URL",
    "postgresql+psycopg://postgres@127.0.0.1:5432/test",
)
REDIS_URL = os.environ.get("STRATA_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REQUIRE_SERVICES = os.environ.get("STRATA_TEST_REQUIRE_SERVICES") == "1"
T = TypeVar("T")


@pytest.fixture(autouse=True, scope="session")
def _no_retry_waits() -> None:
    stamina.set_testing(True, attempts=3, cap=True)


def _run_in_own_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    """Runs set-up work to completion from sync session fixtures, which may be first
    requested from inside a running test loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def _migrate(url: str) -> None:
    database = Database(url)
    try:
        await upgrade_database(database)
    finally:
        await database.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (much faster than migrating each time)."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    _run_in_own_loop(_migrate(_sqlite_url(path)))
    return path


async def _create_postgres_database() -> str:
    name = f"strata_test_{secrets.token_hex(4)}"
    admin = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    await _migrate(url)
    return url


async def _drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    admin = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL database of this test session's own."""
    try:
        url = _run_in_own_loop(_create_postgres_database())
    except Exception as exc:
        message = f"PostgreSQL is not reachable at {POSTGRES_URL}: {exc}"
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message + " (set STRATA_TEST_REQUIRE_SERVICES=1 to fail instead)")
    yield url
    _run_in_own_loop(_drop_postgres_database(url))


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis server named by ``STRATA_TEST_REDIS_URL``, checked once; unreachable, its tests
    are skipped with the reason (or fail, with ``STRATA_TEST_REQUIRE_SERVICES=1``)."""
    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        try:
            client.ping()
        finally:
            client.close()
    except (redis.RedisError, OSError, ValueError) as exc:
        message = f"Redis is not reachable at {REDIS_URL}: {exc}"
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message + " (set STRATA_TEST_REQUIRE_SERVICES=1 to fail instead)")
    return REDIS_URL


async def _truncate_all(database: Database) -> None:
    tables = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
    if tables:
        async with database.engine.begin() as connection:
            await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """An empty, migrated database: a fresh SQLite file, or the session's PostgreSQL database
    with every table emptied."""
    if request.param == "sqlite":
        path = tmp_path / "strata.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        db = Database(_sqlite_url(path))
    else:
        db = Database(request.getfixturevalue("postgres_url"))
        await _truncate_all(db)
    try:
        yield db
    finally:
        await db.dispose()


def asgi_client(app: object, base_url: str = "http://testserver") -> httpx.AsyncClient:
    """An httpx client that calls ``app`` in this process, carrying request ids like a layer."""
    return layer_client(base_url, in_process(app))
