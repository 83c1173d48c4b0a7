"""The mobile API's calls to the layers below, one method per call, for one signed-in user
(whose token is forwarded with each)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from experience_apis.common.clients import ExperienceCaller, read
from experience_apis.mobile.upstream import Availability, Order, OrderPage, Overview, ProductPage

ORDERS = "orders"


@dataclass(frozen=True)
class Placed:
    """What placing an order answered: 201 (or 202 while it is still processing), and
    whether it was the replay of an earlier request with the same Idempotency-Key."""

    status: int
    order: Order
    replayed: bool


def _segment(value: str) -> str:
    return quote(value, safe="")


class MobileCalls(ExperienceCaller):
    async def overview(self, customer_id: str) -> Overview:
        return await self.fetch(
            Overview, "customers", "GET", f"/customers/{_segment(customer_id)}/overview"
        )

    async def orders(self, customer_id: str, limit: int, cursor: str | None) -> OrderPage:
        params: dict[str, Any] = {"customer_id": customer_id, "limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        return await self.fetch(OrderPage, ORDERS, "GET", "/orders", params=params)

    async def order(self, order_id: str) -> Order:
        return await self.fetch(Order, ORDERS, "GET", f"/orders/{_segment(order_id)}")

    async def place_order(self, body: dict[str, Any], idempotency_key: str | None) -> Placed:
        response = await self.call(
            ORDERS, "POST", "/orders", json=body, headers=_idempotency(idempotency_key)
        )
        replayed = response.headers.get("idempotent-replayed", "").lower() == "true"
        return Placed(response.status_code, read(Order, response, ORDERS), replayed)

    async def pay(self, order_id: str, body: dict[str, Any], idempotency_key: str | None) -> Order:
        response = await self.call(
            ORDERS,
            "POST",
            f"/orders/{_segment(order_id)}/payments",
            json=body,
            headers=_idempotency(idempotency_key),
        )
        return read(Order, response, ORDERS)

    async def products(self, limit: int, cursor: str | None) -> ProductPage:
        params: dict[str, Any] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        return await self.fetch(ProductPage, "inventory", "GET", "/products", params=params)

    async def availability(self, sku: str) -> Availability:
        return await self.fetch(
            Availability, "availability", "GET", f"/availability/{_segment(sku)}"
        )


def _idempotency(key: str | None) -> dict[str, str]:
    return {"Idempotency-Key": key} if key is not None else {}
