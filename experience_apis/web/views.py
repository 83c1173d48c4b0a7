"""The storefront's shapes, made from what the APIs below answered. Pure functions: no
calls, no rules beyond presentation."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Protocol, overload

from experience_apis.web import below
from experience_apis.web.schemas import (
    DashboardActivity,
    DashboardBalance,
    DashboardCustomer,
    DashboardInvoice,
    Order,
    OrderInvoice,
    OrderLine,
    OrderSummary,
    Product,
    ProductLocation,
    SalesOrder,
    TraceStep,
)
from system_apis.canonical import Money

CENT = Decimal("0.01")


@overload
def shown(money: Money) -> Money: ...
@overload
def shown(money: None) -> None: ...
@overload
def shown(money: Money | None) -> Money | None: ...
def shown(money: Money | None) -> Money | None:
    """Money as a shop shows it, in cents when that loses nothing: a ledger's "290.0000"
    is "290.00" here; "0.125" stays as it is."""
    if money is None:
        return None
    cents = money.amount.quantize(CENT)
    if cents != money.amount:
        return money
    return Money(amount=cents, currency=money.currency)


# -- the catalog --------------------------------------------------------------------------


class StockRow(Protocol):
    @property
    def location_id(self) -> str: ...
    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def available(self) -> int: ...


class Stock(Protocol):
    """A SKU's units per location: the availability API's answer, or stock read directly."""

    @property
    def total_available(self) -> int: ...
    @property
    def locations(self) -> Sequence[StockRow]: ...


def product(item: below.CatalogProduct, availability: Stock | None) -> Product:
    """``availability`` None: no stock is known of it (nothing to show)."""
    stock = availability.locations if availability is not None else []
    available = availability.total_available if availability is not None else 0
    return Product(
        sku=item.sku,
        name=item.name,
        description=item.description,
        category=item.category,
        price=shown(item.price),
        active=item.active,
        available=available,
        in_stock=available > 0,
        locations=[
            ProductLocation(
                location_id=row.location_id, code=row.code, name=row.name, available=row.available
            )
            for row in stock
        ],
    )


# -- orders -------------------------------------------------------------------------------


def can_pay(order: below.Order) -> bool:
    invoice = order.invoice
    return (
        order.status == "confirmed"
        and invoice is not None
        and invoice.status == "open"
        and invoice.amount_due.amount > 0
    )


def summary(order: below.Order) -> OrderSummary:
    invoice = order.invoice
    return OrderSummary(
        id=order.id,
        status=order.status,
        placed_at=order.created_at,
        total=shown(order.total),
        item_count=sum(line.quantity for line in order.lines),
        invoice_number=invoice.number if invoice else None,
        invoice_status=invoice.status if invoice else None,
        amount_due=shown(invoice.amount_due) if invoice else None,
    )


def _problem_text(problem: dict[str, Any] | None) -> str | None:
    if not problem:
        return None
    text = problem.get("detail") or problem.get("title")
    return str(text) if text else None


def _step_error(error: dict[str, Any] | None) -> str | None:
    if not error:
        return None
    problem = error.get("problem")
    text = _problem_text(problem if isinstance(problem, dict) else None)
    return text or (str(error["message"]) if error.get("message") else None)


def trace_step(step: below.StepTrace) -> TraceStep:
    return TraceStep(
        step=step.name,
        status=step.status,
        attempts=step.attempts,
        started_at=step.started_at,
        finished_at=step.finished_at,
        error=_step_error(step.error),
        undone=str(step.compensation["status"])
        if step.compensation and step.compensation.get("status")
        else None,
    )


def order(found: below.Order, trace: below.Trace | None) -> Order:
    """``trace`` None: it could not be fetched (left empty, named in ``degraded``)."""
    invoice = found.invoice
    return Order(
        id=found.id,
        status=found.status,
        placed_at=found.created_at,
        updated_at=found.updated_at,
        location_id=found.location_id,
        lines=[
            OrderLine(
                sku=line.sku,
                name=line.name,
                quantity=line.quantity,
                unit_price=shown(line.unit_price),
                amount=shown(line.amount),
            )
            for line in found.lines
        ],
        total=shown(found.total),
        amount_paid=shown(found.amount_paid),
        paid_at=found.paid_at,
        sales_order=SalesOrder(number=found.sales_order.number, status=found.sales_order.status)
        if found.sales_order
        else None,
        invoice=OrderInvoice(
            number=invoice.number,
            status=invoice.status,
            total=shown(invoice.total),
            amount_due=shown(invoice.amount_due),
            due_date=invoice.due_date,
        )
        if invoice
        else None,
        can_pay=can_pay(found),
        failure=_problem_text(found.failure.problem) if found.failure else None,
        trace=[trace_step(step) for step in trace.steps] if trace is not None else [],
        degraded=[] if trace is not None else ["trace"],
    )


# -- the dashboard ------------------------------------------------------------------------


def customer(customer_id: str, profile: below.Profile | None) -> DashboardCustomer:
    if profile is None:
        return DashboardCustomer(id=customer_id)
    return DashboardCustomer(
        id=profile.id,
        name=profile.name,
        email=profile.email,
        phone=profile.phone,
        kind=profile.kind,
        first_name=profile.first_name,
        last_name=profile.last_name,
        industry=profile.industry,
        billing_address=profile.billing_address,
    )


def invoices(items: list[below.Invoice], limit: int) -> list[DashboardInvoice]:
    newest = sorted(items, key=lambda invoice: invoice.created_at, reverse=True)[:limit]
    return [
        DashboardInvoice(
            id=invoice.id,
            number=invoice.number,
            status=invoice.status,
            total=shown(invoice.total),
            amount_due=shown(invoice.amount_due),
            due_date=invoice.due_date,
            created_at=invoice.created_at,
        )
        for invoice in newest
    ]


def balance(items: list[below.Balance]) -> list[DashboardBalance]:
    return [
        DashboardBalance(open=shown(item.open), open_invoices=item.open_invoices) for item in items
    ]


def activity(items: list[below.Activity], limit: int) -> list[DashboardActivity]:
    newest = sorted(items, key=lambda entry: entry.occurred_at, reverse=True)[:limit]
    return [
        DashboardActivity(
            id=entry.id,
            kind=entry.kind,
            subject=entry.subject,
            status=entry.status,
            occurred_at=entry.occurred_at,
            description=entry.description,
        )
        for entry in newest
    ]
