"""Customer 360: every system at once, and what is left when one is down."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI

from process.support import Stack, active_customer, place, stocked_line
from process_apis.customers.app import create_api
from strata.http import in_process, layer_client
from strata.settings import FaultSettings

BASE = "/process/customers/v1"


@pytest.fixture
async def customers(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    root = FastAPI()
    # A deadline that a healthy system meets even on a loaded CI machine.
    root.mount(BASE, create_api(stack.clients, stack.database, part_timeout_seconds=2.0))
    async with layer_client("http://process.test", in_process(root)) as client:
        yield client


def a_customer_with_history(stack: Stack) -> str:
    counts: dict[str, int] = {}
    for order in stack.world.orders:
        counts[order.customer_crm_id] = counts.get(order.customer_crm_id, 0) + 1
    return max(counts, key=lambda crm_id: counts[crm_id])


async def test_the_overview_brings_crm_and_erp_together(
    stack: Stack, customers: httpx.AsyncClient
) -> None:
    customer_id = a_customer_with_history(stack)
    world_orders = [o for o in stack.world.orders if o.customer_crm_id == customer_id]

    response = await customers.get(f"{BASE}/customers/{customer_id}/overview")

    assert response.status_code == 200, response.text
    overview = response.json()
    assert overview["degraded"] == [] and overview["missing"] == []
    assert overview["profile"]["id"] == customer_id
    assert overview["order_count"] == len(world_orders)
    assert len(overview["orders"]) == min(20, len(world_orders))
    created = [order["created_at"] for order in overview["orders"]]
    assert created == sorted(created, reverse=True)
    open_invoices = [o for o in world_orders if o.invoice_paid is False]
    expected = sum((o.total for o in open_invoices), Decimal("0"))
    if open_invoices:
        [balance] = overview["open_balance"]
        assert Decimal(balance["open"]["amount"]) == expected
        assert balance["open_invoices"] == len(open_invoices)
    else:
        assert overview["open_balance"] == []
    assert isinstance(overview["recent_activity"], list)


async def test_a_new_order_shows_up_with_its_invoice_balance_and_activity(
    stack: Stack, customers: httpx.AsyncClient, orders: httpx.AsyncClient
) -> None:
    customer_id = active_customer(stack, 3)
    sku, location_id, _ = await stocked_line(stack)
    before = (await customers.get(f"{BASE}/customers/{customer_id}/overview")).json()
    order = (
        await place(
            orders,
            {
                "customer_id": customer_id,
                "location_id": location_id,
                "lines": [{"sku": sku, "quantity": 1}],
            },
            "360-1",
        )
    ).json()

    after = (await customers.get(f"{BASE}/customers/{customer_id}/overview")).json()

    assert before["degraded"] == [] and after["degraded"] == []
    assert after["order_count"] == before["order_count"] + 1
    assert after["orders"][0]["id"] == order["sales_order"]["id"]
    assert after["invoices"][0]["id"] == order["invoice"]["id"]
    owed_before = sum(Decimal(b["open"]["amount"]) for b in before["open_balance"])
    owed_after = sum(Decimal(b["open"]["amount"]) for b in after["open_balance"])
    assert owed_after - owed_before == Decimal(order["total"]["amount"])
    assert after["recent_activity"][0]["id"] == order["activity_id"]


async def test_with_the_erp_down_the_crm_part_still_comes_back(
    stack: Stack, customers: httpx.AsyncClient
) -> None:
    customer_id = a_customer_with_history(stack)
    stack.faults["erp"].set(FaultSettings(outage=True))

    response = await customers.get(f"{BASE}/customers/{customer_id}/overview")

    assert response.status_code == 200, response.text
    overview = response.json()
    assert overview["degraded"] == ["orders", "invoices"]
    assert {m["system"] for m in overview["missing"]} == {"erp"}
    assert {m["status"] for m in overview["missing"]} == {503}
    assert overview["profile"]["id"] == customer_id
    assert overview["orders"] is None and overview["open_balance"] is None


async def test_with_the_crm_down_the_erp_part_still_comes_back(
    stack: Stack, customers: httpx.AsyncClient
) -> None:
    customer_id = a_customer_with_history(stack)
    stack.faults["crm"].set(FaultSettings(error_rate=1.0))

    response = await customers.get(f"{BASE}/customers/{customer_id}/overview")

    assert response.status_code == 200, response.text
    overview = response.json()
    assert overview["degraded"] == ["profile", "activities"]
    assert overview["profile"] is None
    assert overview["order_count"] >= 1


async def test_a_slow_system_is_left_out_at_the_deadline(
    stack: Stack, customers: httpx.AsyncClient
) -> None:
    customer_id = a_customer_with_history(stack)
    stack.faults["crm"].set(FaultSettings(latency_ms=6000))

    response = await customers.get(f"{BASE}/customers/{customer_id}/overview")

    assert response.status_code == 200
    overview = response.json()
    assert overview["degraded"] == ["profile", "activities"]
    assert {m["status"] for m in overview["missing"]} == {504}


async def test_everything_down_is_503(stack: Stack, customers: httpx.AsyncClient) -> None:
    for name in ("crm", "erp"):
        stack.faults[name].set(FaultSettings(outage=True))

    response = await customers.get(f"{BASE}/customers/{a_customer_with_history(stack)}/overview")

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"


async def test_an_unknown_customer_is_404(customers: httpx.AsyncClient) -> None:
    response = await customers.get(f"{BASE}/customers/001Dn0000009999ZZZ/overview")

    assert response.status_code == 404
    assert response.json()["resource"] == "customer"


async def test_an_impossible_id_is_422(customers: httpx.AsyncClient) -> None:
    response = await customers.get(f"{BASE}/customers/not%20an%20id/overview")

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "customer_id"
