"""Sales orders in storage: create (one per external id, even under concurrent requests),
lookups, search and status changes by a single conditional UPDATE."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from strata.db import Database
from system_apis.backends.erp.customers.service import find_customer
from system_apis.backends.erp.errors import (
    ErpFault,
    invalid_field,
    invalid_reference,
    record_not_found,
)
from system_apis.backends.erp.keys import Key
from system_apis.backends.erp.models import ErpCustomer, ErpSalesOrder, ErpSalesOrderLine
from system_apis.backends.erp.numbering import next_document_number
from system_apis.backends.erp.paging import PageRequest
from system_apis.backends.erp.sales_orders.documents import OrderInput
from system_apis.backends.erp.statuses import illegal_order_change, order_sources
from system_apis.backends.erp.wire import now_to_the_second

RECORD_TYPE = "salesOrder"


async def find_order(session: AsyncSession, key: Key) -> ErpSalesOrder | None:
    result = await session.execute(
        select(ErpSalesOrder)
        .where(key.matches(ErpSalesOrder))
        .execution_options(
            populate_existing=True,
        ),
    )
    return result.unique().scalar_one_or_none()


async def get_order(session: AsyncSession, key: Key) -> ErpSalesOrder:
    order = await find_order(session, key)
    if order is None:
        raise record_not_found(RECORD_TYPE, str(key))
    return order


def _entity_filter(entity: Key) -> ColumnElement[bool]:
    return ErpSalesOrder.entity.in_(
        select(ErpCustomer.internal_id).where(entity.matches(ErpCustomer)),
    )


async def search_orders(
    session: AsyncSession,
    page: PageRequest,
    *,
    entity: Key | None = None,
    statuses: list[str] | None = None,
) -> tuple[list[ErpSalesOrder], int]:
    filters: list[ColumnElement[bool]] = []
    if entity is not None:
        filters.append(_entity_filter(entity))
    if statuses:
        filters.append(ErpSalesOrder.status.in_(statuses))
    total = (
        await session.execute(
            select(func.count()).select_from(ErpSalesOrder).where(*filters),
        )
    ).scalar_one()
    result = await session.execute(
        select(ErpSalesOrder)
        .where(*filters)
        .order_by(ErpSalesOrder.internal_id)
        .offset(page.offset)
        .limit(page.page_size),
    )
    return list(result.unique().scalars()), total


def _same_order_or_conflict(
    existing: ErpSalesOrder,
    customer: ErpCustomer | None,
) -> tuple[ErpSalesOrder, bool]:
    if customer is None or existing.entity != customer.internal_id:
        raise ErpFault(
            409,
            "DUP_RCRD",
            f"External id {existing.external_id} is already used by sales order "
            f"{existing.tran_id} of another customer.",
            field="salesOrder@externalId",
        )
    return existing, False


async def _insert(session: AsyncSession, data: OrderInput, customer: ErpCustomer) -> ErpSalesOrder:
    now = now_to_the_second()
    order = ErpSalesOrder(
        tran_id=await next_document_number(session, RECORD_TYPE),
        external_id=data.external_id,
        customer=customer,
        tran_date=data.tran_date or now.date(),
        currency=data.currency or customer.currency,
        status=data.status,
        memo=data.memo,
        total=data.total,
        created_date=now,
        last_modified_date=now,
        lines=[
            ErpSalesOrderLine(
                line=number,
                item=line.item,
                quantity=line.quantity,
                rate=line.rate,
                amount=line.amount,
            )
            for number, line in enumerate(data.lines, start=1)
        ],
    )
    session.add(order)
    await session.flush()
    return order


def _usable(customer: ErpCustomer | None, entity: Key) -> ErpCustomer:
    if customer is None:
        raise invalid_reference("salesOrder.entity", str(entity))
    if customer.is_inactive:
        raise invalid_field("salesOrder.entity", f"customer {customer.entity_id} is inactive")
    return customer


async def create_order(database: Database, data: OrderInput) -> tuple[ErpSalesOrder, bool]:
    """Creates the order; an external id already used returns that order (created: False)."""
    external = Key(external_id=data.external_id) if data.external_id else None
    try:
        async with database.session() as session:
            customer = await find_customer(session, data.entity)
            existing = await find_order(session, external) if external else None
            if existing is not None:
                return _same_order_or_conflict(existing, customer)
            return await _insert(session, data, _usable(customer, data.entity)), True
    except IntegrityError:
        # Another request created the same external id between our check and our insert.
        if external is None:
            raise
        async with database.session() as session:
            existing = await find_order(session, external)
            if existing is None:
                raise
            return _same_order_or_conflict(existing, await find_customer(session, data.entity))


async def change_order_status(database: Database, key: Key, target: str) -> ErpSalesOrder:
    """Moves the order to ``target`` if the ERP's rules allow it from its current status.

    The rule is checked in the UPDATE itself, so two concurrent changes cannot both pass a
    check made on a status that one of them is about to change. Asking for the status the
    order already has changes nothing and succeeds (so a retried request is harmless).
    """
    async with database.session() as session:
        changed = await session.execute(
            update(ErpSalesOrder)
            .where(key.matches(ErpSalesOrder), ErpSalesOrder.status.in_(order_sources(target)))
            .values(status=target, last_modified_date=now_to_the_second())
            .returning(ErpSalesOrder.internal_id),
        )
        changed_id = changed.scalar_one_or_none()
        order = await get_order(session, Key(internal_id=changed_id) if changed_id else key)
        if changed_id is None and order.status != target:
            raise illegal_order_change(order.status, target)
        return order
