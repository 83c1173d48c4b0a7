"""Invoices and customer payments as XML."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from xml.etree.ElementTree import Element

from system_apis.backends.erp.customers.names import entity_reference
from system_apis.backends.erp.errors import invalid_field
from system_apis.backends.erp.keys import Key, reference
from system_apis.backends.erp.models import ErpCustomerPayment, ErpInvoice
from system_apis.backends.erp.statuses import INVOICE_STATUSES, INVOICE_VOIDED
from system_apis.backends.erp.wire import Fields, add, format_amount, format_timestamp, record

READ_ONLY = (
    "tranId",
    "createdFrom",
    "entity",
    "currency",
    "status",
    "total",
    "amountPaid",
    "amountRemaining",
    "createdDate",
    "lastModifiedDate",
)


@dataclass(frozen=True)
class InvoiceInput:
    external_id: str | None
    tran_date: date | None
    due_date: date | None


@dataclass(frozen=True)
class PaymentInput:
    external_id: str | None
    invoice: Key
    payment: Decimal
    currency: str | None
    tran_date: date | None


def read_invoice(doc: Fields) -> InvoiceInput:
    doc.only("tranDate", "dueDate", *READ_ONLY)
    invoice = InvoiceInput(
        external_id=doc.attribute("externalId"),
        tran_date=doc.day("tranDate"),
        due_date=doc.day("dueDate"),
    )
    if invoice.tran_date and invoice.due_date and invoice.due_date < invoice.tran_date:
        raise invalid_field(f"{doc.path}.dueDate", "is before the invoice date")
    return invoice


def read_invoice_status_change(doc: Fields) -> str:
    doc.only("status", why="cannot be changed on an existing transaction; only status can")
    status = doc.required_text("status", max_length=1)
    if status != INVOICE_VOIDED:
        raise invalid_field(
            f"{doc.path}.status",
            "an invoice can only be voided (V); it is paid in full by applying payments",
        )
    return status


def read_payment(doc: Fields) -> PaymentInput:
    doc.only("invoice", "payment", "currency", "tranDate", "tranId", "customer", "createdDate")
    invoice = reference(doc, "invoice")
    assert invoice is not None
    return PaymentInput(
        external_id=doc.attribute("externalId"),
        invoice=invoice,
        payment=doc.amount("payment", positive=True),
        currency=doc.currency("currency") if doc.has("currency") else None,
        tran_date=doc.day("tranDate"),
    )


def invoice_element(invoice: ErpInvoice) -> Element:
    root = record("invoice", invoice.internal_id, invoice.external_id)
    add(root, "tranId", invoice.tran_id)
    order = invoice.sales_order
    created_from = add(
        root,
        "createdFrom",
        None,
        internalId=str(order.internal_id),
        externalId=order.external_id,
        type="salesOrder",
    )
    assert created_from is not None
    add(created_from, "name", order.tran_id)
    entity_reference(root, "entity", invoice.customer)
    add(root, "tranDate", invoice.tran_date.isoformat())
    add(root, "dueDate", invoice.due_date.isoformat())
    add(root, "currency", invoice.currency)
    add(root, "status", invoice.status, name=INVOICE_STATUSES[invoice.status][0])
    add(root, "total", format_amount(invoice.total))
    add(root, "amountPaid", format_amount(invoice.amount_paid))
    add(root, "amountRemaining", format_amount(invoice.amount_remaining))
    add(root, "createdDate", format_timestamp(invoice.created_date))
    add(root, "lastModifiedDate", format_timestamp(invoice.last_modified_date))
    return root


def payment_element(payment: ErpCustomerPayment) -> Element:
    root = record("customerPayment", payment.internal_id, payment.external_id)
    add(root, "tranId", payment.tran_id)
    entity_reference(root, "customer", payment.customer_record)
    applied = add(root, "invoice", None, internalId=str(payment.applied_to), type="invoice")
    assert applied is not None
    add(applied, "name", payment.invoice.tran_id)
    add(root, "currency", payment.currency)
    add(root, "payment", format_amount(payment.payment))
    add(root, "tranDate", payment.tran_date.isoformat())
    add(root, "createdDate", format_timestamp(payment.created_date))
    return root
