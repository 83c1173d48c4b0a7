"""Listing orders: newest first, per customer, keyset pages that orders placed meanwhile
never shift."""

from __future__ import annotations

import httpx

from process.support import ORDERS_BASE, Stack, active_customer, place, stocked_line
from strata.cursors import encode_cursor


async def place_for(stack: Stack, orders: httpx.AsyncClient, customer: str, key: str) -> str:
    sku, location_id, _ = await stocked_line(stack)
    body = {
        "customer_id": customer,
        "location_id": location_id,
        "lines": [{"sku": sku, "quantity": 1}],
    }
    response = await place(orders, body, key)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_lists_one_customers_orders_newest_first_in_pages(
    stack: Stack, orders: httpx.AsyncClient
) -> None:
    mine, theirs = active_customer(stack, 0), active_customer(stack, 1)
    placed = [await place_for(stack, orders, mine, f"list-{n}") for n in range(5)]
    other = await place_for(stack, orders, theirs, "list-other")

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"customer_id": mine, "limit": 2, **({"cursor": cursor} if cursor else {})}
        response = await orders.get(f"{ORDERS_BASE}/orders", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= 2
        seen.extend(item["id"] for item in page["items"])
        assert all(item["customer_id"] == mine for item in page["items"])
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
        if pages == 1:  # an order placed between pages does not shift the next one
            placed.append(await place_for(stack, orders, mine, "list-late"))

    assert pages == 3
    assert seen == list(reversed(placed[:5]))
    assert other not in seen

    everyone = (await orders.get(f"{ORDERS_BASE}/orders", params={"limit": 100})).json()
    assert {other, *placed} <= {item["id"] for item in everyone["items"]}


async def test_a_cursor_it_did_not_make_is_422(stack: Stack, orders: httpx.AsyncClient) -> None:
    for cursor in ("garbage", encode_cursor("products", "x", "y"), encode_cursor("orders", 1, 2)):
        response = await orders.get(f"{ORDERS_BASE}/orders", params={"cursor": cursor})
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["field"] == "cursor"

    bad_customer = await orders.get(f"{ORDERS_BASE}/orders", params={"customer_id": "a b"})
    assert bad_customer.status_code == 422


async def test_the_order_a_key_placed_is_found_by_its_key_for_its_caller_only(
    stack: Stack, orders: httpx.AsyncClient
) -> None:
    placed = await place_for(stack, orders, active_customer(stack, 0), "find-me")

    found = await orders.get(f"{ORDERS_BASE}/orders", params={"idempotency_key": "find-me"})
    unknown = await orders.get(f"{ORDERS_BASE}/orders", params={"idempotency_key": "never"})
    other_caller = await orders.get(
        f"{ORDERS_BASE}/orders",
        params={"idempotency_key": "find-me"},
        headers={"Authorization": "Bearer opaque-token-of-someone-else"},
    )

    assert [item["id"] for item in found.json()["items"]] == [placed]
    assert unknown.status_code == 200 and unknown.json()["items"] == []
    assert other_caller.json()["items"] == []
