"""Invoices in storage: billing a sales order (once per external id, and once per order),
lookups, search, and voiding."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from strata.db import Database
from system_apis.backends.erp.errors import ErpFault, record_not_found
from system_apis.backends.erp.invoices.documents import InvoiceInput
from system_apis.backends.erp.keys import Key
from system_apis.backends.erp.models import ErpCustomer, ErpInvoice, ErpSalesOrder
from system_apis.backends.erp.numbering import next_document_number
from system_apis.backends.erp.paging import PageRequest
from system_apis.backends.erp.sales_orders.service import get_order
from system_apis.backends.erp.statuses import (
    BILLABLE,
    BILLED,
    INVOICE_OPEN,
    INVOICE_VOIDED,
    PENDING_BILLING,
    invoice_not_open,
    not_billable,
)
from system_apis.backends.erp.wire import now_to_the_second

RECORD_TYPE = "invoice"
PAYMENT_TERMS = timedelta(days=30)  # Net 30, the terms every customer here has


async def find_invoice(session: AsyncSession, key: Key) -> ErpInvoice | None:
    result = await session.execute(
        select(ErpInvoice).where(key.matches(ErpInvoice)).execution_options(populate_existing=True),
    )
    return result.unique().scalar_one_or_none()


async def get_invoice(session: AsyncSession, key: Key) -> ErpInvoice:
    invoice = await find_invoice(session, key)
    if invoice is None:
        raise record_not_found(RECORD_TYPE, str(key))
    return invoice


async def search_invoices(
    session: AsyncSession,
    page: PageRequest,
    *,
    entity: Key | None = None,
    created_from: Key | None = None,
    statuses: list[str] | None = None,
) -> tuple[list[ErpInvoice], int]:
    filters: list[ColumnElement[bool]] = []
    if entity is not None:
        filters.append(
            ErpInvoice.entity.in_(
                select(ErpCustomer.internal_id).where(entity.matches(ErpCustomer)),
            )
        )
    if created_from is not None:
        filters.append(
            ErpInvoice.created_from.in_(
                select(ErpSalesOrder.internal_id).where(created_from.matches(ErpSalesOrder)),
            )
        )
    if statuses:
        filters.append(ErpInvoice.status.in_(statuses))
    total = (
        await session.execute(
            select(func.count()).select_from(ErpInvoice).where(*filters),
        )
    ).scalar_one()
    result = await session.execute(
        select(ErpInvoice)
        .where(*filters)
        .order_by(ErpInvoice.internal_id)
        .offset(page.offset)
        .limit(page.page_size),
    )
    return list(result.unique().scalars()), total


def _same_invoice_or_conflict(existing: ErpInvoice, order_id: int) -> tuple[ErpInvoice, bool]:
    if existing.created_from != order_id:
        raise ErpFault(
            409,
            "DUP_RCRD",
            f"External id {existing.external_id} is already used by invoice {existing.tran_id} "
            f"of sales order {existing.sales_order.tran_id}.",
            field="invoice@externalId",
        )
    return existing, False


async def _bill(session: AsyncSession, order: ErpSalesOrder, data: InvoiceInput) -> ErpInvoice:
    now = now_to_the_second()
    tran_date = data.tran_date or now.date()
    invoice = ErpInvoice(
        tran_id=await next_document_number(session, RECORD_TYPE),
        external_id=data.external_id,
        sales_order=order,
        customer=order.customer,
        tran_date=tran_date,
        due_date=data.due_date or tran_date + PAYMENT_TERMS,
        currency=order.currency,
        status=INVOICE_OPEN,
        total=order.total,
        amount_paid=Decimal(0),
        amount_remaining=order.total,
        created_date=now,
        last_modified_date=now,
    )
    session.add(invoice)
    await session.flush()
    return invoice


async def _mark_billed(session: AsyncSession, order_id: int) -> bool:
    billed = await session.execute(
        update(ErpSalesOrder)
        .where(ErpSalesOrder.internal_id == order_id, ErpSalesOrder.status.in_(tuple(BILLABLE)))
        .values(status=BILLED, last_modified_date=now_to_the_second())
        .returning(ErpSalesOrder.internal_id),
    )
    return billed.scalar_one_or_none() is not None


async def _bill_once(
    session: AsyncSession,
    order_key: Key,
    data: InvoiceInput,
) -> tuple[ErpInvoice, bool]:
    order = await get_order(session, order_key)
    external = Key(external_id=data.external_id) if data.external_id else None
    existing = await find_invoice(session, external) if external else None
    if existing is not None:
        return _same_invoice_or_conflict(existing, order.internal_id)
    # The status check is part of the UPDATE: of two requests billing one order at once,
    # exactly one finds it billable.
    if not await _mark_billed(session, order.internal_id):
        # A concurrent request with our external id may have just billed it; on PostgreSQL
        # this statement sees that commit.
        existing = await find_invoice(session, external) if external else None
        if existing is not None:
            return _same_invoice_or_conflict(existing, order.internal_id)
        raise not_billable((await get_order(session, order_key)).status)
    order = await get_order(session, Key(internal_id=order.internal_id))
    return await _bill(session, order, data), True


async def bill_order(
    database: Database,
    order_key: Key,
    data: InvoiceInput,
) -> tuple[ErpInvoice, bool]:
    """Turns the order into an invoice for its total; the same external id returns the first
    invoice (created: False) instead of billing twice."""
    try:
        async with database.session() as session:
            return await _bill_once(session, order_key, data)
    except IntegrityError:
        if not data.external_id:
            raise
        async with database.session() as session:
            existing = await find_invoice(session, Key(external_id=data.external_id))
            if existing is None:
                raise
            order = await get_order(session, order_key)
            return _same_invoice_or_conflict(existing, order.internal_id)


async def void_invoice(database: Database, key: Key) -> ErpInvoice:
    """Voids an open invoice nobody has paid anything on; its order is billable again."""
    async with database.session() as session:
        voided = await session.execute(
            update(ErpInvoice)
            .where(
                key.matches(ErpInvoice),
                ErpInvoice.status == INVOICE_OPEN,
                ErpInvoice.amount_paid == Decimal(0),
            )
            .values(
                status=INVOICE_VOIDED,
                amount_remaining=Decimal(0),
                last_modified_date=now_to_the_second(),
            )
            .returning(ErpInvoice.internal_id, ErpInvoice.created_from),
        )
        row = voided.one_or_none()
        if row is None:
            invoice = await get_invoice(session, key)
            if invoice.status == INVOICE_VOIDED:
                return invoice
            if invoice.status == INVOICE_OPEN:
                raise ErpFault(
                    409,
                    "INVALID_STATUS_CHANGE",
                    "The invoice has payments applied; it cannot be voided.",
                    field="status",
                    details={"currentStatus": invoice.status, "requestedStatus": INVOICE_VOIDED},
                )
            raise invoice_not_open(invoice.status, "voided", INVOICE_VOIDED)
        await session.execute(
            update(ErpSalesOrder)
            .where(ErpSalesOrder.internal_id == row.created_from, ErpSalesOrder.status == BILLED)
            .values(status=PENDING_BILLING, last_modified_date=now_to_the_second()),
        )
        return await get_invoice(session, Key(internal_id=row.internal_id))
