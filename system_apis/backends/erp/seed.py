"""Loads the demo world into an empty ERP: its customers, its order history in the ERP's
letter codes, an invoice for every order that was billed, and the payments on paid ones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from strata.db import Base, Database
from system_apis.backends.erp.invoices.service import PAYMENT_TERMS
from system_apis.backends.erp.models import (
    ErpCustomer,
    ErpCustomerPayment,
    ErpInvoice,
    ErpSalesOrder,
    ErpSalesOrderLine,
)
from system_apis.backends.erp.numbering import continue_numbering_after, document_number
from system_apis.backends.erp.statuses import INVOICE_OPEN, INVOICE_PAID

if TYPE_CHECKING:
    # Only for annotations: importing the demo module here would make this package's import
    # depend on the order other backends are imported in.
    from system_apis.demo import DemoCustomer, DemoOrder, DemoWorld

# The world speaks neutral status names; the ERP stores its own letters.
WORLD_STATUS_CODES = {
    "pending_approval": "A",
    "pending_fulfillment": "B",
    "cancelled": "C",
    "partially_fulfilled": "D",
    "pending_billing_partially_fulfilled": "E",
    "pending_billing": "F",
    "billed": "G",
    "closed": "H",
}
_SEED_LOCK_ID = 0x0E2F5EED  # any fixed number, held while one process seeds
_INVOICE_DELAY = timedelta(days=1)
_PAYMENT_DELAY = timedelta(days=14)


def _customer(world_customer: DemoCustomer) -> ErpCustomer:
    return ErpCustomer(
        internal_id=world_customer.number,
        entity_id=document_number("customer", world_customer.number),
        external_id=world_customer.crm_id,
        is_person=world_customer.is_person,
        company_name=world_customer.company_name,
        first_name=world_customer.first_name,
        last_name=world_customer.last_name,
        email=world_customer.email,
        phone=world_customer.phone,
        currency="USD",
        is_inactive=not world_customer.active,
        addr1=world_customer.street,
        city=world_customer.city,
        state=world_customer.state,
        zip=world_customer.postal_code,
        country=world_customer.country,
        date_created=world_customer.created_at,
        last_modified_date=world_customer.created_at,
    )


def _order(world_order: DemoOrder, customer_number: int) -> ErpSalesOrder:
    return ErpSalesOrder(
        internal_id=world_order.number,
        tran_id=document_number("salesOrder", world_order.number),
        entity=customer_number,
        tran_date=world_order.created_at.date(),
        currency=world_order.currency,
        status=WORLD_STATUS_CODES[world_order.status],
        total=world_order.total,
        created_date=world_order.created_at,
        last_modified_date=world_order.created_at,
        lines=[
            ErpSalesOrderLine(
                line=number,
                item=line.sku,
                quantity=line.quantity,
                rate=line.unit_price,
                amount=line.unit_price * line.quantity,
            )
            for number, line in enumerate(world_order.lines, start=1)
        ],
    )


def _invoice(world_order: DemoOrder, number: int, customer_number: int) -> ErpInvoice:
    billed_at = world_order.created_at + _INVOICE_DELAY
    paid = bool(world_order.invoice_paid)
    return ErpInvoice(
        internal_id=number,
        tran_id=document_number("invoice", number),
        created_from=world_order.number,
        entity=customer_number,
        tran_date=billed_at.date(),
        due_date=billed_at.date() + PAYMENT_TERMS,
        currency=world_order.currency,
        status=INVOICE_PAID if paid else INVOICE_OPEN,
        total=world_order.total,
        amount_paid=world_order.total if paid else Decimal(0),
        amount_remaining=Decimal(0) if paid else world_order.total,
        created_date=billed_at,
        last_modified_date=billed_at + _PAYMENT_DELAY if paid else billed_at,
    )


def _payment(invoice: ErpInvoice, number: int) -> ErpCustomerPayment:
    paid_at = invoice.created_date + _PAYMENT_DELAY
    return ErpCustomerPayment(
        internal_id=number,
        tran_id=document_number("customerPayment", number),
        customer=invoice.entity,
        applied_to=invoice.internal_id,
        currency=invoice.currency,
        payment=invoice.total,
        tran_date=paid_at.date(),
        created_date=paid_at,
    )


@dataclass
class SeedRecords:
    """The world as ERP records, in the order they must be written."""

    customers: list[ErpCustomer] = field(default_factory=list)
    orders: list[ErpSalesOrder] = field(default_factory=list)
    invoices: list[ErpInvoice] = field(default_factory=list)
    payments: list[ErpCustomerPayment] = field(default_factory=list)

    def by_record_type(self) -> dict[str, Sequence[Base]]:
        return {
            "customer": self.customers,
            "salesOrder": self.orders,
            "invoice": self.invoices,
            "customerPayment": self.payments,
        }

    @property
    def line_count(self) -> int:
        return sum(len(order.lines) for order in self.orders)


def build_records(world: DemoWorld) -> SeedRecords:
    records = SeedRecords(customers=[_customer(customer) for customer in world.customers])
    numbers = {customer.crm_id: customer.number for customer in world.customers}
    for world_order in world.orders:
        customer_number = numbers[world_order.customer_crm_id]
        records.orders.append(_order(world_order, customer_number))
        if world_order.invoice_paid is None:
            continue
        invoice = _invoice(world_order, len(records.invoices) + 1, customer_number)
        records.invoices.append(invoice)
        if invoice.status == INVOICE_PAID:
            records.payments.append(_payment(invoice, len(records.payments) + 1))
    return records


async def _continue_sequences(session: AsyncSession) -> None:
    # Rows were written with explicit ids; PostgreSQL's id sequences must move past them.
    for table in ("erp_customers", "erp_sales_orders", "erp_invoices", "erp_customer_payments"):
        await session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'internal_id'), "
                f"COALESCE((SELECT MAX(internal_id) FROM {table}), 0) + 1, false)",
            )
        )


async def seed(database: Database, world: DemoWorld) -> int:
    """Writes the world into an empty ERP; returns the records written (0 if it had data)."""
    async with database.session() as session:
        if not database.is_sqlite:
            await session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _SEED_LOCK_ID})
        if (await session.execute(select(func.count()).select_from(ErpCustomer))).scalar_one():
            return 0
        records = build_records(world)
        for record_type, rows in records.by_record_type().items():
            session.add_all(rows)
            await session.flush()
            await continue_numbering_after(session, record_type, len(rows))
        if not database.is_sqlite:
            await _continue_sequences(session)
        return sum(map(len, records.by_record_type().values())) + records.line_count
