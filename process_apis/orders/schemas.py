"""What the orders API accepts and answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from system_apis.canonical import Money, one_line_per_sku

CUSTOMER_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,100}$"
SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$"
LOCATION_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,32}$"
MAX_LINES = 100
MAX_QUANTITY = 10_000

OrderStatus = Literal[
    "processing", "confirmed", "paid", "rolling_back", "rejected", "cancelling", "cancelled"
]

ORDER_REQUEST_EXAMPLE: dict[str, Any] = {
    "customer_id": "001Dn0000000001IAA",
    "location_id": "71043000001",
    "lines": [{"sku": "FUR-001-GRA", "quantity": 2}],
    "currency": "USD",
}


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrderLineRequest(_Request):
    sku: str = Field(pattern=SKU_PATTERN, examples=["FUR-001-GRA"])
    quantity: Annotated[int, Field(strict=True, ge=1, le=MAX_QUANTITY)] = Field(examples=[2])


class OrderRequest(_Request):
    """An order to fulfil from one location and invoice."""

    model_config = ConfigDict(json_schema_extra={"examples": [ORDER_REQUEST_EXAMPLE]})

    customer_id: str = Field(
        pattern=CUSTOMER_ID_PATTERN, description="The canonical customer id (CRM account id)"
    )
    lines: list[OrderLineRequest] = Field(min_length=1, max_length=MAX_LINES)
    location_id: str = Field(
        pattern=LOCATION_ID_PATTERN, description="The location the order is fulfilled from"
    )
    currency: str | None = Field(
        default=None,
        pattern=r"^[A-Z]{3}$",
        description="Defaults to the currency of the products' prices; must match it",
    )

    @field_validator("lines")
    @classmethod
    def _one_line_per_sku(cls, lines: list[OrderLineRequest]) -> list[OrderLineRequest]:
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


class OrderLine(BaseModel):
    sku: str
    name: str | None = None
    quantity: int
    unit_price: Money | None = Field(default=None, description="Known once priced")
    amount: Money | None = None
    reservation_id: str | None = Field(default=None, description="The inventory hold")


class SalesOrderRef(BaseModel):
    id: str = Field(description="The ERP's id")
    number: str
    status: str = Field(description="As the ERP reported it when the order was made")


class InvoiceRef(BaseModel):
    id: str
    number: str
    status: Literal["open", "paid", "cancelled"]
    total: Money
    amount_due: Money
    due_date: date | None = None


class OrderLinks(BaseModel):
    self: str
    trace: str


class OrderFailure(BaseModel):
    step: str
    problem: dict[str, Any] = Field(description="What the client was told, as problem+json")


class Order(BaseModel):
    """An order placed through the order-to-invoice process."""

    id: str = Field(examples=["ord_5d1b6c0e2f7a4b8c9d0e1f2a3b4c5d6e"])
    status: OrderStatus = Field(
        description="processing, confirmed (order and invoice made, stock committed), paid, "
        "rolling_back / rejected (a step failed; what was done is undone), cancelling / "
        "cancelled"
    )
    flow_status: str = Field(description="The status of the flow fulfilling the order")
    customer_id: str
    location_id: str
    currency: str | None = None
    lines: list[OrderLine]
    total: Money | None = None
    sales_order: SalesOrderRef | None = None
    invoice: InvoiceRef | None = None
    activity_id: str | None = Field(default=None, description="The CRM activity recording it")
    amount_paid: Money | None = None
    paid_at: datetime | None = None
    failure: OrderFailure | None = None
    created_at: datetime
    updated_at: datetime
    links: OrderLinks


class OrderPage(BaseModel):
    items: list[Order]
    next_cursor: str | None = None
