"""Database steps shared by record writes and queries: ids, locks, references, uniqueness."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select, text
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from strata.db import utcnow
from system_apis.backends.crm.errors import SalesforceError
from system_apis.backends.crm.ids import salesforce_id
from system_apis.backends.crm.models import CrmIdSequence
from system_apis.backends.crm.records import to_millis
from system_apis.backends.crm.sobjects import FieldSpec, FieldType, SObjectSpec, sobject


def is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def now() -> datetime:
    return to_millis(utcnow())


def next_modified(previous: datetime) -> datetime:
    """LastModifiedDate moves forward on every save, even two saves in one millisecond."""
    return max(now(), previous + timedelta(milliseconds=1))


async def next_id(session: AsyncSession, key_prefix: str) -> str:
    """A new id for the object with ``key_prefix``, from one atomic increment."""
    insert = postgres_insert if is_postgres(session) else sqlite_insert
    statement = (
        insert(CrmIdSequence)
        .values(key_prefix=key_prefix, last_number=1)
        .on_conflict_do_update(
            index_elements=[CrmIdSequence.key_prefix],
            set_={"last_number": CrmIdSequence.last_number + 1},
        )
        .returning(CrmIdSequence.last_number)
    )
    number = (await session.execute(statement)).scalar_one()
    return salesforce_id(key_prefix, number)


async def reserve_numbers(session: AsyncSession, key_prefix: str, highest: int) -> None:
    """Makes sure new ids for ``key_prefix`` start after ``highest`` (used after seeding)."""
    insert = postgres_insert if is_postgres(session) else sqlite_insert
    statement = (
        insert(CrmIdSequence)
        .values(key_prefix=key_prefix, last_number=highest)
        .on_conflict_do_update(
            index_elements=[CrmIdSequence.key_prefix],
            set_={
                "last_number": case(
                    (CrmIdSequence.last_number < highest, highest),
                    else_=CrmIdSequence.last_number,
                )
            },
        )
    )
    await session.execute(statement)


async def lock_key(session: AsyncSession, key: str) -> None:
    """Serializes writers of one key on PostgreSQL (SQLite's BEGIN IMMEDIATE already does)."""
    if is_postgres(session):
        await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})


async def check_references(
    session: AsyncSession,
    spec: SObjectSpec,
    values: dict[FieldSpec, Any],
) -> None:
    """Each lookup must name a live record of the object it points to."""
    for field, value in values.items():
        if field.type is not FieldType.REFERENCE or value is None:
            continue
        target = sobject(field.reference_to or "")
        assert target is not None
        model: Any = target.model
        found = await session.scalar(
            select(model.id).where(model.id == value, model.is_deleted.is_(False))
        )
        if found is None:
            raise SalesforceError(
                400,
                "INVALID_CROSS_REFERENCE_KEY",
                f"{field.label}: invalid cross reference id: {value}",
                [field.name],
            )


async def check_unique(
    session: AsyncSession,
    spec: SObjectSpec,
    values: dict[FieldSpec, Any],
    *,
    record_id: str | None = None,
) -> None:
    """External ids are unique across the object, recycle bin included, as in Salesforce."""
    model: Any = spec.model
    for field, value in values.items():
        if not field.external_id or value is None:
            continue
        column = spec.column(field)
        query = select(model.id).where(column == value)
        if record_id is not None:
            query = query.where(model.id != record_id)
        holder = await session.scalar(query.limit(1))
        if holder is not None:
            raise duplicate_value(field, holder)


def duplicate_value(field: FieldSpec, holder: str | None) -> SalesforceError:
    where = f" on record with id: {holder}" if holder else ""
    return SalesforceError(
        400,
        "DUPLICATE_VALUE",
        f"duplicate value found: {field.name} duplicates value{where}",
        [field.name],
    )


async def count_rows(session: AsyncSession, model: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)
