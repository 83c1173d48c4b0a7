"""An order for a customer whose CRM record holds a character no other system can take: it
fails at the customer step with a problem naming the record and the field, and nothing is
sent to the ERP (before, every such order failed at the ERP with a 502 about its XML)."""

from __future__ import annotations

import httpx
from conftest import asgi_client

from process.support import ORDERS_BASE, Stack, place, stocked_line

DATA = "/services/data/v59.0"


async def erp_orders(stack: Stack, customer_id: str) -> list[str]:
    response = await stack.clients.erp.get(
        "/orders", params={"customer_id": customer_id, "limit": 200}
    )
    assert response.status_code == 200, response.text
    return [order["id"] for order in response.json()["items"]]


async def test_an_order_for_a_customer_with_a_control_character_in_the_crm(
    stack: Stack, orders: httpx.AsyncClient
) -> None:
    customer = next(c for c in stack.world.customers if c.active and not c.is_person)
    async with asgi_client(stack.backend_apps["crm"], "http://crm.backend") as crm:
        written = await crm.patch(
            f"{DATA}/sobjects/Account/{customer.crm_id}",
            json={"Name": f"{customer.company_name}\x01"},
        )
        assert written.status_code == 204, written.text
    sku, location_id, _ = await stocked_line(stack)
    body = {
        "customer_id": customer.crm_id,
        "location_id": location_id,
        "lines": [{"sku": sku, "quantity": 1}],
    }

    orders_before = await erp_orders(stack, customer.crm_id)

    response = await place(orders, body, "bad-crm-data-1")

    assert response.status_code == 502, response.text
    problem = response.json()
    assert problem["failed_step"] == "check_customer"
    assert problem["system"] == "crm"
    assert f"customer {customer.crm_id}" in problem["detail"]
    assert "its name has a control character (U+0001" in problem["detail"]
    assert "XML" not in problem["detail"]
    assert await erp_orders(stack, customer.crm_id) == orders_before
    trace = (await orders.get(f"{ORDERS_BASE}/orders/{problem['order_id']}/trace")).json()
    assert [s["name"] for s in trace["steps"] if s["status"] == "failed"] == ["check_customer"]
