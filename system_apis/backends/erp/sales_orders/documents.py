"""Sales orders as XML: reading a new order or a status change, writing a record."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from xml.etree.ElementTree import Element, SubElement

from system_apis.backends.erp.customers.names import entity_reference
from system_apis.backends.erp.errors import ErpFault, invalid_field
from system_apis.backends.erp.keys import Key, reference
from system_apis.backends.erp.models import MAX_AMOUNT, ErpSalesOrder
from system_apis.backends.erp.statuses import (
    ORDER_STATUSES,
    PENDING_APPROVAL,
    PENDING_FULFILLMENT,
)
from system_apis.backends.erp.wire import (
    Fields,
    add,
    format_amount,
    format_timestamp,
    record,
)

MAX_LINES = 500
MAX_QUANTITY = 1_000_000
_ITEM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,59}$")
READ_ONLY = ("tranId", "total", "createdDate", "lastModifiedDate")


@dataclass(frozen=True)
class LineInput:
    item: str
    quantity: int
    rate: Decimal

    @property
    def amount(self) -> Decimal:
        return self.rate * self.quantity


@dataclass(frozen=True)
class OrderInput:
    external_id: str | None
    entity: Key
    tran_date: date | None
    currency: str | None
    memo: str | None
    status: str
    lines: tuple[LineInput, ...]

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))


def read_order(doc: Fields) -> OrderInput:
    doc.only("entity", "tranDate", "currency", "memo", "status", "itemList", *READ_ONLY)
    entity = reference(doc, "entity")
    assert entity is not None
    lines = tuple(_read_line(line) for line in doc.items("itemList", "item"))
    if not lines:
        raise ErpFault(
            400,
            "REQD_FLD_MISSING",
            "You must enter at least one line item for this transaction.",
            field=f"{doc.path}.itemList",
        )
    if len(lines) > MAX_LINES:
        raise invalid_field(f"{doc.path}.itemList", f"has more than {MAX_LINES} lines")
    order = OrderInput(
        external_id=doc.attribute("externalId"),
        entity=entity,
        tran_date=doc.day("tranDate"),
        currency=doc.currency("currency") if doc.has("currency") else None,
        memo=doc.text("memo", max_length=999),
        status=_read_initial_status(doc),
        lines=lines,
    )
    if order.total > MAX_AMOUNT:
        raise invalid_field(f"{doc.path}.total", f"exceeds the maximum of {MAX_AMOUNT}")
    return order


def _read_initial_status(doc: Fields) -> str:
    status = doc.text("status", max_length=1) or PENDING_FULFILLMENT
    if status not in (PENDING_APPROVAL, PENDING_FULFILLMENT):
        raise invalid_field(
            f"{doc.path}.status", "a new order is A (Pending Approval) or B (Pending Fulfillment)"
        )
    return status


def _read_line(line: Fields) -> LineInput:
    line.only("item", "quantity", "rate", "amount", "line")
    item = line.required_text("item", max_length=60)
    if not _ITEM.match(item):
        raise invalid_field(f"{line.path}.item", "is not an item name (letters, digits, . _ / -)")
    parsed = LineInput(
        item=item,
        quantity=line.integer("quantity", minimum=1, maximum=MAX_QUANTITY),
        rate=line.amount("rate"),
    )
    if line.has("amount") and line.amount("amount") != parsed.amount:
        raise invalid_field(f"{line.path}.amount", "is not quantity times rate")
    return parsed


def read_status_change(doc: Fields) -> str:
    doc.only("status", why="cannot be changed on an existing transaction; only status can")
    status = doc.required_text("status", max_length=1)
    if status not in ORDER_STATUSES:
        raise invalid_field(f"{doc.path}.status", "is not a sales order status code (A to H)")
    return status


def order_element(order: ErpSalesOrder) -> Element:
    root = record("salesOrder", order.internal_id, order.external_id)
    add(root, "tranId", order.tran_id)
    entity_reference(root, "entity", order.customer)
    add(root, "tranDate", order.tran_date.isoformat())
    add(root, "currency", order.currency)
    add(root, "status", order.status, name=ORDER_STATUSES[order.status][0])
    add(root, "memo", order.memo)
    items = SubElement(root, "itemList")
    for line in order.lines:
        entry = SubElement(items, "item")
        add(entry, "line", str(line.line))
        add(entry, "item", line.item)
        add(entry, "quantity", str(line.quantity))
        add(entry, "rate", format_amount(line.rate))
        add(entry, "amount", format_amount(line.amount))
    add(root, "total", format_amount(order.total))
    add(root, "createdDate", format_timestamp(order.created_date))
    add(root, "lastModifiedDate", format_timestamp(order.last_modified_date))
    return root
