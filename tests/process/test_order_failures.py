"""When systems fail: compensation, parking, retry and resuming after a crash."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select, update

from process.support import (
    ORDERS_BASE,
    FailingRoute,
    Stack,
    active_customer,
    build_stack,
    make_orders,
    orders_client,
    place,
    stock_of,
    stocked_line,
)
from process_apis.flows.models import FlowRecord
from strata.db import Database, utcnow
from strata.settings import FaultSettings


async def an_order(stack: Stack) -> tuple[dict[str, Any], int]:
    sku, location_id, available = await stocked_line(stack)
    body = {
        "customer_id": active_customer(stack),
        "location_id": location_id,
        "lines": [{"sku": sku, "quantity": 2}],
    }
    return body, available


async def erp_orders_of(stack: Stack, customer_id: str, external_id: str) -> list[dict[str, Any]]:
    page = (
        await stack.clients.erp.get("/orders", params={"customer_id": customer_id, "limit": 200})
    ).json()
    return [o for o in page["items"] if o["external_id"] == external_id]


async def test_invoice_creation_failing_releases_the_stock_and_cancels_the_erp_order(
    database: Database,
) -> None:
    wrappers: dict[str, FailingRoute] = {}

    def failing_invoices(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        wrappers["erp"] = FailingRoute(inner, "POST", "/invoices", status=503)
        return wrappers["erp"]

    stack = await build_stack(database, system_wrappers={"erp": failing_invoices})
    process = make_orders(stack)
    try:
        async with orders_client(process) as orders:
            body, available = await an_order(stack)
            sku, location_id = body["lines"][0]["sku"], body["location_id"]

            response = await place(orders, body, "erp-down-1")

            assert response.status_code == 503, response.text
            problem = response.json()
            assert problem["failed_step"] == "create_invoice"
            assert problem["system"] == "erp"
            assert problem["rolled_back"] is True
            assert wrappers["erp"].hits == 3  # the step's attempts
            assert (await stock_of(stack, sku, location_id))["available"] == available
            [erp_order] = await erp_orders_of(stack, body["customer_id"], problem["order_id"])
            assert erp_order["status"] == "cancelled"

            trace = (await orders.get(f"{ORDERS_BASE}/orders/{problem['order_id']}/trace")).json()
            steps = {s["name"]: s for s in trace["steps"]}
            assert trace["status"] == "compensated"
            assert steps["create_invoice"]["status"] == "failed"
            assert steps["create_invoice"]["attempts"] == 3
            assert steps["create_invoice"]["error"]["transient"] is True
            assert steps["create_sales_order"]["compensation"]["status"] == "compensated"
            assert steps["reserve_stock"]["compensation"]["status"] == "compensated"
            assert steps["commit_reservations"]["status"] == "pending"
            reservation_id = steps["reserve_stock"]["output"]["reservations"][0]["reservation_id"]
            held = (await stack.clients.inventory.get(f"/reservations/{reservation_id}")).json()
            assert held["status"] == "released"
            order = (await orders.get(f"{ORDERS_BASE}/orders/{problem['order_id']}")).json()
            assert order["status"] == "rejected"
            assert order["failure"]["step"] == "create_invoice"
    finally:
        await process.aclose()
        await stack.aclose()


async def test_erp_outage_at_the_invoice_is_undone_once_the_erp_is_back(
    database: Database,
) -> None:
    """The ERP goes down right after taking the order: its order cannot be cancelled yet, the
    stock is released at once, and the runner finishes undoing once the ERP is back."""
    stack: Stack

    class OutageAfterOrder(httpx.AsyncBaseTransport):
        def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
            self.inner = inner

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            response = await self.inner.handle_async_request(request)
            if request.method == "POST" and request.url.path.endswith("/orders"):
                stack.faults["erp"].set(FaultSettings(outage=True))
            return response

    stack = await build_stack(database, system_wrappers={"erp": OutageAfterOrder})
    process = make_orders(stack)
    try:
        async with orders_client(process) as orders:
            body, available = await an_order(stack)
            sku, location_id = body["lines"][0]["sku"], body["location_id"]

            response = await place(orders, body, "erp-outage-1")

            assert response.status_code == 503, response.text
            problem = response.json()
            assert problem["failed_step"] == "create_invoice"
            assert problem["rolled_back"] is False
            assert (await stock_of(stack, sku, location_id))["available"] == available
            order = (await orders.get(f"{ORDERS_BASE}/orders/{problem['order_id']}")).json()
            assert order["status"] == "rolling_back"
            trace = (await orders.get(f"{ORDERS_BASE}/orders/{problem['order_id']}/trace")).json()
            steps = {s["name"]: s for s in trace["steps"]}
            assert steps["create_sales_order"]["compensation"]["status"] == "failed"
            assert steps["reserve_stock"]["compensation"]["status"] == "compensated"

            stack.faults["erp"].clear()
            for _ in range(100):
                await process.runner.run_due_once()
                order = (await orders.get(f"{ORDERS_BASE}/orders/{problem['order_id']}")).json()
                if order["status"] == "rejected":
                    break
                await asyncio.sleep(0.05)

            assert order["status"] == "rejected"
            [erp_order] = await erp_orders_of(stack, body["customer_id"], problem["order_id"])
            assert erp_order["status"] == "cancelled"
            trace = (await orders.get(f"{ORDERS_BASE}/orders/{problem['order_id']}/trace")).json()
            steps = {s["name"]: s for s in trace["steps"]}
            assert steps["create_sales_order"]["compensation"]["status"] == "compensated"
            assert steps["create_sales_order"]["compensation"]["attempts"] > 3
            assert trace["resumes"] >= 1
    finally:
        await process.aclose()
        await stack.aclose()


async def test_a_crm_failure_after_the_pivot_keeps_the_order_and_retry_finishes(
    database: Database,
) -> None:
    wrappers: dict[str, FailingRoute] = {}

    def failing_activities(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        wrappers["crm"] = FailingRoute(inner, "POST", "/activities", status=502)
        return wrappers["crm"]

    stack = await build_stack(database, system_wrappers={"crm": failing_activities})
    process = make_orders(stack)
    try:
        async with orders_client(process) as orders:
            body, available = await an_order(stack)

            response = await place(orders, body, "crm-down-1")

            assert response.status_code == 201, response.text
            order = response.json()
            assert order["status"] == "confirmed"
            assert order["flow_status"] == "failed"
            assert order["activity_id"] is None
            assert order["invoice"]["status"] == "open"
            sku, location_id = body["lines"][0]["sku"], body["location_id"]
            assert (await stock_of(stack, sku, location_id))["available"] == available - 2

            wrappers["crm"].failing = False
            retried = await orders.post(f"{ORDERS_BASE}/orders/{order['id']}/retry")

            assert retried.status_code == 200, retried.text
            assert retried.json()["flow_status"] == "succeeded"
            assert retried.json()["activity_id"] is not None
            trace = (await orders.get(f"{ORDERS_BASE}/orders/{order['id']}/trace")).json()
            assert [s["attempts"] for s in trace["steps"]] == [1, 1, 1, 1, 1, 1, 4]
            assert "retry_requested" in [e["event"] for e in trace["events"]]
    finally:
        await process.aclose()
        await stack.aclose()


async def test_an_order_a_dead_server_left_mid_flow_is_finished_by_another(
    database: Database,
) -> None:
    """The first server stops for good just after the ERP made the invoice, before the answer
    got back; a second server's runner finds the flow once its lease has expired and
    finishes it: one ERP order, one invoice, the stock taken once."""
    gate = asyncio.Event()
    reached = asyncio.Event()

    class StallInvoices(httpx.AsyncBaseTransport):
        def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
            self.inner = inner

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            response = await self.inner.handle_async_request(request)
            if request.method == "POST" and request.url.path.endswith("/invoices"):
                reached.set()
                await gate.wait()
            return response

    first = await build_stack(database, system_wrappers={"erp": StallInvoices})
    dying = make_orders(first)
    body, available = await an_order(first)
    async with orders_client(dying) as orders:
        request = asyncio.create_task(place(orders, body, "crash-1"))
        await asyncio.wait_for(reached.wait(), 10)
        request.cancel()
        await asyncio.gather(request, return_exceptions=True)
    async with database.session() as session:
        # What a killed process leaves: its lease, expired a moment later.
        await session.execute(
            update(FlowRecord).values(
                lease_owner="dead-server:4242/0f0f", lease_expires_at=utcnow() - timedelta(1)
            )
        )
    await dying.aclose()
    await first.aclose()

    second = await build_stack(database, seed=False)
    survivor = make_orders(second)
    try:
        async with orders_client(survivor) as orders:
            async with database.session() as session:
                order_id = (await session.scalars(select(FlowRecord.id))).one()
            before = (await orders.get(f"{ORDERS_BASE}/orders/{order_id}")).json()
            assert before["status"] == "processing"

            assert await survivor.runner.run_due_once() == [order_id]

            order = (await orders.get(f"{ORDERS_BASE}/orders/{order_id}")).json()
            assert order["status"] == "confirmed"
            assert order["invoice"] is not None
            invoices = (
                await second.clients.erp.get(
                    "/invoices", params={"order_id": order["sales_order"]["id"]}
                )
            ).json()["items"]
            assert len(invoices) == 1
            assert len(await erp_orders_of(second, body["customer_id"], order_id)) == 1
            sku, location_id = body["lines"][0]["sku"], body["location_id"]
            assert (await stock_of(second, sku, location_id))["available"] == available - 2
            trace = (await orders.get(f"{ORDERS_BASE}/orders/{order_id}/trace")).json()
            assert trace["resumes"] == 1
            assert trace["steps"][4]["attempts"] == 2

            replay = await place(orders, body, "crash-1")
            assert replay.status_code == 201
            assert replay.headers["idempotent-replayed"] == "true"
            assert replay.json()["id"] == order_id
    finally:
        gate.set()
        await survivor.aclose()
        await second.aclose()
