"""Customer payments: applying money to an open invoice.

The invoice's balance moves in one conditional UPDATE (``amount_remaining - :payment`` only
where at least that much remains), so concurrent payments can never take it below zero; the
payment that covers the balance marks the invoice paid in full and closes its billed order.
"""

from __future__ import annotations

from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from strata.db import Database
from system_apis.backends.erp.errors import (
    ErpFault,
    invalid_field,
    invalid_reference,
    record_not_found,
)
from system_apis.backends.erp.invoices.documents import PaymentInput
from system_apis.backends.erp.invoices.service import find_invoice
from system_apis.backends.erp.keys import Key
from system_apis.backends.erp.models import ErpCustomerPayment, ErpInvoice, ErpSalesOrder
from system_apis.backends.erp.numbering import next_document_number
from system_apis.backends.erp.statuses import (
    BILLED,
    CLOSED,
    INVOICE_OPEN,
    INVOICE_PAID,
    invoice_not_open,
)
from system_apis.backends.erp.wire import format_amount, now_to_the_second

RECORD_TYPE = "customerPayment"


async def find_payment(session: AsyncSession, key: Key) -> ErpCustomerPayment | None:
    result = await session.execute(
        select(ErpCustomerPayment)
        .where(key.matches(ErpCustomerPayment))
        .execution_options(populate_existing=True),
    )
    return result.unique().scalar_one_or_none()


async def get_payment(session: AsyncSession, key: Key) -> ErpCustomerPayment:
    payment = await find_payment(session, key)
    if payment is None:
        raise record_not_found(RECORD_TYPE, str(key))
    return payment


def _same_payment_or_conflict(
    existing: ErpCustomerPayment,
    data: PaymentInput,
    invoice_id: int | None,
) -> tuple[ErpCustomerPayment, bool]:
    if existing.applied_to != invoice_id or existing.payment != data.payment:
        raise ErpFault(
            409,
            "DUP_RCRD",
            f"External id {existing.external_id} is already used by payment {existing.tran_id} "
            f"of {format_amount(existing.payment)} on invoice {existing.invoice.tran_id}.",
            field="customerPayment@externalId",
        )
    return existing, False


async def _apply(session: AsyncSession, invoice: ErpInvoice, data: PaymentInput) -> str | None:
    """Takes the payment off the invoice's balance; the invoice's new status, or None when the
    invoice is not open or owes less than the payment."""
    remaining = ErpInvoice.amount_remaining
    applied = await session.execute(
        update(ErpInvoice)
        .where(
            ErpInvoice.internal_id == invoice.internal_id,
            ErpInvoice.status == INVOICE_OPEN,
            remaining >= data.payment,
        )
        .values(
            amount_paid=ErpInvoice.amount_paid + data.payment,
            amount_remaining=remaining - data.payment,
            status=case((remaining == data.payment, INVOICE_PAID), else_=INVOICE_OPEN),
            last_modified_date=now_to_the_second(),
        )
        .returning(ErpInvoice.status),
    )
    return applied.scalar_one_or_none()


def _refusal(invoice: ErpInvoice) -> ErpFault:
    if invoice.status != INVOICE_OPEN:
        return invoice_not_open(invoice.status, "paid")
    return invalid_field(
        "customerPayment.payment",
        f"exceeds the amount remaining on invoice {invoice.tran_id} "
        f"({format_amount(invoice.amount_remaining)} {invoice.currency})",
    )


async def _pay_once(session: AsyncSession, data: PaymentInput) -> tuple[ErpCustomerPayment, bool]:
    invoice = await find_invoice(session, data.invoice)
    external = Key(external_id=data.external_id) if data.external_id else None
    existing = await find_payment(session, external) if external else None
    if existing is not None:
        return _same_payment_or_conflict(existing, data, invoice.internal_id if invoice else None)
    if invoice is None:
        raise invalid_reference("customerPayment.invoice", str(data.invoice))
    if data.currency is not None and data.currency != invoice.currency:
        raise invalid_field(
            "customerPayment.currency", f"must be the invoice's currency, {invoice.currency}"
        )
    new_status = await _apply(session, invoice, data)
    if new_status is None:
        existing = await find_payment(session, external) if external else None
        if existing is not None:
            return _same_payment_or_conflict(existing, data, invoice.internal_id)
        raise _refusal(await _reload(session, invoice))
    if new_status == INVOICE_PAID:
        await session.execute(
            update(ErpSalesOrder)
            .where(
                ErpSalesOrder.internal_id == invoice.created_from, ErpSalesOrder.status == BILLED
            )
            .values(status=CLOSED, last_modified_date=now_to_the_second()),
        )
    return await _record(session, invoice, data), True


async def _reload(session: AsyncSession, invoice: ErpInvoice) -> ErpInvoice:
    reloaded = await find_invoice(session, Key(internal_id=invoice.internal_id))
    assert reloaded is not None
    return reloaded


async def _record(
    session: AsyncSession,
    invoice: ErpInvoice,
    data: PaymentInput,
) -> ErpCustomerPayment:
    now = now_to_the_second()
    payment = ErpCustomerPayment(
        tran_id=await next_document_number(session, RECORD_TYPE),
        external_id=data.external_id,
        customer_record=invoice.customer,
        invoice=invoice,
        currency=invoice.currency,
        payment=data.payment,
        tran_date=data.tran_date or now.date(),
        created_date=now,
    )
    session.add(payment)
    await session.flush()
    return payment


async def apply_payment(
    database: Database,
    data: PaymentInput,
) -> tuple[ErpCustomerPayment, bool]:
    """Records the payment against its invoice; the same external id applies it only once."""
    try:
        async with database.session() as session:
            return await _pay_once(session, data)
    except IntegrityError:
        if not data.external_id:
            raise
        async with database.session() as session:
            existing = await find_payment(session, Key(external_id=data.external_id))
            if existing is None:
                raise
            invoice = await find_invoice(session, data.invoice)
            invoice_id = invoice.internal_id if invoice else None
            return _same_payment_or_conflict(existing, data, invoice_id)
