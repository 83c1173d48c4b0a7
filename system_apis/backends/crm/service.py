"""Record reads and writes of the CRM stand-in (the ``sobjects`` resource), each in one
transaction: a write that fails any check leaves nothing behind."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from strata.db import Database
from system_apis.backends.crm import rules
from system_apis.backends.crm.errors import (
    SalesforceError,
    entity_is_deleted,
    invalid_field,
    malformed_id,
    not_found,
)
from system_apis.backends.crm.ids import normalize_id
from system_apis.backends.crm.models import CrmContact, CrmTask
from system_apis.backends.crm.records import checked_fields, stored_value, to_wire
from system_apis.backends.crm.sobjects import ACCOUNT, FieldSpec, SObjectSpec
from system_apis.backends.crm.store import (
    check_references,
    check_unique,
    duplicate_value,
    lock_key,
    next_id,
    next_modified,
    now,
)


def record_id(spec: SObjectSpec, raw: str) -> str:
    """The 18-character id named in a URL, or MALFORMED_ID when it is not one of this object."""
    full = normalize_id(raw, spec.key_prefix)
    if full is None:
        id_field = spec.field("Id")
        assert id_field is not None
        raise malformed_id(id_field.label, raw)
    return full


def selected_fields(spec: SObjectSpec, names: str | None) -> tuple[FieldSpec, ...]:
    """The fields a ``?fields=`` parameter names, or every field."""
    if names is None:
        return spec.fields
    chosen = []
    for name in (part.strip() for part in names.split(",")):
        field = spec.field(name)
        if field is None:
            raise invalid_field(f"No such column '{name}' on sobject of type {spec.name}")
        if field not in chosen:
            chosen.append(field)
    return tuple(chosen)


class SObjects:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def read(
        self,
        spec: SObjectSpec,
        raw_id: str,
        fields: tuple[FieldSpec, ...],
        root: str,
    ) -> dict[str, Any]:
        identifier = record_id(spec, raw_id)
        async with self.database.session() as session:
            record = await _live(session, spec, identifier)
        return to_wire(spec, fields, _reader(record), root)

    async def read_by_external_id(
        self,
        spec: SObjectSpec,
        field_name: str,
        value: str,
        fields: tuple[FieldSpec, ...],
        root: str,
    ) -> dict[str, Any]:
        field = _external_id_field(spec, field_name)
        key = stored_value(field, value)
        async with self.database.session() as session:
            record = await _by_external_id(session, spec, field, key, lock=False)
        if record is None or record.is_deleted:
            raise not_found()
        return to_wire(spec, fields, _reader(record), root)

    async def create(self, spec: SObjectSpec, body: dict[str, Any]) -> str:
        values = checked_fields(spec, body, creating=True)
        columns = rules.insert_values(spec, values)
        async with self.database.session() as session:
            return await _insert(session, spec, values, columns)

    async def update(self, spec: SObjectSpec, raw_id: str, body: dict[str, Any]) -> None:
        identifier = record_id(spec, raw_id)
        async with self.database.session() as session:
            record = await _live(session, spec, identifier, lock=True)
            await _apply(session, spec, record, body)

    async def delete(self, spec: SObjectSpec, raw_id: str) -> None:
        identifier = record_id(spec, raw_id)
        async with self.database.session() as session:
            record = await _live(session, spec, identifier, lock=True)
            record.is_deleted = True
            record.last_modified_date = next_modified(record.last_modified_date)
            if spec is ACCOUNT:
                await _delete_children(session, identifier)

    async def upsert(
        self,
        spec: SObjectSpec,
        field_name: str,
        value: str,
        body: dict[str, Any],
    ) -> tuple[str, bool]:
        """Updates the record whose external id is ``value``, or creates it; returns the id
        and whether it was created."""
        field = _external_id_field(spec, field_name)
        key = stored_value(field, value)
        body = _without_key(body, field, key)
        async with self.database.session() as session:
            await lock_key(session, f"crm:{spec.name}:{field.name}:{key}")
            record = await _by_external_id(session, spec, field, key, lock=True)
            if record is not None:
                if record.is_deleted:
                    raise duplicate_value(field, record.id)
                await _apply(session, spec, record, body)
                return str(record.id), False
            values = checked_fields(spec, body, creating=True)
            values[field] = key
            columns = rules.insert_values(spec, values)
            return await _insert(session, spec, values, columns), True


def _reader(record: Any) -> Callable[[FieldSpec], Any]:
    return lambda field: getattr(record, field.column)


async def _live(
    session: AsyncSession,
    spec: SObjectSpec,
    identifier: str,
    *,
    lock: bool = False,
) -> Any:
    record: Any = await session.get(spec.model, identifier, with_for_update=lock)
    if record is None:
        raise not_found()
    if record.is_deleted:
        raise entity_is_deleted()
    return record


async def _by_external_id(
    session: AsyncSession,
    spec: SObjectSpec,
    field: FieldSpec,
    key: Any,
    *,
    lock: bool,
) -> Any:
    query = select(spec.model).where(spec.column(field) == key)
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def _insert(
    session: AsyncSession,
    spec: SObjectSpec,
    values: dict[FieldSpec, Any],
    columns: dict[str, Any],
) -> str:
    await check_references(session, spec, values)
    await check_unique(session, spec, values)
    identifier = await next_id(session, spec.key_prefix)
    created = now()
    session.add(
        spec.model(
            id=identifier,
            is_deleted=False,
            created_date=created,
            last_modified_date=created,
            **columns,
        )
    )
    await _flush(session, spec, values)
    return identifier


async def _apply(
    session: AsyncSession,
    spec: SObjectSpec,
    record: Any,
    body: dict[str, Any],
) -> None:
    values = checked_fields(spec, body, creating=False, current=_reader(record))
    columns = rules.update_values(spec, values, record)
    await check_references(session, spec, values)
    await check_unique(session, spec, values, record_id=record.id)
    for column, value in columns.items():
        setattr(record, column, value)
    record.last_modified_date = next_modified(record.last_modified_date)
    await _flush(session, spec, values)


async def _flush(session: AsyncSession, spec: SObjectSpec, values: dict[FieldSpec, Any]) -> None:
    try:
        await session.flush()
    except IntegrityError:
        # Another writer took the same external id between our check and our write.
        field = next((f for f in values if f.external_id), None)
        if field is None:
            raise
        raise duplicate_value(field, None) from None


async def _delete_children(session: AsyncSession, account_id: str) -> None:
    # Deleting an account takes its contacts and activities to the recycle bin with it.
    stamp = now()
    children: tuple[tuple[Any, Any], ...] = (
        (CrmContact, CrmContact.account_id),
        (CrmTask, CrmTask.what_id),
    )
    for model, column in children:
        await session.execute(
            update(model)
            .where(column == account_id, model.is_deleted.is_(False))
            .values(is_deleted=True, last_modified_date=stamp)
        )


def _external_id_field(spec: SObjectSpec, name: str) -> FieldSpec:
    field = spec.field(name)
    if field is None or not field.external_id:
        raise SalesforceError(
            404,
            "NOT_FOUND",
            f"Provided external ID field does not exist or is not accessible: {name}",
        )
    return field


def _without_key(body: dict[str, Any], field: FieldSpec, key: Any) -> dict[str, Any]:
    """The body without the external id, which the URL already gives (it must agree)."""
    rest = {}
    for name, value in body.items():
        if name.lower() == field.name.lower():
            if value != key:
                raise invalid_field(
                    f"{field.name}: the value in the body does not match the one in the URL",
                    [field.name],
                )
            continue
        rest[name] = value
    return rest
