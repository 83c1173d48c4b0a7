"""The database layer: migrations reach the models, and times stay UTC on every engine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, Table, select

from strata.db import Database, UTCDateTime
from strata.tables import metadata


async def test_migrations_create_exactly_the_models(database: Database) -> None:
    def diff(connection: object) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})  # type: ignore[arg-type]
        return list(compare_metadata(context, metadata))

    async with database.engine.connect() as connection:
        differences = await connection.run_sync(diff)
    assert differences == []


async def test_utc_datetimes_round_trip_aware(database: Database) -> None:
    scratch = MetaData()
    table = Table(
        "scratch_times",
        scratch,
        Column("id", Integer, primary_key=True),
        Column("at", UTCDateTime()),
    )
    async with database.engine.begin() as connection:
        await connection.run_sync(scratch.create_all)
    try:
        local = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))
        async with database.engine.begin() as connection:
            await connection.execute(table.insert().values(id=1, at=local))
            stored = (await connection.execute(select(table.c.at))).scalar_one()
        assert stored == local
        assert stored.tzinfo is not None and stored.utcoffset() == timedelta(0)
        assert stored.hour == 1
    finally:
        async with database.engine.begin() as connection:
            await connection.run_sync(scratch.drop_all)


async def test_naive_datetimes_are_refused(database: Database) -> None:
    scratch = MetaData()
    table = Table(
        "scratch_naive",
        scratch,
        Column("id", Integer, primary_key=True),
        Column("at", UTCDateTime()),
    )
    async with database.engine.begin() as connection:
        await connection.run_sync(scratch.create_all)
    try:
        with pytest.raises(Exception, match="naive datetime"):
            async with database.engine.begin() as connection:
                await connection.execute(table.insert().values(id=1, at=datetime(2026, 1, 1)))
    finally:
        async with database.engine.begin() as connection:
            await connection.run_sync(scratch.drop_all)
    assert datetime.now(UTC).tzinfo is UTC
