"""The canonical model: one shape for each business object, whatever system it lives in.

System APIs speak only this model; process APIs compose it. Money is a decimal string with a
currency, times are UTC RFC 3339, ids are strings. Each system's data map turns its backend's
native records into these and back.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Generic, Protocol, TypeVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, PlainSerializer

T = TypeVar("T")

_CURRENCY = re.compile(r"^[A-Z]{3}$")


class _HasSku(Protocol):
    @property
    def sku(self) -> str: ...


LineT = TypeVar("LineT", bound=_HasSku)


def one_line_per_sku(lines: Sequence[LineT], noun: str = "line") -> Sequence[LineT]:
    """``lines`` if no SKU is in two of them (an order, cart or request asks for each SKU
    once, with its whole quantity); a ValueError naming the repeated SKUs otherwise."""
    skus = [line.sku for line in lines]
    repeated = sorted({sku for sku in skus if skus.count(sku) > 1})
    if repeated:
        raise ValueError(f"SKU {', '.join(repeated)} appears more than once; one {noun} per SKU")
    return lines


def _two_places_or_fewer(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("must be a finite number")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -4:
        raise ValueError("has more than 4 decimal places")
    return value


Amount = Annotated[
    Decimal,
    AfterValidator(_two_places_or_fewer),
    PlainSerializer(lambda value: format(value, "f"), return_type=str, when_used="json"),
    Field(json_schema_extra={"type": "string", "pattern": r"^-?\d+(\.\d{1,4})?$"}),
]


class CanonicalModel(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Money(CanonicalModel):
    amount: Amount = Field(description="Decimal string, never a float", examples=["129.00"])
    currency: str = Field(pattern=_CURRENCY.pattern, description="ISO 4217 code", examples=["USD"])


class Address(CanonicalModel):
    street: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = Field(
        default=None, description="ISO 3166-1 alpha-2 code", examples=["US"]
    )


class CustomerKind(StrEnum):
    COMPANY = "company"
    PERSON = "person"


class Customer(CanonicalModel):
    id: str = Field(
        description="The customer's id (the CRM account id)", examples=["001Dn0000000001IAA"]
    )
    kind: CustomerKind
    name: str = Field(description="Company name, or the person's full name")
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    industry: str | None = None
    billing_address: Address = Field(default_factory=Address)
    active: bool = True
    created_at: AwareDatetime
    updated_at: AwareDatetime


class Product(CanonicalModel):
    id: str
    sku: str = Field(examples=["ELE-004-GRA"])
    name: str
    description: str | None = None
    category: str | None = None
    price: Money
    active: bool = True


class Location(CanonicalModel):
    id: str
    code: str = Field(examples=["SFO-1"])
    name: str
    address: Address = Field(default_factory=Address)
    latitude: float | None = None
    longitude: float | None = None


class StockLevel(CanonicalModel):
    sku: str
    location_id: str
    location_code: str
    on_hand: int = Field(description="Units physically at the location")
    committed: int = Field(description="Units promised to reservations and orders")
    available: int = Field(
        description="Units that can be promised now: on hand less committed and unsellable"
    )
    updated_at: AwareDatetime


class ReservationStatus(StrEnum):
    HELD = "held"
    COMMITTED = "committed"
    RELEASED = "released"
    EXPIRED = "expired"


class Reservation(CanonicalModel):
    id: str
    sku: str
    location_id: str
    quantity: int = Field(gt=0)
    status: ReservationStatus
    external_id: str | None = Field(
        default=None, description="The caller's id; the same one never reserves twice"
    )
    expires_at: AwareDatetime
    created_at: AwareDatetime


class OrderStatus(StrEnum):
    PENDING_APPROVAL = "pending_approval"
    PENDING_FULFILLMENT = "pending_fulfillment"
    CANCELLED = "cancelled"
    PARTIALLY_FULFILLED = "partially_fulfilled"
    PENDING_BILLING_PARTIALLY_FULFILLED = "pending_billing_partially_fulfilled"
    PENDING_BILLING = "pending_billing"
    BILLED = "billed"
    CLOSED = "closed"


class OrderLine(CanonicalModel):
    sku: str
    quantity: int = Field(gt=0)
    unit_price: Money
    amount: Money


class SalesOrder(CanonicalModel):
    id: str = Field(description="The ERP's id for the order")
    number: str = Field(description="The human-readable order number")
    customer_id: str = Field(description="The canonical customer id")
    external_id: str | None = None
    status: OrderStatus
    lines: list[OrderLine]
    total: Money
    created_at: AwareDatetime
    updated_at: AwareDatetime


class InvoiceStatus(StrEnum):
    OPEN = "open"
    PAID = "paid"
    CANCELLED = "cancelled"


class Invoice(CanonicalModel):
    id: str
    number: str
    order_id: str
    customer_id: str
    external_id: str | None = None
    status: InvoiceStatus
    total: Money
    amount_due: Money
    due_date: datetime | None = None
    created_at: AwareDatetime
    updated_at: AwareDatetime


class Page(CanonicalModel, Generic[T]):
    """One page of a list; follow ``next_cursor`` for the next one."""

    items: list[T]
    next_cursor: str | None = Field(
        default=None, description="Pass as ?cursor= to get the next page"
    )
    total: int | None = Field(default=None, description="Items across all pages, when known")
