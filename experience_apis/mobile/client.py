"""The mobile API's calls to the layers below, one method per call, for one signed-in user
(whose token is forwarded with each)."""

from __future__ import annotations

import asyncio
import json as jsonlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from experience_apis.common.clients import DownstreamError, ExperienceCaller, read
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
        response = await self._send_with_headers(
            "POST", "/orders", body, _idempotency(idempotency_key)
        )
        replayed = response.headers.get("idempotent-replayed", "").lower() == "true"
        return Placed(response.status_code, read(Order, response, ORDERS), replayed)

    async def pay(self, order_id: str, body: dict[str, Any], idempotency_key: str | None) -> Order:
        response = await self._send_with_headers(
            "POST", f"/orders/{_segment(order_id)}/payments", body, _idempotency(idempotency_key)
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

    async def _send_with_headers(
        self, method: str, path: str, body: Any, headers: Mapping[str, str]
    ) -> httpx.Response:
        """``call()`` with extra request headers (it forwards only Authorization), failing
        the same way: a DownstreamError, transient for no answer, a 5xx, 401 or 403."""
        sent = {**headers, **({"Authorization": self.authorization} if self.authorization else {})}
        try:
            async with asyncio.timeout(self.clients.timeout):
                response = await self.clients.of(ORDERS).request(
                    method, path, json=body, headers=sent
                )
        except (TimeoutError, httpx.TimeoutException):
            raise _no_answer(
                504, "Timeout", f"no answer within {self.clients.timeout:g} s"
            ) from None
        except httpx.TransportError as exc:
            raise _no_answer(
                503, "Unreachable", f"connection failed ({type(exc).__name__})"
            ) from None
        if response.status_code >= 400:
            transient = response.status_code >= 500 or response.status_code in (401, 403)
            raise DownstreamError(
                ORDERS, response.status_code, _problem_of(response), transient=transient
            )
        return response


def _idempotency(key: str | None) -> dict[str, str]:
    return {"Idempotency-Key": key} if key is not None else {}


def _no_answer(status: int, title: str, detail: str) -> DownstreamError:
    return DownstreamError(
        ORDERS, status, {"title": title, "detail": detail, "status": status}, transient=True
    )


def _problem_of(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except (jsonlib.JSONDecodeError, UnicodeDecodeError):
        body = None
    if isinstance(body, dict):
        return body
    return {"title": "Unreadable error", "detail": f"HTTP {response.status_code}"}
