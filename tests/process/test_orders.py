"""Order to invoice through the whole stack in process, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from process.support import (
    ORDERS_BASE,
    Stack,
    active_customer,
    inactive_customer,
    place,
    stock_of,
    stocked_line,
)


async def an_order(stack: Stack, quantity: int = 2) -> tuple[dict[str, Any], int]:
    """A valid order body, and how many of its SKU were available before it."""
    sku, location_id, available = await stocked_line(stack)
    body = {
        "customer_id": active_customer(stack),
        "location_id": location_id,
        "lines": [{"sku": sku, "quantity": quantity}],
    }
    return body, available


async def test_happy_path_orders_invoices_commits_and_records(
    stack: Stack, orders: httpx.AsyncClient
) -> None:
    body, available = await an_order(stack)
    sku, location_id, customer_id = (
        body["lines"][0]["sku"],
        body["location_id"],
        body["customer_id"],
    )

    response = await place(orders, body, "happy-1")

    assert response.status_code == 201, response.text
    order = response.json()
    assert order["status"] == "confirmed"
    assert response.headers["location"] == f"{ORDERS_BASE}/orders/{order['id']}"
    product = (await stack.clients.inventory.get(f"/products/{sku}")).json()
    assert order["lines"][0]["unit_price"] == product["price"]
    assert order["currency"] == product["price"]["currency"]
    assert order["invoice"]["status"] == "open"
    assert order["invoice"]["total"] == order["total"]

    level = await stock_of(stack, sku, location_id)
    assert level["available"] == available - 2
    reservation_id = order["lines"][0]["reservation_id"]
    reservation = (await stack.clients.inventory.get(f"/reservations/{reservation_id}")).json()
    assert reservation["status"] == "committed"

    erp_order = (await stack.clients.erp.get(f"/orders/{order['sales_order']['id']}")).json()
    assert erp_order["external_id"] == order["id"]
    assert erp_order["customer_id"] == customer_id
    assert erp_order["status"] == "billed"
    invoice = (await stack.clients.erp.get(f"/invoices/{order['invoice']['id']}")).json()
    assert invoice["order_id"] == erp_order["id"]
    assert invoice["amount_due"] == order["total"]

    activities = (await stack.clients.crm.get(f"/customers/{customer_id}/activities")).json()
    recorded = [a for a in activities["items"] if a["id"] == order["activity_id"]]
    assert recorded and recorded[0]["kind"] == "order"
    assert order["sales_order"]["number"] in recorded[0]["subject"]

    trace = (await orders.get(f"{ORDERS_BASE}/orders/{order['id']}/trace")).json()
    assert trace["status"] == "succeeded"
    assert [s["name"] for s in trace["steps"]] == [
        "check_customer",
        "price_lines",
        "reserve_stock",
        "create_sales_order",
        "create_invoice",
        "commit_reservations",
        "record_activity",
    ]
    assert [s["status"] for s in trace["steps"]] == ["succeeded"] * 7
    assert all(s["attempts"] == 1 and s["duration_ms"] is not None for s in trace["steps"])
    assert trace["steps"][4]["output"]["invoice_id"] == order["invoice"]["id"]

    fetched = await orders.get(f"{ORDERS_BASE}/orders/{order['id']}")
    assert fetched.status_code == 200
    assert fetched.json()["invoice"] == order["invoice"]


async def test_respond_async_answers_202_and_the_order_completes(
    stack: Stack, orders: httpx.AsyncClient
) -> None:
    body, _ = await an_order(stack)

    response = await place(orders, body, "async-1", Prefer="respond-async")

    assert response.status_code == 202, response.text
    assert response.headers["preference-applied"] == "respond-async"
    location = response.headers["location"]
    assert location.startswith(f"{ORDERS_BASE}/orders/ord_")
    assert response.json()["status"] in ("processing", "confirmed")
    for _ in range(200):
        order = (await orders.get(location)).json()
        if order["status"] != "processing":
            break
        await asyncio.sleep(0.02)
    assert order["status"] == "confirmed"
    assert order["invoice"] is not None


async def test_paying_the_order_pays_the_invoice_in_the_erp(
    stack: Stack, orders: httpx.AsyncClient
) -> None:
    body, _ = await an_order(stack, quantity=1)
    order = (await place(orders, body, "pay-1")).json()
    total = order["total"]

    partial = {"amount": {"amount": "1.00", "currency": total["currency"]}}
    response = await orders.post(f"{ORDERS_BASE}/orders/{order['id']}/payments", json=partial)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "confirmed"
    assert response.json()["amount_paid"]["amount"] == "1.0000"

    response = await orders.post(f"{ORDERS_BASE}/orders/{order['id']}/payments")
    assert response.status_code == 200, response.text
    paid = response.json()
    assert paid["status"] == "paid"
    assert paid["invoice"]["status"] == "paid"
    assert paid["invoice"]["amount_due"]["amount"] in ("0", "0.00", "0.0000")
    invoice = (await stack.clients.erp.get(f"/invoices/{order['invoice']['id']}")).json()
    assert invoice["status"] == "paid"
    erp_order = (await stack.clients.erp.get(f"/orders/{order['sales_order']['id']}")).json()
    assert erp_order["status"] == "closed"

    again = await orders.post(f"{ORDERS_BASE}/orders/{order['id']}/payments")
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    cancel = await orders.post(f"{ORDERS_BASE}/orders/{order['id']}/cancel")
    assert cancel.status_code == 409


async def test_cancelling_undoes_everything_the_order_did(
    stack: Stack, orders: httpx.AsyncClient
) -> None:
    body, available = await an_order(stack, quantity=3)
    sku, location_id = body["lines"][0]["sku"], body["location_id"]
    order = (await place(orders, body, "cancel-1")).json()
    assert (await stock_of(stack, sku, location_id))["available"] == available - 3

    response = await orders.post(f"{ORDERS_BASE}/orders/{order['id']}/cancel")

    assert response.status_code == 200, response.text
    cancelled = response.json()
    assert cancelled["status"] == "cancelled"
    assert cancelled["invoice"]["status"] == "cancelled"
    # An ERP that will not cancel a once-billed order has it closed instead.
    assert cancelled["sales_order"]["status"] in ("cancelled", "closed")
    assert (await stock_of(stack, sku, location_id))["available"] == available
    erp_order = (await stack.clients.erp.get(f"/orders/{order['sales_order']['id']}")).json()
    assert erp_order["status"] == cancelled["sales_order"]["status"]
    invoice = (await stack.clients.erp.get(f"/invoices/{order['invoice']['id']}")).json()
    assert invoice["status"] == "cancelled"
    activities = (
        await stack.clients.crm.get(f"/customers/{body['customer_id']}/activities")
    ).json()["items"]
    assert any("cancelled" in (a["subject"] or "") for a in activities)

    again = await orders.post(f"{ORDERS_BASE}/orders/{order['id']}/cancel")
    assert again.status_code == 200
    trace = (await orders.get(f"{ORDERS_BASE}/orders/{order['id']}/trace")).json()
    assert trace["status"] == "cancelled"
    undone = [s["name"] for s in trace["steps"] if s["compensation"]]
    assert set(undone) == {
        "reserve_stock",
        "create_sales_order",
        "create_invoice",
        "record_activity",
    }


async def test_an_unknown_customer_is_422_naming_customer_id(
    stack: Stack, orders: httpx.AsyncClient
) -> None:
    body, _ = await an_order(stack)
    body["customer_id"] = "001Dn0000009999ZZZ"

    response = await place(orders, body, "who-1")

    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["errors"][0]["field"] == "customer_id"
    assert problem["failed_step"] == "check_customer"
    assert problem["order_id"].startswith("ord_")
    order = (await orders.get(f"{ORDERS_BASE}/orders/{problem['order_id']}")).json()
    assert order["status"] == "rejected"


async def test_an_inactive_customer_is_422(stack: Stack, orders: httpx.AsyncClient) -> None:
    body, _ = await an_order(stack)
    body["customer_id"] = inactive_customer(stack)

    response = await place(orders, body, "inactive-1")

    assert response.status_code == 422
    assert "not active" in response.json()["errors"][0]["message"]


async def test_an_unknown_sku_is_422_naming_the_line(
    stack: Stack, orders: httpx.AsyncClient
) -> None:
    body, _ = await an_order(stack)
    body["lines"].append({"sku": "NOPE-404", "quantity": 1})

    response = await place(orders, body, "sku-1")

    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "lines.1.sku"


async def test_an_unknown_location_is_422_naming_location_id(
    stack: Stack, orders: httpx.AsyncClient
) -> None:
    body, _ = await an_order(stack)
    body["location_id"] = "999999999"

    response = await place(orders, body, "where-1")

    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "location_id"


async def test_a_currency_other_than_the_prices_is_422(
    stack: Stack, orders: httpx.AsyncClient
) -> None:
    body, _ = await an_order(stack)
    body["currency"] = "JPY"

    response = await place(orders, body, "yen-1")

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "currency"


async def test_out_of_stock_is_409_naming_the_sku_and_what_is_available(
    stack: Stack, orders: httpx.AsyncClient
) -> None:
    sku, location_id, available = await stocked_line(stack)
    body = {
        "customer_id": active_customer(stack),
        "location_id": location_id,
        "lines": [{"sku": sku, "quantity": available + 1}],
    }

    response = await place(orders, body, "short-1")

    assert response.status_code == 409, response.text
    problem = response.json()
    assert (problem["sku"], problem["location_id"]) == (sku, location_id)
    assert problem["available"] == available
    assert problem["requested"] == available + 1
    assert str(available) in problem["detail"]
    assert problem["rolled_back"] is True
    assert (await stock_of(stack, sku, location_id))["available"] == available
    erp_orders = (
        await stack.clients.erp.get(
            "/orders", params={"customer_id": str(body["customer_id"]), "limit": 200}
        )
    ).json()["items"]
    assert not [o for o in erp_orders if o["external_id"] == problem["order_id"]]


async def test_a_shortage_on_a_later_line_releases_the_earlier_holds(
    stack: Stack, orders: httpx.AsyncClient
) -> None:
    first, location_id, first_available = await stocked_line(stack)
    locations_stock = [item for item in stack.world.stock if item.sku != first]
    second = None
    for item in locations_stock:
        level = (
            await stack.clients.inventory.get(
                "/stock", params={"sku": item.sku, "location_id": location_id}
            )
        ).json()
        if level.get("items"):
            second, second_available = item.sku, level["items"][0]["available"]
            break
    assert second is not None
    body = {
        "customer_id": active_customer(stack),
        "location_id": location_id,
        "lines": [{"sku": first, "quantity": 1}, {"sku": second, "quantity": second_available + 1}],
    }

    response = await place(orders, body, "later-1")

    assert response.status_code == 409, response.text
    assert response.json()["sku"] == second
    assert (await stock_of(stack, first, location_id))["available"] == first_available
    trace = (await orders.get(f"{ORDERS_BASE}/orders/{response.json()['order_id']}/trace")).json()
    reserve = trace["steps"][2]
    assert reserve["status"] == "failed"
    assert len(reserve["output"]["reservations"]) == 1
    assert reserve["compensation"]["status"] == "compensated"
    held = reserve["output"]["reservations"][0]["reservation_id"]
    released = (await stack.clients.inventory.get(f"/reservations/{held}")).json()
    assert released["status"] == "released"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"customer_id": None}, "customer_id"),
        ({"lines": []}, "lines"),
        ({"lines": [{"sku": "FUR-001-GRA", "quantity": "2"}]}, "lines.0.quantity"),
        ({"lines": [{"sku": "FUR-001-GRA", "quantity": 0}]}, "lines.0.quantity"),
        ({"lines": [{"sku": "FUR-001-GRA", "quantity": 10**12}]}, "lines.0.quantity"),
        ({"lines": [{"sku": "FUR 001", "quantity": 1}]}, "lines.0.sku"),
        ({"lines": [{"sku": "A-1", "quantity": 1}, {"sku": "A-1", "quantity": 2}]}, "lines"),
        ({"location_id": "x" * 500}, "location_id"),
        ({"currency": "usd"}, "currency"),
        ({"surprise": True}, "surprise"),
    ],
)
async def test_bad_input_is_422_naming_the_field(
    stack: Stack, orders: httpx.AsyncClient, change: dict[str, Any], field: str
) -> None:
    body = {
        "customer_id": active_customer(stack),
        "location_id": "1",
        "lines": [{"sku": "FUR-001-GRA", "quantity": 1}],
        **change,
    }

    response = await place(orders, body, f"bad-{field}")

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [error["field"] for error in response.json()["errors"]]


async def test_malformed_json_is_a_problem_not_a_crash(orders: httpx.AsyncClient) -> None:
    response = await orders.post(
        f"{ORDERS_BASE}/orders",
        content=b'{"customer_id": "001", "lines": [',
        headers={"Idempotency-Key": "broken-1", "content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


async def test_an_unknown_order_is_404(orders: httpx.AsyncClient) -> None:
    for path in ("", "/trace"):
        response = await orders.get(f"{ORDERS_BASE}/orders/ord_nope{path}")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
    for action in ("cancel", "retry", "payments"):
        response = await orders.post(f"{ORDERS_BASE}/orders/ord_nope/{action}")
        assert response.status_code == 404


async def test_retrying_a_flow_that_did_not_fail_is_409(
    stack: Stack, orders: httpx.AsyncClient
) -> None:
    body, _ = await an_order(stack, quantity=1)
    order = (await place(orders, body, "retry-ok")).json()

    response = await orders.post(f"{ORDERS_BASE}/orders/{order['id']}/retry")

    assert response.status_code == 409
    assert response.json()["flow_status"] == "succeeded"
