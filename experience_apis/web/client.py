"""The calls the web experience API makes, one method each, for one signed-in customer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from experience_apis.common.clients import ExperienceCaller, read
from experience_apis.web import below
from system_apis.canonical import Money


@dataclass(frozen=True)
class Placed:
    """The orders API's answer to placing an order: 201 done, 202 still going."""

    order: below.Order
    status: int
    replayed: bool


def _segment(value: str) -> str:
    return quote(value, safe="")


class WebCalls(ExperienceCaller):
    # -- the customer -----------------------------------------------------------------------

    async def overview(self, customer_id: str) -> below.Overview:
        path = f"/customers/{_segment(customer_id)}/overview"
        return await self.fetch(below.Overview, "customers", "GET", path)

    # -- the catalog ------------------------------------------------------------------------

    async def products(
        self, *, limit: int, cursor: str | None, category: str | None
    ) -> below.CatalogPage:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        if category:
            params["category"] = category
        return await self.fetch(below.CatalogPage, "inventory", "GET", "/products", params=params)

    async def product(self, sku: str) -> below.CatalogProduct:
        path = f"/products/{_segment(sku)}"
        return await self.fetch(below.CatalogProduct, "inventory", "GET", path)

    async def fulfilment(self, lines: list[dict[str, Any]]) -> below.FulfilmentOptions:
        return await self.fetch(
            below.FulfilmentOptions, "availability", "POST", "/fulfilment", json={"lines": lines}
        )

    async def availability(self, sku: str, quantity: int = 1) -> below.Availability:
        path = f"/availability/{_segment(sku)}"
        params = {"quantity": quantity}
        return await self.fetch(below.Availability, "availability", "GET", path, params=params)

    # -- orders -----------------------------------------------------------------------------

    async def orders(self, customer_id: str, *, limit: int, cursor: str | None) -> below.OrderPage:
        params: dict[str, Any] = {"customer_id": customer_id, "limit": limit}
        if cursor:
            params["cursor"] = cursor
        return await self.fetch(below.OrderPage, "orders", "GET", "/orders", params=params)

    async def placed_with(self, customer_id: str, idempotency_key: str) -> below.Order | None:
        """The order this caller placed for the customer with ``idempotency_key``, if any."""
        params = {"customer_id": customer_id, "idempotency_key": idempotency_key, "limit": 1}
        page = await self.fetch(below.OrderPage, "orders", "GET", "/orders", params=params)
        return page.items[0] if page.items else None

    async def order(self, order_id: str) -> below.Order:
        return await self.fetch(below.Order, "orders", "GET", f"/orders/{_segment(order_id)}")

    async def trace(self, order_id: str) -> below.Trace:
        path = f"/orders/{_segment(order_id)}/trace"
        return await self.fetch(below.Trace, "orders", "GET", path)

    async def place_order(self, order: dict[str, Any], idempotency_key: str) -> Placed:
        response = await self.call(
            "orders", "POST", "/orders", json=order, headers={"Idempotency-Key": idempotency_key}
        )
        replayed = response.headers.get("Idempotent-Replayed", "").lower() == "true"
        return Placed(read(below.Order, response, "orders"), response.status_code, replayed)

    async def pay(
        self, order_id: str, amount: Money | None, idempotency_key: str | None
    ) -> below.Order:
        body = {"amount": amount.model_dump(mode="json")} if amount is not None else {}
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        path = f"/orders/{_segment(order_id)}/payments"
        response = await self.call("orders", "POST", path, json=body, headers=headers)
        return read(below.Order, response, "orders")
