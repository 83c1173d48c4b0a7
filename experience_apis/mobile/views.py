"""Compact views of what the layers below answered: shaping only, no business rules."""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal

from experience_apis.mobile import upstream
from experience_apis.mobile.schemas import (
    InvoiceView,
    LocationStockView,
    Me,
    MoneyOwed,
    OrderDetail,
    OrderLineView,
    OrderSummary,
    ProductDetail,
    ProductView,
    amount,
)

ID_WIDTH = 24
# The parts of the customer 360 that /me shows (a missing one leaves its fields out).
ME_PARTS = frozenset({"profile", "invoices"})


def _maybe(value: upstream.Money | None) -> str | None:
    return amount(value.amount) if value is not None else None


def order_summary(order: upstream.Order) -> OrderSummary:
    return OrderSummary(**_summary_fields(order))


def order_detail(order: upstream.Order) -> OrderDetail:
    return OrderDetail(
        **_summary_fields(order),
        location_id=order.location_id,
        lines=[
            OrderLineView(
                sku=line.sku, name=line.name, qty=line.quantity, price=_maybe(line.unit_price)
            )
            for line in order.lines
        ],
        paid=_maybe(order.amount_paid),
        paid_at=order.paid_at,
    )


def _summary_fields(order: upstream.Order) -> dict[str, object]:
    invoice = order.invoice
    return {
        "id": order.id,
        "status": order.status,
        "placed_at": order.created_at,
        "total": _maybe(order.total),
        "currency": order.total.currency if order.total else order.currency,
        "items": sum(line.quantity for line in order.lines),
        "invoice": invoice.number if invoice else None,
        "due": amount(invoice.amount_due.amount) if invoice else None,
    }


def me(overview: upstream.Overview) -> Me:
    profile = overview.profile
    view = Me(
        id=overview.customer_id,
        name=profile.name if profile else None,
        email=profile.email if profile else None,
        phone=profile.phone if profile else None,
        degraded=sorted(set(overview.degraded) & ME_PARTS) or None,
    )
    if overview.open_balance is None:
        return view  # the invoices could not be fetched: no balance to tell
    owed = {balance.open.currency: balance for balance in overview.open_balance}
    view.open_invoices = sum(balance.open_invoices for balance in owed.values())
    currency = _main_currency(overview, owed)
    if currency is None:
        return view  # never invoiced: no balance, and no currency to state one in
    view.currency = currency
    view.balance = amount(owed[currency].open.amount if currency in owed else Decimal("0.00"))
    others = [MoneyOwed(amount=amount(b.open.amount), currency=c) for c, b in owed.items()]
    view.other_balances = [money for money in others if money.currency != currency] or None
    return view


def _main_currency(overview: upstream.Overview, owed: dict[str, upstream.Balance]) -> str | None:
    """The currency the customer was last invoiced in (else the first one owed in)."""
    if overview.invoices:
        newest = max(overview.invoices, key=invoice_position)
        return newest.total.currency
    return min(owed, default=None)


def invoice_position(invoice: upstream.Invoice) -> tuple[str, str]:
    """Newest last: when it was issued, then its id (both fixed width, so that they sort as
    text the way they do as times and as the ERP's numeric ids)."""
    issued = invoice.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return issued, invoice.id.rjust(ID_WIDTH, "0")


def invoice(invoice: upstream.Invoice) -> InvoiceView:
    return InvoiceView(
        id=invoice.id,
        number=invoice.number,
        status=invoice.status,
        total=amount(invoice.total.amount),
        currency=invoice.total.currency,
        due=amount(invoice.amount_due.amount),
        due_date=invoice.due_date.date() if invoice.due_date else None,
        issued_at=invoice.created_at,
        order_id=invoice.order_id,
    )


def product(item: upstream.Product, available: int) -> ProductView:
    return ProductView(
        sku=item.sku,
        name=item.name,
        price=amount(item.price.amount),
        currency=item.price.currency,
        available=available,
    )


def product_detail(availability: upstream.Availability) -> ProductDetail:
    summary = product(availability.product, availability.total_available)
    locations = sorted(availability.locations, key=lambda stock: (-stock.available, stock.code))
    return ProductDetail(
        **summary.model_dump(),
        locations=[
            LocationStockView(id=s.location_id, code=s.code, name=s.name, available=s.available)
            for s in locations
        ],
    )
