"""What the APIs below answer, read leniently: only the fields this API shows, and whatever
they add later is ignored (the layers below can grow without breaking the storefront)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from system_apis.canonical import Address, Money


class _Below(BaseModel):
    model_config = ConfigDict(extra="ignore")


# -- the availability process API ---------------------------------------------------------


class LocationStock(_Below):
    location_id: str
    code: str
    name: str
    available: int
    can_fulfil: bool


class Availability(_Below):
    sku: str
    quantity: int
    total_available: int
    locations: list[LocationStock]


class LineShortfall(_Below):
    sku: str
    quantity: int
    total_available: int
    best_location_available: int
    locations_with_enough: list[str] = []


class FulfilmentOptions(_Below):
    best: str | None = None
    shortfalls: list[LineShortfall] = []


# -- the inventory system API -------------------------------------------------------------


class CatalogProduct(_Below):
    sku: str
    name: str
    description: str | None = None
    category: str | None = None
    price: Money
    active: bool = True


class CatalogPage(_Below):
    items: list[CatalogProduct]
    next_cursor: str | None = None


# -- the customer 360 process API ---------------------------------------------------------


class Profile(_Below):
    id: str
    kind: str
    name: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    industry: str | None = None
    billing_address: Address | None = None
    active: bool = True


class Activity(_Below):
    id: str
    kind: str
    subject: str | None = None
    status: str
    occurred_at: datetime
    description: str | None = None


class Invoice(_Below):
    id: str
    number: str
    order_id: str | None = None
    status: str
    total: Money
    amount_due: Money
    due_date: datetime | None = None
    created_at: datetime


class Balance(_Below):
    open: Money
    open_invoices: int


class Overview(_Below):
    customer_id: str
    profile: Profile | None = None
    recent_activity: list[Activity] | None = None
    invoices: list[Invoice] | None = None
    open_balance: list[Balance] | None = None
    degraded: list[str] = []


# -- the orders process API ---------------------------------------------------------------


class OrderLine(_Below):
    sku: str
    name: str | None = None
    quantity: int
    unit_price: Money | None = None
    amount: Money | None = None


class SalesOrderRef(_Below):
    number: str
    status: str


class InvoiceRef(_Below):
    number: str
    status: str
    total: Money
    amount_due: Money
    due_date: date | None = None


class OrderFailure(_Below):
    step: str
    problem: dict[str, Any]


class Order(_Below):
    id: str
    status: str
    customer_id: str
    location_id: str
    currency: str | None = None
    lines: list[OrderLine]
    total: Money | None = None
    sales_order: SalesOrderRef | None = None
    invoice: InvoiceRef | None = None
    amount_paid: Money | None = None
    paid_at: datetime | None = None
    failure: OrderFailure | None = None
    created_at: datetime
    updated_at: datetime


class OrderPage(_Below):
    items: list[Order]
    next_cursor: str | None = None


class StepTrace(_Below):
    name: str
    status: str
    attempts: int
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: dict[str, Any] | None = None
    compensation: dict[str, Any] | None = None


class Trace(_Below):
    steps: list[StepTrace]
