"""The OAuth migration creates exactly the OAuth models, on both engines."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData

from gateway.oauth import models
from strata.db import Database


def _oauth_only(metadata: MetaData) -> MetaData:
    subset = MetaData(naming_convention=metadata.naming_convention)
    for table in metadata.sorted_tables:
        if table.name.startswith("oauth_"):
            table.to_metadata(subset)
    return subset


def _touches_oauth(difference: object) -> bool:
    return "oauth_" in repr(difference)


async def test_migration_matches_the_models(database: Database) -> None:
    target = _oauth_only(models.Base.metadata)
    assert len(target.tables) == 8

    def diff(connection: object) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})  # type: ignore[arg-type]
        return [d for d in compare_metadata(context, target) if _touches_oauth(d)]

    async with database.engine.connect() as connection:
        differences = await connection.run_sync(diff)
    assert differences == []
