"""What the mobile API reads from the APIs below: only the fields it shows.

Tolerant readers (unknown fields ignored), so the layers below can add to their answers
without breaking this API, and this API states exactly what it depends on.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict


class _Reader(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Money(_Reader):
    amount: Decimal
    currency: str


# -- the orders process API ------------------------------------------------------------------


class OrderLine(_Reader):
    sku: str
    name: str | None = None
    quantity: int
    unit_price: Money | None = None


class InvoiceRef(_Reader):
    id: str
    number: str
    status: str
    total: Money
    amount_due: Money
    due_date: date | None = None


class Order(_Reader):
    id: str
    status: str
    customer_id: str
    location_id: str
    currency: str | None = None
    lines: list[OrderLine]
    total: Money | None = None
    invoice: InvoiceRef | None = None
    amount_paid: Money | None = None
    paid_at: datetime | None = None
    created_at: datetime


class OrderPage(_Reader):
    items: list[Order]
    next_cursor: str | None = None


# -- the customer 360 process API --------------------------------------------------------------


class Profile(_Reader):
    id: str
    name: str
    email: str | None = None
    phone: str | None = None


class Invoice(_Reader):
    id: str
    number: str
    order_id: str
    status: str
    total: Money
    amount_due: Money
    due_date: datetime | None = None
    created_at: datetime


class Balance(_Reader):
    open: Money
    open_invoices: int


class Missing(_Reader):
    part: str
    system: str
    status: int
    detail: str | None = None


class Overview(_Reader):
    customer_id: str
    profile: Profile | None = None
    invoices: list[Invoice] | None = None
    open_balance: list[Balance] | None = None
    degraded: list[str] = []
    missing: list[Missing] = []


# -- the inventory system API and the availability process API ---------------------------------


class Product(_Reader):
    sku: str
    name: str
    price: Money


class ProductPage(_Reader):
    items: list[Product]
    next_cursor: str | None = None


class LocationStock(_Reader):
    location_id: str
    code: str
    name: str
    available: int


class Availability(_Reader):
    sku: str
    product: Product
    total_available: int
    locations: list[LocationStock]
