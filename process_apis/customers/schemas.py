"""What the customer 360 API answers."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from system_apis.canonical import Customer, Invoice, Money, SalesOrder

Part = Literal["profile", "activities", "orders", "invoices"]
PARTS: tuple[Part, ...] = ("profile", "activities", "orders", "invoices")
PART_SYSTEMS: dict[Part, str] = {
    "profile": "crm",
    "activities": "crm",
    "orders": "erp",
    "invoices": "erp",
}


class Activity(BaseModel):
    """An activity as the CRM system API reports it (fields it may add later are ignored)."""

    model_config = ConfigDict(extra="ignore")

    id: str
    customer_id: str
    kind: str
    subject: str | None = None
    status: str
    occurred_at: datetime
    description: str | None = None


class Missing(BaseModel):
    part: Part
    system: str
    status: int = Field(description="What the system API answered (504: no answer in time)")
    detail: str | None = None


class Balance(BaseModel):
    open: Money = Field(description="What the customer owes on open invoices")
    open_invoices: int


class CustomerOverview(BaseModel):
    """A customer seen from every system at once."""

    customer_id: str
    profile: Customer | None = Field(default=None, description="From the CRM")
    recent_activity: list[Activity] | None = Field(
        default=None, description="The CRM's newest activities first"
    )
    orders: list[SalesOrder] | None = Field(
        default=None, description="The ERP's sales orders, newest first"
    )
    order_count: int | None = None
    invoices: list[Invoice] | None = Field(
        default=None, description="The ERP's invoices, newest first"
    )
    open_balance: list[Balance] | None = Field(
        default=None, description="Open balance per currency, from the open invoices"
    )
    degraded: list[Part] = Field(
        default_factory=list,
        description="Parts that could not be fetched (their system is down or slow); the "
        "rest is complete",
    )
    missing: list[Missing] = Field(default_factory=list, description="Why each part is missing")
