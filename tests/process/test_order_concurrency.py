"""The last units under a crowd: no unit is sold twice, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
from sqlalchemy import func, select

from process.support import (
    Stack,
    active_customer,
    place,
    set_available,
    stock_of,
    stocked_line,
)
from system_apis.backends.inventory.models import InventoryLevel

ORDERS = 200
UNITS = 10


async def test_200_orders_for_the_last_10_units_sell_exactly_10(
    stack: Stack, orders: httpx.AsyncClient
) -> None:
    sku, location_id, _ = await stocked_line(stack)
    await set_available(stack, sku, location_id, UNITS)
    customers = [active_customer(stack, i % 10) for i in range(ORDERS)]
    lowest_seen: list[int] = []

    async def watch_stock() -> None:
        while True:
            async with stack.database.session() as session:
                lowest = await session.scalar(select(func.min(InventoryLevel.available)))
            lowest_seen.append(int(lowest if lowest is not None else 0))
            await asyncio.sleep(0.05)

    watcher = asyncio.create_task(watch_stock())
    try:
        responses = await asyncio.gather(
            *(
                place(
                    orders,
                    {
                        "customer_id": customers[i],
                        "location_id": location_id,
                        "lines": [{"sku": sku, "quantity": 1}],
                    },
                    f"crowd-{i}",
                )
                for i in range(ORDERS)
            )
        )
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: UNITS, 409: ORDERS - UNITS}, statuses
    for response in responses:
        if response.status_code == 409:
            assert response.json()["sku"] == sku
            assert response.json()["available"] == 0
    level = await stock_of(stack, sku, location_id)
    assert level["available"] == 0
    assert min(lowest_seen) >= 0
    sold = [r.json() for r in responses if r.status_code == 201]
    assert all(order["invoice"] is not None for order in sold)
    reservations = [order["lines"][0]["reservation_id"] for order in sold]
    assert len(set(reservations)) == UNITS
    for reservation_id in reservations:
        held = (await stack.clients.inventory.get(f"/reservations/{reservation_id}")).json()
        assert held["status"] == "committed"
