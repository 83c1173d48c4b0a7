"""What each mobile endpoint does: the calls below for the signed-in customer, shaped
compact. The layers below hold the rules; this API composes, filters to the customer and
pages."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from experience_apis.common.clients import DownstreamError
from experience_apis.common.identity import Customer
from experience_apis.common.stock import stock_of
from experience_apis.mobile import upstream, views
from experience_apis.mobile.client import MobileCalls
from experience_apis.mobile.paging import page_after, unwrap_cursor, wrap_cursor
from experience_apis.mobile.problems import ORDER_FIELDS, from_below
from experience_apis.mobile.schemas import (
    InvoiceView,
    Me,
    NewOrder,
    OrderDetail,
    OrderSummary,
    Payment,
    ProductDetail,
    ProductView,
)
from strata.errors import NotFound, Problem

ORDERS_CURSOR = "mobile-orders"
INVOICES_CURSOR = "mobile-invoices"
PRODUCTS_CURSOR = "mobile-products"
# Availability lookups in flight at once for one page of products.
AVAILABILITY_CONCURRENCY = 8


@contextmanager
def answered_below(renames: Mapping[str, str] | None = None) -> Iterator[None]:
    """A failed call below becomes this API's problem."""
    try:
        yield
    except DownstreamError as error:
        raise from_below(error, renames) from None


class MobileService:
    def __init__(self, calls: MobileCalls, customer: Customer) -> None:
        self.calls = calls
        self.customer = customer

    async def me(self) -> Me:
        with answered_below():
            overview = await self.calls.overview(self.customer.customer_id)
        return views.me(overview)

    # -- orders ---------------------------------------------------------------------------

    async def orders(self, limit: int, cursor: str | None) -> tuple[list[OrderSummary], str | None]:
        below = unwrap_cursor(ORDERS_CURSOR, cursor)
        with answered_below():
            page = await self.calls.orders(self.customer.customer_id, limit, below)
        items = [views.order_summary(order) for order in page.items]
        return items, wrap_cursor(ORDERS_CURSOR, page.next_cursor)

    async def order(self, order_id: str) -> OrderDetail:
        return views.order_detail(await self._own_order(order_id))

    async def _own_order(self, order_id: str) -> upstream.Order:
        """The order, if it is this customer's; otherwise the same 404 as an unknown id, so
        that nobody learns another customer's order ids exist."""
        try:
            order = await self.calls.order(order_id)
        except DownstreamError as error:
            if not error.transient and error.status == 404:
                raise NotFound("order", order_id) from None
            raise from_below(error) from None
        if order.customer_id != self.customer.customer_id:
            raise NotFound("order", order_id)
        return order

    async def place(
        self, new: NewOrder, idempotency_key: str | None
    ) -> tuple[int, OrderDetail, bool]:
        """The status the orders API answered (201, or 202 while still processing), the
        order, and whether it replays an earlier request with the same key."""
        body = {
            "customer_id": self.customer.customer_id,
            "location_id": new.location_id,
            "lines": [{"sku": item.sku, "quantity": item.qty} for item in new.items],
        }
        with answered_below(ORDER_FIELDS):
            placed = await self.calls.place_order(body, idempotency_key)
        return placed.status, views.order_detail(placed.order), placed.replayed

    async def pay(
        self, order_id: str, payment: Payment, idempotency_key: str | None
    ) -> OrderDetail:
        order = await self._own_order(order_id)
        body: dict[str, Any] = {}
        if payment.amount is not None:
            currency = order.total.currency if order.total else order.currency
            if currency is None:
                raise not_priced(order)
            body["amount"] = {"amount": payment.amount, "currency": currency}
        with answered_below():
            paid = await self.calls.pay(order.id, body, idempotency_key)
        return views.order_detail(paid)

    # -- invoices -------------------------------------------------------------------------

    async def invoices(
        self, limit: int, cursor: str | None
    ) -> tuple[list[InvoiceView], str | None]:
        with answered_below():
            overview = await self.calls.overview(self.customer.customer_id)
        if overview.invoices is None:
            raise part_unavailable(overview, "invoices")
        page, next_cursor = page_after(
            overview.invoices,
            kind=INVOICES_CURSOR,
            key=views.invoice_position,
            limit=limit,
            cursor=cursor,
        )
        return [views.invoice(invoice) for invoice in page], next_cursor

    # -- products -------------------------------------------------------------------------

    async def products(
        self, limit: int, cursor: str | None
    ) -> tuple[list[ProductView], str | None]:
        below = unwrap_cursor(PRODUCTS_CURSOR, cursor)
        with answered_below():
            page = await self.calls.products(limit, below)
            skus = [item.sku for item in page.items]
            stocks = await stock_of(self.calls, skus, AVAILABILITY_CONCURRENCY)
        items = [views.product(item, stocks[item.sku].total_available) for item in page.items]
        return items, wrap_cursor(PRODUCTS_CURSOR, page.next_cursor)

    async def product(self, sku: str) -> ProductDetail:
        try:
            availability = await self.calls.availability(sku)
        except DownstreamError as error:
            if not error.transient and error.status == 404:
                raise NotFound("product", sku) from None
            raise from_below(error) from None
        return views.product_detail(availability)


def not_priced(order: upstream.Order) -> Problem:
    return Problem(
        409,
        "Order not payable",
        f"Order {order.id} is {order.status} and has no price yet; nothing can be paid.",
        kind="order-not-payable",
        order_status=order.status,
    )


def part_unavailable(overview: upstream.Overview, part: str) -> Problem:
    why = next((missing for missing in overview.missing if missing.part == part), None)
    system = why.system if why else "customers"
    detail = f"The {system} system could not give the customer's {part} just now"
    return Problem(
        503,
        "Upstream unavailable",
        f"{detail}: {why.detail}" if why and why.detail else f"{detail}.",
        kind="upstream-unavailable",
        system=system,
        headers={"Retry-After": "5"},
    )
