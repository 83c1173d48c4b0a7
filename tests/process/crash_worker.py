"""A server process placing one order that is killed mid-flow (run by test_order_crash).

    python -m process.crash_worker DATABASE_URL IDEMPOTENCY_KEY BODY_JSON

It places the order through the orders API over the whole stack in this process; once the
ERP has made the invoice (and before the answer gets back to the flow) it prints
``stalled <order id>`` and waits to be killed.
"""

from __future__ import annotations

import asyncio
import json
import sys

import httpx
from sqlalchemy import select

from process.support import build_stack, make_orders, orders_client, place
from process_apis.flows.models import FlowRecord
from strata.db import Database


class StallAfterInvoice(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, database: Database) -> None:
        self.inner = inner
        self.database = database

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "POST" and request.url.path.endswith("/invoices"):
            async with self.database.session() as session:
                order_id = (await session.scalars(select(FlowRecord.id))).one()
            print(f"stalled {order_id}", flush=True)
            await asyncio.Event().wait()  # until killed
        return response


async def main(url: str, key: str, body: dict[str, object]) -> None:
    database = Database(url)
    stack = await build_stack(
        database,
        seed=False,
        system_wrappers={"erp": lambda inner: StallAfterInvoice(inner, database)},
    )
    process = make_orders(stack, lease_seconds=1)
    async with orders_client(process) as orders:
        await place(orders, body, key)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], json.loads(sys.argv[3])))
