"""The calls the order-to-invoice process makes to the CRM, ERP and inventory system APIs,
read into the canonical model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict

from process_apis.clients import SystemCaller
from system_apis.canonical import (
    Customer,
    Invoice,
    Money,
    Page,
    Product,
    Reservation,
    SalesOrder,
)

_MAX_PAGES = 50


def _part(value: str) -> str:
    return quote(value, safe="")


class RecordedActivity(BaseModel):
    """The part of the CRM's activity the process keeps."""

    model_config = ConfigDict(extra="ignore")

    id: str
    customer_id: str


class OrderCalls(SystemCaller):
    # -- CRM -------------------------------------------------------------------------------

    async def customer(self, customer_id: str) -> Customer:
        return await self.fetch(Customer, "crm", "GET", f"/customers/{_part(customer_id)}")

    async def record_activity(self, customer_id: str, activity: Mapping[str, Any]) -> str:
        recorded = await self.fetch(
            RecordedActivity,
            "crm",
            "POST",
            f"/customers/{_part(customer_id)}/activities",
            json=dict(activity),
        )
        return recorded.id

    # -- inventory -------------------------------------------------------------------------

    async def product(self, sku: str) -> Product:
        return await self.fetch(Product, "inventory", "GET", f"/products/{_part(sku)}")

    async def reserve(
        self, *, sku: str, location_id: str, quantity: int, external_id: str, ttl_seconds: int
    ) -> Reservation:
        body = {
            "sku": sku,
            "location_id": location_id,
            "quantity": quantity,
            "external_id": external_id,
            "ttl_seconds": ttl_seconds,
        }
        return await self.fetch(Reservation, "inventory", "POST", "/reservations", json=body)

    async def commit_reservation(self, reservation_id: str) -> Reservation:
        path = f"/reservations/{_part(reservation_id)}/commit"
        return await self.fetch(Reservation, "inventory", "POST", path)

    async def release_reservation(self, reservation_id: str) -> Reservation:
        path = f"/reservations/{_part(reservation_id)}/release"
        return await self.fetch(Reservation, "inventory", "POST", path)

    # -- ERP -------------------------------------------------------------------------------

    async def make_erp_know(self, customer: Mapping[str, Any]) -> None:
        await self.call(
            "erp", "PUT", f"/customers/{_part(str(customer['id']))}", json=dict(customer)
        )

    async def create_sales_order(
        self,
        *,
        customer_id: str,
        external_id: str,
        currency: str,
        lines: list[Mapping[str, Any]],
    ) -> SalesOrder:
        body = {
            "customer_id": customer_id,
            "external_id": external_id,
            "currency": currency,
            "lines": [
                {"sku": line["sku"], "quantity": line["quantity"], "unit_price": line["unit_price"]}
                for line in lines
            ],
        }
        return await self.fetch(SalesOrder, "erp", "POST", "/orders", json=body)

    async def find_sales_order(self, customer_id: str, external_id: str) -> SalesOrder | None:
        """The customer's order with this external id, read from the ERP's listing (used to
        undo an order whose creation got no answer)."""
        params: dict[str, Any] = {"customer_id": customer_id, "limit": 200}
        for _ in range(_MAX_PAGES):
            page = await self.fetch(Page[SalesOrder], "erp", "GET", "/orders", params=params)
            for order in page.items:
                if order.external_id == external_id:
                    return order
            if not page.next_cursor:
                return None
            params["cursor"] = page.next_cursor
        return None

    async def sales_order(self, order_id: str) -> SalesOrder:
        return await self.fetch(SalesOrder, "erp", "GET", f"/orders/{_part(order_id)}")

    async def set_sales_order_status(self, order_id: str, status: str) -> SalesOrder:
        path = f"/orders/{_part(order_id)}/status"
        return await self.fetch(SalesOrder, "erp", "POST", path, json={"status": status})

    async def create_invoice(self, *, order_id: str, external_id: str) -> Invoice:
        body = {"order_id": order_id, "external_id": external_id}
        return await self.fetch(Invoice, "erp", "POST", "/invoices", json=body)

    async def find_invoice(self, order_id: str, external_id: str) -> Invoice | None:
        params = {"order_id": order_id, "limit": 200}
        page = await self.fetch(Page[Invoice], "erp", "GET", "/invoices", params=params)
        return next((inv for inv in page.items if inv.external_id == external_id), None)

    async def invoice(self, invoice_id: str) -> Invoice:
        return await self.fetch(Invoice, "erp", "GET", f"/invoices/{_part(invoice_id)}")

    async def cancel_invoice(self, invoice_id: str) -> Invoice:
        path = f"/invoices/{_part(invoice_id)}/status"
        return await self.fetch(Invoice, "erp", "POST", path, json={"status": "cancelled"})

    async def pay_invoice(self, invoice_id: str, amount: Money, external_id: str | None) -> Invoice:
        body: dict[str, Any] = {"amount": amount.model_dump(mode="json")}
        if external_id:
            body["external_id"] = external_id
        path = f"/invoices/{_part(invoice_id)}/payments"
        return await self.fetch(Invoice, "erp", "POST", path, json=body)
