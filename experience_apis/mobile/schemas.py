"""What the mobile API accepts and answers.

Answers are compact: money is a decimal string next to its ``currency``, a key with no value
is left out (never ``null``, except ``next_cursor`` on a list's last page) and there are no
links objects. ``?fields=`` picks among the top-level fields of each answer.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from system_apis.canonical import one_line_per_sku

SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$"
LOCATION_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,32}$"
ORDER_ID_PATTERN = r"^[A-Za-z0-9._~-]{1,64}$"
AMOUNT_PATTERN = r"^\d{1,12}(\.\d{1,4})?$"
MAX_ITEMS = 100
MAX_QTY = 10_000
NEW_ORDER_EXAMPLE: dict[str, Any] = {
    "location_id": "71043000001",
    "items": [{"sku": "FUR-001-GRA", "qty": 2}],
}

Amount = Annotated[
    str, Field(pattern=r"^-?\d+(\.\d+)?$", examples=["258.00"], description="Decimal string")
]


CENTS = Decimal("0.01")


def amount(value: Decimal) -> str:
    """A decimal string with two places, or more when the value has them (the ERP keeps
    four: ``180.0000`` is ``"180.00"``, ``0.125`` stays ``"0.125"``)."""
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -2:
        return format(value.quantize(CENTS), "f")
    return format(value.normalize(), "f")


# -- answers --------------------------------------------------------------------------------


class MoneyOwed(BaseModel):
    amount: Amount
    currency: str


class Me(BaseModel):
    """The signed-in customer, in brief."""

    id: str = Field(examples=["001Dn0000000001IAA"])
    name: str | None = Field(default=None, examples=["Globex Manufacturing Corp."])
    email: str | None = None
    phone: str | None = None
    balance: Amount | None = Field(default=None, description="Owed on open invoices, in `currency`")
    currency: str | None = Field(default=None, examples=["USD"])
    open_invoices: int | None = Field(default=None, description="Invoices still open")
    other_balances: list[MoneyOwed] | None = Field(
        default=None, description="Open balances in other currencies, when there are any"
    )
    degraded: list[str] | None = Field(
        default=None,
        description="Parts that could not be fetched just now (`profile`: name and "
        "contact; `invoices`: the balance); their fields are left out",
    )


class OrderSummary(BaseModel):
    """An order in a list."""

    id: str = Field(examples=["ord_5d1b6c0e2f7a4b8c9d0e1f2a3b4c5d6e"])
    status: str = Field(
        examples=["confirmed"],
        description="processing, confirmed, paid, rolling_back, rejected, cancelling, cancelled",
    )
    placed_at: datetime
    total: Amount | None = Field(default=None, description="Known once the order is priced")
    currency: str | None = Field(default=None, examples=["USD"])
    items: int = Field(description="Units ordered, across all lines", examples=[2])
    invoice: str | None = Field(default=None, examples=["INV-10057"])
    due: Amount | None = Field(default=None, description="Still due on the invoice")


class OrderLineView(BaseModel):
    sku: str = Field(examples=["FUR-001-GRA"])
    name: str | None = None
    qty: int
    price: Amount | None = Field(default=None, description="Unit price, in the order's currency")


class OrderDetail(OrderSummary):
    """An order with its lines."""

    location_id: str
    lines: list[OrderLineView]
    paid: Amount | None = Field(default=None, description="Paid so far")
    paid_at: datetime | None = None


class InvoiceView(BaseModel):
    id: str
    number: str = Field(examples=["INV-10057"])
    status: str = Field(examples=["open"], description="open, paid or cancelled")
    total: Amount
    currency: str
    due: Amount
    due_date: date | None = None
    issued_at: datetime
    order_id: str = Field(description="The ERP's sales order it bills")


class ProductView(BaseModel):
    sku: str = Field(examples=["FUR-001-GRA"])
    name: str
    price: Amount
    currency: str
    available: int = Field(description="Units that can be promised now, across locations")


class LocationStockView(BaseModel):
    id: str = Field(examples=["71043000001"], description="A `location_id` to order from")
    code: str
    name: str
    available: int


class ProductDetail(ProductView):
    locations: list[LocationStockView] = Field(description="Most available first")


class OrderList(BaseModel):
    items: list[OrderSummary]
    next_cursor: str | None


class InvoiceList(BaseModel):
    items: list[InvoiceView]
    next_cursor: str | None


class ProductList(BaseModel):
    items: list[ProductView]
    next_cursor: str | None


def compact(view: BaseModel) -> dict[str, Any]:
    """``view`` as JSON-ready data, without the keys that have no value."""
    return view.model_dump(mode="json", exclude_none=True)


# -- requests -------------------------------------------------------------------------------


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrderItem(_Request):
    sku: str = Field(pattern=SKU_PATTERN, examples=["FUR-001-GRA"])
    qty: Annotated[int, Field(strict=True, ge=1, le=MAX_QTY)] = Field(examples=[2])


class NewOrder(_Request):
    """An order from one location; the customer is the signed-in user."""

    model_config = ConfigDict(json_schema_extra={"examples": [NEW_ORDER_EXAMPLE]})

    location_id: str = Field(pattern=LOCATION_ID_PATTERN, description="Where to fulfil it from")
    items: list[OrderItem] = Field(min_length=1, max_length=MAX_ITEMS)

    @field_validator("items")
    @classmethod
    def _one_per_sku(cls, items: list[OrderItem]) -> list[OrderItem]:
        one_line_per_sku(items, "item")
        return items


class Payment(_Request):
    amount: str | None = Field(
        default=None,
        pattern=AMOUNT_PATTERN,
        description="In the order's currency; defaults to everything still due",
        examples=["100.00"],
    )

    @field_validator("amount")
    @classmethod
    def _positive(cls, value: str | None) -> str | None:
        if value is not None and Decimal(value) <= 0:
            raise ValueError("a payment must be greater than zero")
        return value
