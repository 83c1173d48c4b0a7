"""The process migration creates exactly the process layer's models, on both engines."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData

from process_apis.flows import models as flow_models
from process_apis.orders import models as order_models
from strata.db import Base, Database

PROCESS_TABLES = {
    flow_models.FlowRecord.__tablename__,
    flow_models.StepRecord.__tablename__,
    flow_models.FlowEvent.__tablename__,
    order_models.OrderRecord.__tablename__,
    order_models.IdempotencyKeyRecord.__tablename__,
}


def _process_only(metadata: MetaData) -> MetaData:
    subset = MetaData(naming_convention=metadata.naming_convention)
    for table in metadata.sorted_tables:
        if table.name in PROCESS_TABLES:
            table.to_metadata(subset)
    return subset


def _touches_process(difference: object) -> bool:
    return "process_" in repr(difference)


async def test_migration_matches_the_models(database: Database) -> None:
    target = _process_only(Base.metadata)
    assert set(target.tables) == PROCESS_TABLES

    def diff(connection: object) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})  # type: ignore[arg-type]
        return [d for d in compare_metadata(context, target) if _touches_process(d)]

    async with database.engine.connect() as connection:
        differences = await connection.run_sync(diff)
    assert differences == []
