"""What the web storefront asks for, composed from the APIs below for one signed-in customer.

This layer shapes answers and holds no business rules: prices, stock, orders and payments
are the process APIs' (and the systems'). It only decides what the customer may see: their
own dashboard and orders, never another customer's (answered exactly like an unknown id).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

from experience_apis.common.clients import DownstreamError
from experience_apis.common.stock import stock_of
from experience_apis.web import below, views
from experience_apis.web.client import Placed, WebCalls
from experience_apis.web.fulfilment import choose_location
from experience_apis.web.problems import order_not_found, passthrough, product_not_found
from experience_apis.web.schemas import (
    CheckoutRequest,
    Dashboard,
    Order,
    OrderPage,
    PaymentRequest,
    Product,
    ProductPage,
)
from strata.errors import Problem

T = TypeVar("T")
RECENT_ORDERS = 5
DASHBOARD_INVOICES = 10
DASHBOARD_ACTIVITY = 5
AVAILABILITY_CONCURRENCY = 8
# The customer 360's parts, and the dashboard parts each one fills.
OVERVIEW_PARTS: dict[str, tuple[str, ...]] = {
    "profile": ("customer",),
    "activities": ("activity",),
    "invoices": ("invoices", "balance"),
}
OVERVIEW_DASHBOARD_PARTS = ("customer", "activity", "invoices", "balance")


@dataclass(frozen=True)
class CheckedOut:
    order: Order
    status: int  # 201 placed; 202 still being placed
    replayed: bool


def _unknown(error: DownstreamError) -> bool:
    return not error.transient and error.status in (404, 422)


class WebService:
    def __init__(
        self,
        calls: WebCalls,
        customer_id: str,
        *,
        availability_concurrency: int = AVAILABILITY_CONCURRENCY,
    ) -> None:
        self.calls = calls
        self.customer_id = customer_id
        self.availability_concurrency = availability_concurrency

    # -- the dashboard ----------------------------------------------------------------------

    async def dashboard(self) -> Dashboard:
        """The 360 and the latest orders at once; a part whose system is down is left empty
        and named in ``degraded`` (a refusal below, such as an unknown customer, is not a
        degraded part but the answer)."""
        overview, recent = await asyncio.gather(
            self._try(self.calls.overview(self.customer_id)),
            self._try(self.calls.orders(self.customer_id, limit=RECENT_ORDERS, cursor=None)),
        )
        degraded: list[str] = []
        if isinstance(overview, DownstreamError):
            degraded.extend(OVERVIEW_DASHBOARD_PARTS)
            overview = below.Overview(customer_id=self.customer_id)
        else:
            for part in overview.degraded:
                degraded.extend(OVERVIEW_PARTS.get(part, ()))
        if isinstance(recent, DownstreamError):
            degraded.append("recent_orders")
            recent = below.OrderPage(items=[])
        return Dashboard(
            customer=views.customer(self.customer_id, overview.profile),
            balance=views.balance(overview.open_balance or []),
            recent_orders=[views.summary(order) for order in recent.items],
            invoices=views.invoices(overview.invoices or [], DASHBOARD_INVOICES),
            activity=views.activity(overview.recent_activity or [], DASHBOARD_ACTIVITY),
            degraded=degraded,
        )

    @staticmethod
    async def _try(call: Awaitable[T]) -> T | DownstreamError:
        """The answer, or the failure of a system below (to degrade); a refusal is raised."""
        try:
            return await call
        except DownstreamError as error:
            if error.transient:
                return error
            raise passthrough(error) from None

    # -- the catalog ------------------------------------------------------------------------

    async def products(
        self, *, limit: int, cursor: str | None, category: str | None
    ) -> ProductPage:
        try:
            page = await self.calls.products(limit=limit, cursor=cursor, category=category)
            skus = [item.sku for item in page.items]
            stocks = await stock_of(self.calls, skus, self.availability_concurrency)
        except DownstreamError as error:
            raise passthrough(error) from None
        items = [views.product(item, stocks.get(item.sku)) for item in page.items]
        return ProductPage(items=items, next_cursor=page.next_cursor)

    async def product(self, sku: str) -> Product:
        item, stock = await asyncio.gather(
            self._result(self.calls.product(sku)),
            self._result(self.calls.availability(sku)),
        )
        if isinstance(item, DownstreamError):
            if _unknown(item):
                raise product_not_found(sku)
            raise passthrough(item)
        return views.product(item, self._stock(stock))

    @staticmethod
    async def _result(call: Awaitable[T]) -> T | DownstreamError:
        try:
            return await call
        except DownstreamError as error:
            return error

    @staticmethod
    def _stock(answer: below.Availability | DownstreamError) -> below.Availability | None:
        """A product the availability API has no stock for shows none; a failure of the
        availability API fails the answer (it would show wrong numbers otherwise)."""
        if not isinstance(answer, DownstreamError):
            return answer
        if not answer.transient and answer.status == 404:
            return None
        raise passthrough(answer)

    # -- orders -----------------------------------------------------------------------------

    async def orders(self, *, limit: int, cursor: str | None) -> OrderPage:
        try:
            page = await self.calls.orders(self.customer_id, limit=limit, cursor=cursor)
        except DownstreamError as error:
            raise passthrough(error) from None
        return OrderPage(
            items=[views.summary(order) for order in page.items], next_cursor=page.next_cursor
        )

    async def order(self, order_id: str) -> Order:
        found, trace = await asyncio.gather(
            self._result(self.calls.order(order_id)), self._try(self.calls.trace(order_id))
        )
        return views.order(self._own(order_id, found), self._trace_or_none(trace))

    def _own(self, order_id: str, found: below.Order | DownstreamError) -> below.Order:
        """The order if it is this customer's; another customer's is as unknown as an id
        that never existed."""
        if isinstance(found, DownstreamError):
            if _unknown(found):
                raise order_not_found(order_id)
            raise passthrough(found)
        if found.customer_id != self.customer_id:
            raise order_not_found(order_id)
        return found

    async def _with_trace(self, found: below.Order) -> Order:
        trace = await self._try(self.calls.trace(found.id))
        return views.order(found, self._trace_or_none(trace))

    @staticmethod
    def _trace_or_none(answer: below.Trace | DownstreamError) -> below.Trace | None:
        """The trace is a detail: when it cannot be had, the order (just placed or paid,
        perhaps) is still the answer, with ``trace`` named in ``degraded``."""
        return None if isinstance(answer, DownstreamError) else answer

    async def pay(
        self, order_id: str, payment: PaymentRequest, idempotency_key: str | None
    ) -> Order:
        self._own(order_id, await self._result(self.calls.order(order_id)))
        try:
            paid = await self.calls.pay(order_id, payment.amount, idempotency_key)
        except DownstreamError as error:
            raise passthrough(error) from None
        return await self._with_trace(paid)

    # -- checkout ---------------------------------------------------------------------------

    async def checkout(self, cart: CheckoutRequest, idempotency_key: str) -> CheckedOut:
        """The order placed (or, for a key used before, the first answer replayed)."""
        location = cart.location_id or await self._location_for(cart, idempotency_key)
        try:
            placed = await self._place(cart, location, idempotency_key)
        except DownstreamError as error:
            raise self._checkout_problem(error) from None
        order = await self._with_trace(placed.order)
        return CheckedOut(order, placed.status, placed.replayed)

    async def _location_for(self, cart: CheckoutRequest, idempotency_key: str) -> str:
        """Where to fulfil from: for a key that placed an order already, where that order
        is (its replay must not depend on where the stock is now); else where the
        availability API says the whole cart can be."""
        try:
            first = await self.calls.placed_with(self.customer_id, idempotency_key)
        except DownstreamError as error:
            raise passthrough(error) from None
        if first is not None:
            return first.location_id
        return await choose_location(self.calls, cart.lines)

    @staticmethod
    def _checkout_problem(error: DownstreamError) -> Problem:
        """The orders API's problem; while the first checkout with the key is still going,
        with where to follow it here (relative to /checkout, as the 201's Location)."""
        problem = passthrough(error)
        order_id = error.problem.get("order_id")
        if error.kind == "idempotency-in-progress" and isinstance(order_id, str):
            problem.headers["Location"] = f"orders/{quote(order_id, safe='')}"
        return problem

    async def _place(self, cart: CheckoutRequest, location: str, key: str) -> Placed:
        try:
            return await self.calls.place_order(self._order_body(cart, location), key)
        except DownstreamError as error:
            first_order = self._first_order(cart, error)
            if first_order is None:
                raise
            refused = error
        # The location chosen here may differ from the one chosen when the key was first
        # used (the stock moved since): ask again as the first request did, for its answer.
        original = await self._result(self.calls.order(first_order))
        if (
            isinstance(original, DownstreamError)
            or original.customer_id != self.customer_id
            or original.location_id == location
        ):
            raise refused
        return await self.calls.place_order(self._order_body(cart, original.location_id), key)

    @staticmethod
    def _first_order(cart: CheckoutRequest, error: DownstreamError) -> str | None:
        """The order a reused key placed, when the reuse may only be the location this API
        chose differing."""
        order_id = error.problem.get("order_id")
        if (
            cart.location_id is None
            and not error.transient
            and error.kind == "idempotency-key-reused"
            and isinstance(order_id, str)
        ):
            return order_id
        return None

    def _order_body(self, cart: CheckoutRequest, location: str) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id,
            "location_id": location,
            "lines": [line.model_dump(mode="json") for line in cart.lines],
        }
