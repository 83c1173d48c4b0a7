"""The canonical model: one shape for each business object, whatever system it lives in.

System APIs speak only this model; process APIs compose it. Money is a decimal string with a
currency, times are UTC RFC 3339, ids are strings. Each system's data map turns its backend's
native records into these and back.

Every string is :data:`Text` (ids, codes, names: no control characters at all) or
:data:`FreeText` (notes, descriptions, street lines: tab, line feed and carriage return too),
so that what one system gives can be written to every other. XML 1.0 (the ERP) cannot hold
the other C0 controls, U+FFFE or U+FFFF, PostgreSQL cannot hold NUL, and UTF-8 cannot hold a
lone surrogate (which JSON can carry as ``\\ud800``). DEL is refused too: no backend field
means it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Generic, Protocol, TypeVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, PlainSerializer
from pydantic_core import PydanticCustomError

T = TypeVar("T")

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_REFUSED_IN_TEXT = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_REFUSED_IN_FREE_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
TEXT_ERROR = "text_characters"


def character_problem(value: str, *, free_text: bool = False) -> str | None:
    """Why ``value`` cannot travel to every backend (the first character that cannot, and
    where), or None when it can. ``free_text`` allows tab, line feed and carriage return."""
    found = (_REFUSED_IN_FREE_TEXT if free_text else _REFUSED_IN_TEXT).search(value)
    if found is None:
        return None
    code = ord(found.group())
    where = f"U+{code:04X} at index {found.start()}"
    if 0xD800 <= code <= 0xDFFF:
        return f"has an unpaired surrogate ({where})"
    if code >= 0xFFFE:
        return f"has a noncharacter ({where})"
    allowed = "; only tab, line feed and carriage return are allowed" if free_text else ""
    return f"has a control character ({where}){allowed}"


def _text(value: str) -> str:
    return _checked(value, free_text=False)


def _free_text(value: str) -> str:
    return _checked(value, free_text=True)


def _checked(value: str, *, free_text: bool) -> str:
    problem = character_problem(value, free_text=free_text)
    if problem is not None:
        # A custom error keeps the message as written ("Value error, " would lead a ValueError's).
        raise PydanticCustomError(TEXT_ERROR, problem)
    return value


# The rules as annotations, for strings with constraints of their own. Put them after the
# constraints: pydantic drops a ``pattern`` from the JSON schema when it follows a validator.
TEXT_RULE = AfterValidator(_text)
FREE_TEXT_RULE = AfterValidator(_free_text)

Text = Annotated[str, TEXT_RULE]
"""A string without control characters: ids, codes, names, subjects."""

FreeText = Annotated[str, FREE_TEXT_RULE]
"""A string that may also hold tab, line feed and carriage return: notes, descriptions."""


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
    currency: Text = Field(pattern=_CURRENCY.pattern, description="ISO 4217 code", examples=["USD"])


class Address(CanonicalModel):
    street: FreeText | None = Field(
        default=None, description="The street lines, separated by line feeds"
    )
    city: Text | None = None
    state: Text | None = None
    postal_code: Text | None = None
    country: Text | None = Field(
        default=None, description="ISO 3166-1 alpha-2 code", examples=["US"]
    )


class CustomerKind(StrEnum):
    COMPANY = "company"
    PERSON = "person"


class Customer(CanonicalModel):
    id: Text = Field(
        description="The customer's id (the CRM account id)", examples=["001Dn0000000001IAA"]
    )
    kind: CustomerKind
    name: Text = Field(description="Company name, or the person's full name")
    first_name: Text | None = None
    last_name: Text | None = None
    email: Text | None = None
    phone: Text | None = None
    industry: Text | None = None
    billing_address: Address = Field(default_factory=Address)
    active: bool = True
    created_at: AwareDatetime
    updated_at: AwareDatetime


class Product(CanonicalModel):
    id: Text
    sku: Text = Field(examples=["ELE-004-GRA"])
    name: Text
    description: FreeText | None = None
    category: Text | None = None
    price: Money
    active: bool = True


class Location(CanonicalModel):
    id: Text
    code: Text = Field(examples=["SFO-1"])
    name: Text
    address: Address = Field(default_factory=Address)
    latitude: float | None = None
    longitude: float | None = None


class StockLevel(CanonicalModel):
    sku: Text
    location_id: Text
    location_code: Text
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
    id: Text
    sku: Text
    location_id: Text
    quantity: int = Field(gt=0)
    status: ReservationStatus
    external_id: Text | None = Field(
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
    sku: Text
    quantity: int = Field(gt=0)
    unit_price: Money
    amount: Money


class SalesOrder(CanonicalModel):
    id: Text = Field(description="The ERP's id for the order")
    number: Text = Field(description="The human-readable order number")
    customer_id: Text = Field(description="The canonical customer id")
    external_id: Text | None = None
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
    id: Text
    number: Text
    order_id: Text
    customer_id: Text
    external_id: Text | None = None
    status: InvoiceStatus
    total: Money
    amount_due: Money
    due_date: datetime | None = None
    created_at: AwareDatetime
    updated_at: AwareDatetime


class Page(CanonicalModel, Generic[T]):
    """One page of a list; follow ``next_cursor`` for the next one."""

    items: list[T]
    next_cursor: Text | None = Field(
        default=None, description="Pass as ?cursor= to get the next page"
    )
    total: int | None = Field(default=None, description="Items across all pages, when known")
