"""Requests the ERP system API accepts, and the ERP's view of a customer's account.

Responses are otherwise the canonical ``SalesOrder`` and ``Invoice``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, field_validator

from system_apis.canonical import (
    FREE_TEXT_RULE,
    TEXT_RULE,
    Address,
    Amount,
    CanonicalModel,
    CustomerKind,
    InvoiceStatus,
    Money,
    OrderStatus,
    Text,
)

CUSTOMER_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,100}$"
MAX_AMOUNT = Decimal("1000000000000")

ExternalId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        pattern=r"^\S(.*\S)?$",
        description="The caller's id for this record; sending the "
        "same one again returns the first record",
    ),
    TEXT_RULE,
]
Currency = Annotated[
    str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code", examples=["USD"]), TEXT_RULE
]
Memo = Annotated[str, Field(max_length=999), FREE_TEXT_RULE]


class OrderLineRequest(CanonicalModel):
    sku: Text = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,59}$", examples=["ELE-004-GRA"])
    quantity: int = Field(gt=0, le=1_000_000, examples=[2])
    unit_price: Annotated[Amount, Field(ge=0, le=MAX_AMOUNT)] = Field(
        description="Price of one unit, in the order's currency",
        examples=["129.00"],
    )


class CreateOrderRequest(CanonicalModel):
    customer_id: Text = Field(
        pattern=CUSTOMER_ID_PATTERN,
        description="The canonical customer id (the CRM account id)",
        examples=["001Dn0000000001IAA"],
    )
    external_id: ExternalId
    currency: Currency
    lines: list[OrderLineRequest] = Field(min_length=1, max_length=500)
    status: Literal[OrderStatus.PENDING_APPROVAL, OrderStatus.PENDING_FULFILLMENT] = Field(
        default=OrderStatus.PENDING_FULFILLMENT,
        description="pending_approval to have the order approved before fulfilment",
    )
    memo: Memo | None = None


class OrderStatusChange(CanonicalModel):
    status: OrderStatus = Field(examples=["cancelled"])


class CreateInvoiceRequest(CanonicalModel):
    order_id: Text = Field(
        min_length=1, max_length=20, description="The ERP's id for the order", examples=["93"]
    )
    external_id: ExternalId
    due_date: date | None = Field(
        default=None, description="Defaults to 30 days from today (Net 30)"
    )


class PaymentRequest(CanonicalModel):
    amount: Money = Field(
        description="Must be in the invoice's currency and no more than the amount due"
    )
    external_id: ExternalId | None = Field(
        default=None,
        description="Recommended: the same id never pays twice",
    )

    @field_validator("amount")
    @classmethod
    def _positive_and_bounded(cls, amount: Money) -> Money:
        if amount.amount <= 0:
            raise ValueError("a payment must be greater than zero")
        if amount.amount > MAX_AMOUNT:
            raise ValueError(f"a payment cannot exceed {MAX_AMOUNT}")
        return amount


class InvoiceStatusChange(CanonicalModel):
    status: Literal[InvoiceStatus.CANCELLED] = Field(
        description="An open invoice with no payments can be cancelled (voided); invoices "
        "become paid through payments",
    )


class CurrencyBalance(CanonicalModel):
    currency: Currency
    balance: Money = Field(description="What the customer owes on open invoices")
    overdue: Money = Field(description="The part of the balance past its due date")
    open_invoices: int


class ErpCustomerAccount(CanonicalModel):
    """The ERP's view of a customer: who they are to accounting, and what they owe."""

    customer_id: Text = Field(description="The canonical customer id (the CRM account id)")
    erp_id: Text = Field(description="The ERP's internal id for the customer")
    number: Text = Field(description="The ERP's customer number", examples=["CUST-00042"])
    kind: CustomerKind
    name: Text
    first_name: Text | None = None
    last_name: Text | None = None
    email: Text | None = None
    phone: Text | None = None
    billing_address: Address = Field(default_factory=Address)
    active: bool
    currency: Currency = Field(description="The customer's primary currency")
    balance: Money = Field(description="Open balance in the primary currency")
    overdue_balance: Money
    balances: list[CurrencyBalance] = Field(description="Open balances per currency")
    created_at: AwareDatetime
    updated_at: AwareDatetime
