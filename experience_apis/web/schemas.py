"""What the web experience API accepts and answers: the storefront's own shapes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from system_apis.canonical import Address, Money, one_line_per_sku

SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$"
LOCATION_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,32}$"
MAX_LINES = 100
MAX_QUANTITY = 10_000

CHECKOUT_EXAMPLE: dict[str, Any] = {"lines": [{"sku": "FUR-001-GRA", "quantity": 2}]}


# -- requests -----------------------------------------------------------------------------


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CartLine(_Request):
    sku: str = Field(pattern=SKU_PATTERN, examples=["FUR-001-GRA"])
    quantity: Annotated[int, Field(strict=True, ge=1, le=MAX_QUANTITY)] = Field(examples=[2])


class CheckoutRequest(_Request):
    """The cart. The customer is the signed-in one; it cannot be named here."""

    model_config = ConfigDict(json_schema_extra={"examples": [CHECKOUT_EXAMPLE]})

    lines: list[CartLine] = Field(min_length=1, max_length=MAX_LINES)
    location_id: str | None = Field(
        default=None,
        pattern=LOCATION_ID_PATTERN,
        description="Where to fulfil from; by default the location that has every line, "
        "most available first",
    )

    @field_validator("lines")
    @classmethod
    def _one_line_per_sku(cls, lines: list[CartLine]) -> list[CartLine]:
        one_line_per_sku(lines)
        return lines


class PaymentRequest(_Request):
    amount: Money | None = Field(
        default=None, description="Defaults to everything still due on the invoice"
    )

    @field_validator("amount")
    @classmethod
    def _positive(cls, amount: Money | None) -> Money | None:
        if amount is not None and amount.amount <= 0:
            raise ValueError("a payment must be greater than zero")
        return amount


# -- the catalog --------------------------------------------------------------------------


class ProductLocation(BaseModel):
    location_id: str
    code: str
    name: str
    available: int


class Product(BaseModel):
    sku: str = Field(examples=["FUR-001-GRA"])
    name: str
    description: str | None = None
    category: str | None = None
    price: Money
    active: bool = Field(description="For sale; an inactive product cannot be ordered")
    available: int = Field(description="Units available now, across every location")
    in_stock: bool
    locations: list[ProductLocation] = Field(description="Most available first")


class ProductPage(BaseModel):
    items: list[Product]
    next_cursor: str | None = Field(
        default=None, description="Pass as ?cursor= to get the next page"
    )


# -- orders -------------------------------------------------------------------------------


class OrderSummary(BaseModel):
    id: str
    status: str = Field(
        description="processing, confirmed, paid, rolling_back, rejected, cancelling, cancelled"
    )
    placed_at: datetime
    total: Money | None = None
    item_count: int = Field(description="Units across the order's lines")
    invoice_number: str | None = None
    invoice_status: str | None = None
    amount_due: Money | None = None


class OrderPage(BaseModel):
    items: list[OrderSummary]
    next_cursor: str | None = Field(
        default=None, description="Pass as ?cursor= to get older orders"
    )


class OrderLine(BaseModel):
    sku: str
    name: str | None = None
    quantity: int
    unit_price: Money | None = None
    amount: Money | None = None


class SalesOrder(BaseModel):
    number: str
    status: str


class OrderInvoice(BaseModel):
    number: str
    status: str
    total: Money
    amount_due: Money
    due_date: date | None = None


class TraceStep(BaseModel):
    step: str
    status: str = Field(description="pending, running, succeeded or failed")
    attempts: int
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = Field(default=None, description="Why the step failed")
    undone: str | None = Field(
        default=None, description="How undoing the step went, when it was undone"
    )


class Order(BaseModel):
    id: str
    status: str = Field(
        description="processing, confirmed, paid, rolling_back, rejected, cancelling, cancelled"
    )
    placed_at: datetime
    updated_at: datetime
    location_id: str
    lines: list[OrderLine]
    total: Money | None = None
    amount_paid: Money | None = None
    paid_at: datetime | None = None
    sales_order: SalesOrder | None = None
    invoice: OrderInvoice | None = None
    can_pay: bool = Field(description="Confirmed, with an amount still due")
    failure: str | None = Field(default=None, description="Why the order did not go through")
    trace: list[TraceStep] = Field(description="Every step of the order's flow, in order")
    degraded: list[str] = Field(
        default_factory=list,
        description="Parts left empty because they could not be fetched: trace",
    )


# -- the dashboard ------------------------------------------------------------------------


class DashboardCustomer(BaseModel):
    id: str
    name: str | None = Field(default=None, description="Null when the CRM is unavailable")
    email: str | None = None
    phone: str | None = None
    kind: str | None = Field(default=None, description="company or person")
    first_name: str | None = None
    last_name: str | None = None
    industry: str | None = None
    billing_address: Address | None = None


class DashboardBalance(BaseModel):
    open: Money
    open_invoices: int


class DashboardInvoice(BaseModel):
    id: str
    number: str
    status: str
    total: Money
    amount_due: Money
    due_date: datetime | None = None
    created_at: datetime


class DashboardActivity(BaseModel):
    id: str
    kind: str
    subject: str | None = None
    status: str
    occurred_at: datetime
    description: str | None = None


class Dashboard(BaseModel):
    customer: DashboardCustomer
    balance: list[DashboardBalance] = Field(description="What is owed, per currency")
    recent_orders: list[OrderSummary] = Field(description="Newest first, up to 5")
    invoices: list[DashboardInvoice] = Field(description="Newest first, up to 10")
    activity: list[DashboardActivity] = Field(description="Newest first, up to 5")
    degraded: list[str] = Field(
        default_factory=list,
        description="Parts left empty because the system behind them is unavailable: "
        "customer, activity, invoices, balance, recent_orders",
    )
