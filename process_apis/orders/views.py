"""An order as the API shows it: its own record, plus what its flow's steps produced."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from process_apis.flows import FlowSnapshot
from process_apis.orders.models import OrderRecord
from process_apis.orders.schemas import (
    InvoiceRef,
    Order,
    OrderFailure,
    OrderLine,
    OrderLinks,
    OrderStatus,
    SalesOrderRef,
)
from system_apis.canonical import Money


def order_status(flow_status: str, cancel_requested: bool, paid: bool) -> OrderStatus:
    if flow_status in ("succeeded", "failed") and not cancel_requested:
        # "failed" here is a follow-up after the pivot (the CRM note): the order stands.
        return "paid" if paid else "confirmed"
    if flow_status == "cancelled":
        return "cancelled"
    if flow_status == "compensated":
        return "rejected"
    if cancel_requested:
        return "cancelling"
    if flow_status == "compensating":
        return "rolling_back"
    return "processing"


def _money(amount: str | Decimal, currency: str | None) -> Money | None:
    if currency is None:
        return None
    return Money(amount=Decimal(amount), currency=currency)


def _lines(record: OrderRecord, outputs: dict[str, dict[str, Any]]) -> list[OrderLine]:
    priced = outputs.get("price_lines", {})
    currency = priced.get("currency")
    holds = {
        e["line"]: e["reservation_id"]
        for e in outputs.get("reserve_stock", {}).get("reservations", [])
    }
    priced_lines = priced.get("lines") or [None] * len(record.lines)
    lines = []
    for index, (asked, price) in enumerate(zip(record.lines, priced_lines, strict=True)):
        lines.append(
            OrderLine(
                sku=asked["sku"],
                quantity=asked["quantity"],
                name=price["name"] if price else None,
                unit_price=_money(price["unit_price"], currency) if price else None,
                amount=_money(price["amount"], currency) if price else None,
                reservation_id=holds.get(index),
            )
        )
    return lines


def _invoice(
    record: OrderRecord, output: dict[str, Any] | None, cancelled: bool
) -> InvoiceRef | None:
    if not output:
        return None
    total = Money.model_validate(output["total"])
    paid = min(record.amount_paid or Decimal("0"), total.amount)
    status = "cancelled" if cancelled else ("paid" if record.paid_at else "open")
    return InvoiceRef(
        id=output["invoice_id"],
        number=output["number"],
        status=status,
        total=total,
        amount_due=Money(amount=total.amount - paid, currency=total.currency),
        due_date=output.get("due_date"),
    )


def build_order(record: OrderRecord, snapshot: FlowSnapshot, base_path: str) -> Order:
    flow = snapshot.flow
    outputs = {step.name: dict(step.output or {}) for step in snapshot.steps}
    steps = {step.name: step for step in snapshot.steps}
    priced = outputs.get("price_lines", {})
    currency = priced.get("currency") or record.currency
    sales_order = outputs.get("create_sales_order")
    invoice_step = steps.get("create_invoice")
    invoice_undone = bool(invoice_step and invoice_step.compensation == "compensated")
    failure = None
    if flow.failure:
        failure = OrderFailure(step=flow.failure.get("step", ""), problem=flow.failure["problem"])
    order_path = f"{base_path}/orders/{record.id}"
    return Order(
        id=record.id,
        status=order_status(flow.status, flow.cancel_requested, record.paid_at is not None),
        flow_status=flow.status,
        customer_id=record.customer_id,
        location_id=record.location_id,
        currency=currency,
        lines=_lines(record, outputs),
        total=_money(priced["total"], currency) if priced.get("total") else None,
        sales_order=SalesOrderRef(
            id=sales_order["sales_order_id"],
            number=sales_order["number"],
            status=sales_order.get("undone", {}).get("status", sales_order["status"]),
        )
        if sales_order
        else None,
        invoice=_invoice(record, outputs.get("create_invoice"), invoice_undone),
        activity_id=outputs.get("record_activity", {}).get("activity_id"),
        amount_paid=_money(record.amount_paid, currency) if record.amount_paid else None,
        paid_at=record.paid_at,
        failure=failure,
        created_at=record.created_at,
        updated_at=max(record.updated_at, flow.updated_at),
        links=OrderLinks(self=order_path, trace=f"{order_path}/trace"),
    )
