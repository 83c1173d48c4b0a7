"""A server process killed (SIGKILL) in the middle of an order: another finishes it."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

from sqlalchemy import select

from process.support import (
    ORDERS_BASE,
    active_customer,
    build_stack,
    make_orders,
    orders_client,
    place,
    stock_of,
    stocked_line,
)
from process_apis.flows.models import FlowRecord
from strata.db import Database

TESTS = Path(__file__).resolve().parent.parent


async def test_an_order_whose_server_was_killed_is_finished_by_another(
    database: Database,
) -> None:
    stack = await build_stack(database)
    sku, location_id, available = await stocked_line(stack)
    body = {
        "customer_id": active_customer(stack),
        "location_id": location_id,
        "lines": [{"sku": sku, "quantity": 3}],
    }
    await stack.aclose()

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), str(TESTS.parent)])}
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "process.crash_worker",
        database.url,
        "killed-1",
        json.dumps(body),
        cwd=TESTS,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert child.stdout is not None
        line = await asyncio.wait_for(child.stdout.readline(), 60)
        assert line.startswith(b"stalled "), line + (
            await child.stderr.read() if child.stderr else b""
        )
        order_id = line.split()[1].decode()
    finally:
        child.send_signal(signal.SIGKILL)
        await child.wait()
    assert child.returncode == -signal.SIGKILL

    async with database.session() as session:
        flow = await session.get(FlowRecord, order_id)
        assert flow is not None
        assert flow.status == "running" and flow.lease_owner is not None  # left as it died

    survivor_stack = await build_stack(database, seed=False)
    survivor = make_orders(survivor_stack)
    try:
        await asyncio.sleep(1.2)  # the dead process's lease (1 s) runs out
        async with orders_client(survivor) as orders:
            assert await survivor.runner.run_due_once() == [order_id]
            order = (await orders.get(f"{ORDERS_BASE}/orders/{order_id}")).json()
            assert order["status"] == "confirmed"
            invoices = (
                await survivor_stack.clients.erp.get(
                    "/invoices", params={"order_id": order["sales_order"]["id"]}
                )
            ).json()["items"]
            assert [i["id"] for i in invoices] == [order["invoice"]["id"]]
            level = await stock_of(survivor_stack, sku, location_id)
            assert level["available"] == available - 3
            trace = (await orders.get(f"{ORDERS_BASE}/orders/{order_id}/trace")).json()
            assert trace["steps"][4]["name"] == "create_invoice"
            assert trace["steps"][4]["attempts"] == 2
            assert trace["resumes"] == 1
            replay = await place(orders, body, "killed-1")
            assert replay.status_code == 201 and replay.json()["id"] == order_id
        async with database.session() as session:
            assert len((await session.scalars(select(FlowRecord.id))).all()) == 1
    finally:
        await survivor.aclose()
        await survivor_stack.aclose()
