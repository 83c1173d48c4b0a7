"""Order to invoice through the whole stack in process, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx

from process.support import Stack

BASE = "/process/orders/v1"


def first_active_customer(stack: Stack) -> str:
    return next(c.crm_id for c in stack.world.customers if c.active)


async def location_ids(stack: Stack) -> dict[str, str]:
    response = await stack.clients.inventory.get("/locations", params={"limit": 50})
    return {loc["code"]: loc["id"] for loc in response.json()["items"]}


async def stock_of(stack: Stack, sku: str, location_id: str) -> dict[str, Any]:
    response = await stack.clients.inventory.get(
        "/stock", params={"sku": sku, "location_id": location_id}
    )
    assert response.status_code == 200, response.text
    return dict(response.json()["items"][0])


async def a_stocked_line(stack: Stack, minimum: int = 5) -> tuple[str, str, int]:
    """A SKU, a location holding at least ``minimum`` of it, and how many are available."""
    locations = await location_ids(stack)
    for item in stack.world.stock:
        if item.on_hand >= minimum:
            location_id = locations[item.location_code]
            level = await stock_of(stack, item.sku, location_id)
            return item.sku, location_id, level["available"]
    raise AssertionError("no stocked SKU in the world")


async def place(
    orders: httpx.AsyncClient, body: dict[str, Any], key: str, **headers: str
) -> httpx.Response:
    headers = {"Idempotency-Key": key, **headers}
    return await orders.post(f"{BASE}/orders", json=body, headers=headers)


async def test_happy_path_orders_invoices_commits_and_records(
    stack: Stack, orders: httpx.AsyncClient
) -> None:
    customer_id = first_active_customer(stack)
    sku, location_id, available = await a_stocked_line(stack)
    body = {
        "customer_id": customer_id,
        "location_id": location_id,
        "lines": [{"sku": sku, "quantity": 2}],
    }

    response = await place(orders, body, "happy-1")

    assert response.status_code == 201, response.text
    order = response.json()
    assert order["status"] == "confirmed"
    assert response.headers["location"] == f"{BASE}/orders/{order['id']}"
    product = (await stack.clients.inventory.get(f"/products/{sku}")).json()
    assert order["lines"][0]["unit_price"] == product["price"]
    assert order["invoice"]["status"] == "open"
    assert order["invoice"]["total"] == order["total"]

    level = await stock_of(stack, sku, location_id)
    assert level["available"] == available - 2
    reservation_id = order["lines"][0]["reservation_id"]
    reservation = (await stack.clients.inventory.get(f"/reservations/{reservation_id}")).json()
    assert reservation["status"] == "committed"

    erp_order = (await stack.clients.erp.get(f"/orders/{order['sales_order']['id']}")).json()
    assert erp_order["external_id"] == order["id"]
    assert erp_order["status"] == "billed"
    invoice = (await stack.clients.erp.get(f"/invoices/{order['invoice']['id']}")).json()
    assert invoice["order_id"] == erp_order["id"]
    assert invoice["amount_due"] == order["total"]

    activities = (await stack.clients.crm.get(f"/customers/{customer_id}/activities")).json()
    recorded = [a for a in activities["items"] if a["id"] == order["activity_id"]]
    assert recorded and recorded[0]["kind"] == "order"
    assert order["sales_order"]["number"] in recorded[0]["subject"]

    trace = (await orders.get(f"{BASE}/orders/{order['id']}/trace")).json()
    assert trace["status"] == "succeeded"
    assert [s["status"] for s in trace["steps"]] == ["succeeded"] * 7
    assert all(s["attempts"] == 1 and s["duration_ms"] is not None for s in trace["steps"])
