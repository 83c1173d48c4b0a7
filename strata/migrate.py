"""Alembic migrations, run at start (``strata serve``) or by hand (``strata db upgrade``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection

from strata.db import Database

MIGRATIONS = Path(__file__).parent / "migrations"
# Any fixed number: held while one process migrates so that several starting at once take turns.
_MIGRATION_LOCK_ID = 0x5714A7A


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _upgrade(connection: Connection, config: Config) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID})
    config.attributes["connection"] = connection
    command.upgrade(config, "heads")


async def upgrade_database(database: Database) -> None:
    """Bring the schema to the newest revision of every branch."""
    async with database.engine.begin() as connection:
        await connection.run_sync(_upgrade, alembic_config(database.url))


@asynccontextmanager
async def migrated_database(url: str) -> AsyncIterator[Database]:
    """The database at ``url``, brought up to date, for one command-line operation."""
    database = Database(url)
    try:
        await upgrade_database(database)
        yield database
    finally:
        await database.dispose()
