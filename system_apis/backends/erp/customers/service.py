"""Customer records in storage: lookups, search, balances, create and upsert."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from sqlalchemy import ColumnElement, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from strata.db import Database
from system_apis.backends.erp.customers.documents import Balance, CustomerInput
from system_apis.backends.erp.errors import ErpFault, invalid_field, record_not_found
from system_apis.backends.erp.keys import Key
from system_apis.backends.erp.models import ErpCustomer, ErpInvoice
from system_apis.backends.erp.numbering import next_document_number
from system_apis.backends.erp.paging import PageRequest
from system_apis.backends.erp.statuses import INVOICE_OPEN
from system_apis.backends.erp.wire import now_to_the_second

RECORD_TYPE = "customer"


async def find_customer(session: AsyncSession, key: Key) -> ErpCustomer | None:
    result = await session.execute(select(ErpCustomer).where(key.matches(ErpCustomer)))
    return result.scalar_one_or_none()


async def get_customer(session: AsyncSession, key: Key) -> ErpCustomer:
    customer = await find_customer(session, key)
    if customer is None:
        raise record_not_found(RECORD_TYPE, str(key))
    return customer


async def customer_balances(
    session: AsyncSession,
    customer_ids: list[int],
    today: date,
) -> dict[int, list[Balance]]:
    """Open invoice balances per customer and currency (what the customer still owes)."""
    if not customer_ids:
        return {}
    remaining = ErpInvoice.amount_remaining
    overdue = case((ErpInvoice.due_date < today, remaining), else_=Decimal(0))
    rows = await session.execute(
        select(
            ErpInvoice.entity,
            ErpInvoice.currency,
            func.sum(remaining),
            func.sum(overdue),
            func.count(),
        )
        .where(ErpInvoice.entity.in_(customer_ids), ErpInvoice.status == INVOICE_OPEN)
        .group_by(ErpInvoice.entity, ErpInvoice.currency)
        .order_by(ErpInvoice.entity, ErpInvoice.currency),
    )
    balances: dict[int, list[Balance]] = {}
    for entity, currency, balance, overdue_balance, count in rows:
        balances.setdefault(entity, []).append(
            Balance(currency, Decimal(balance), Decimal(overdue_balance), count),
        )
    return balances


def _search_filters(
    external_id: str | None,
    email: str | None,
    name: str | None,
) -> list[ColumnElement[bool]]:
    filters: list[ColumnElement[bool]] = []
    if external_id:
        filters.append(ErpCustomer.external_id == external_id)
    if email:
        filters.append(func.lower(ErpCustomer.email) == email.lower())
    if name:
        needle = name.lower()
        filters.append(
            or_(
                func.lower(ErpCustomer.company_name).contains(needle, autoescape=True),
                func.lower(ErpCustomer.first_name).contains(needle, autoescape=True),
                func.lower(ErpCustomer.last_name).contains(needle, autoescape=True),
            )
        )
    return filters


async def search_customers(
    session: AsyncSession,
    page: PageRequest,
    *,
    external_id: str | None = None,
    email: str | None = None,
    name: str | None = None,
) -> tuple[list[ErpCustomer], int]:
    filters = _search_filters(external_id, email, name)
    total = (
        await session.execute(
            select(func.count()).select_from(ErpCustomer).where(*filters),
        )
    ).scalar_one()
    result = await session.execute(
        select(ErpCustomer)
        .where(*filters)
        .order_by(ErpCustomer.internal_id)
        .offset(page.offset)
        .limit(page.page_size),
    )
    return list(result.scalars()), total


def _duplicate(external_id: str | None) -> ErpFault:
    return ErpFault(
        409,
        "DUP_RCRD",
        f"A customer record with external id {external_id} already exists.",
        field="customer@externalId",
    )


async def _insert(session: AsyncSession, data: CustomerInput) -> ErpCustomer:
    now = now_to_the_second()
    customer = ErpCustomer(
        entity_id=await next_document_number(session, RECORD_TYPE),
        external_id=data.external_id,
        date_created=now,
        last_modified_date=now,
        **data.columns(),
    )
    session.add(customer)
    await session.flush()
    return customer


async def create_customer(database: Database, data: CustomerInput) -> ErpCustomer:
    try:
        async with database.session() as session:
            if data.external_id and await find_customer(session, Key(external_id=data.external_id)):
                raise _duplicate(data.external_id)
            return await _insert(session, data)
    except IntegrityError:
        raise _duplicate(data.external_id) from None


async def save_customer(
    database: Database,
    key: Key,
    data: CustomerInput,
) -> tuple[ErpCustomer, bool]:
    """Replaces the customer named by ``key``; an external id nobody has yet creates one.

    Returns the record and whether it was created. Two callers upserting the same new
    external id at once end with one record: the loser of the insert race updates instead.
    """
    if key.external_id is not None:
        if data.external_id not in (None, key.external_id):
            raise invalid_field("customer@externalId", "differs from the external id in the URL")
        data = replace(data, external_id=key.external_id)
    for attempt in range(2):
        try:
            async with database.session() as session:
                return await _update_or_insert(session, key, data)
        except IntegrityError:
            if attempt or key.external_id is None:
                raise _duplicate(data.external_id) from None
    raise AssertionError("unreachable")


async def _update_or_insert(
    session: AsyncSession,
    key: Key,
    data: CustomerInput,
) -> tuple[ErpCustomer, bool]:
    values = {**data.columns(), "last_modified_date": now_to_the_second()}
    if data.external_id is not None:
        values["external_id"] = data.external_id
    updated = await session.execute(
        update(ErpCustomer)
        .where(key.matches(ErpCustomer))
        .values(**values)
        .returning(ErpCustomer.internal_id),
    )
    internal_id = updated.scalar_one_or_none()
    if internal_id is not None:
        customer = await session.get(ErpCustomer, internal_id, populate_existing=True)
        assert customer is not None
        return customer, False
    if key.external_id is None:
        raise record_not_found(RECORD_TYPE, str(key))
    return await _insert(session, data), True
