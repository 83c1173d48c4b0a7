"""The calls the web experience API makes, one method each, for one signed-in customer."""

from __future__ import annotations

import asyncio
import json as jsonlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from experience_apis.common.clients import DownstreamError, ExperienceCaller, read
from experience_apis.web import below
from system_apis.canonical import Money

# Headers of an answer below that mean something to this API's caller too.
PASSED_HEADERS = ("Idempotent-Replayed", "Retry-After")


class AnsweredError(DownstreamError):
    """A failure below that came with an answer whose headers matter here (a replayed
    refusal carries ``Idempotent-Replayed``; an order still in progress, ``Retry-After``)."""

    def __init__(
        self,
        system: str,
        status: int,
        problem: Mapping[str, Any],
        *,
        transient: bool,
        headers: Mapping[str, str],
    ) -> None:
        super().__init__(system, status, problem, transient=transient)
        self.headers = dict(headers)


@dataclass(frozen=True)
class Placed:
    """The orders API's answer to placing an order: 201 done, 202 still going."""

    order: below.Order
    status: int
    replayed: bool


def _segment(value: str) -> str:
    return quote(value, safe="")


def _problem_of(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except (jsonlib.JSONDecodeError, UnicodeDecodeError):
        body = None
    if isinstance(body, dict):
        return body
    return {"title": "Unreadable error", "detail": f"HTTP {response.status_code}"}


def _passed_headers(response: httpx.Response) -> dict[str, str]:
    return {name: response.headers[name] for name in PASSED_HEADERS if name in response.headers}


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

    async def order(self, order_id: str) -> below.Order:
        return await self.fetch(below.Order, "orders", "GET", f"/orders/{_segment(order_id)}")

    async def trace(self, order_id: str) -> below.Trace:
        path = f"/orders/{_segment(order_id)}/trace"
        return await self.fetch(below.Trace, "orders", "GET", path)

    async def place_order(self, order: dict[str, Any], idempotency_key: str) -> Placed:
        response = await self._send(
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
        response = await self._send("orders", "POST", path, json=body, headers=headers)
        return read(below.Order, response, "orders")

    async def _send(
        self,
        system: str,
        method: str,
        path: str,
        *,
        json: Any,
        headers: Mapping[str, str],
    ) -> httpx.Response:
        """``call`` with request headers of its own (``LayerCaller.call`` sends only the
        Authorization), keeping the headers of a refusal that matter to the caller."""
        sent = dict(headers)
        if self.authorization:
            sent["Authorization"] = self.authorization
        client = self.clients.of(system)
        try:
            # In-process transports have no timeout of their own.
            async with asyncio.timeout(self.clients.timeout):
                response = await client.request(method, path, json=json, headers=sent)
        except (TimeoutError, httpx.TimeoutException):
            detail = f"no answer within {self.clients.timeout:g} s"
            raise DownstreamError(
                system, 504, {"title": "Timeout", "detail": detail}, transient=True
            ) from None
        except httpx.TransportError as exc:
            detail = f"connection failed ({type(exc).__name__})"
            raise DownstreamError(
                system, 503, {"title": "Unreachable", "detail": detail}, transient=True
            ) from None
        if response.status_code >= 400:
            status = response.status_code
            raise AnsweredError(
                system,
                status,
                _problem_of(response),
                transient=status >= 500 or status in (401, 403),
                headers=_passed_headers(response),
            )
        return response
