"""Order-to-invoice throughput and latency through the layers, all in one process.

    python bench/orders.py [--orders 200] [--concurrency 8] [--database URL]

Every hop is HTTP over an in-process ASGI transport, as in the embedded default: the orders
process API → the CRM, ERP and inventory system APIs → their backends, over a fresh
database seeded with the demo world (a temporary SQLite file unless ``--database`` names a
PostgreSQL database, whose tables are then emptied first). Each order has its own
Idempotency-Key and one line of a well-stocked SKU.

The time of each order is split by layer with timing transports on each hop: "backend" is
time inside a backend (its own storage included), "system API" is time inside a system API
less its backend's, and "process" is the rest (the flow engine's bookkeeping: every step's
state is committed to the database before the next one starts). Per-step times come from
the orders' traces.
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import text

# Python puts this script's folder first on the path, and it holds a ``gateway.py`` script
# that would hide the ``gateway`` package.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]

from process_apis.clients import SYSTEMS, SystemClients  # noqa: E402
from process_apis.orders.app import create_orders  # noqa: E402
from strata.db import Database  # noqa: E402
from strata.http import in_process, layer_client  # noqa: E402
from strata.migrate import upgrade_database  # noqa: E402
from system_apis.backends import crm, erp, inventory  # noqa: E402
from system_apis.backends.faults import FaultState  # noqa: E402
from system_apis.common.backend_client import BackendClient  # noqa: E402
from system_apis.crm.app import create_api as crm_api  # noqa: E402
from system_apis.demo import build_world  # noqa: E402
from system_apis.erp.app import create_api as erp_api  # noqa: E402
from system_apis.inventory.app import create_api as inventory_api  # noqa: E402

BACKENDS: dict[str, Any] = {"crm": crm, "erp": erp, "inventory": inventory}
SYSTEM_APIS: dict[str, Any] = {"crm": crm_api, "erp": erp_api, "inventory": inventory_api}

# Seconds spent per hop, for the order the current task is placing.
_spent: contextvars.ContextVar[dict[str, float] | None] = contextvars.ContextVar(
    "spent", default=None
)


class Timed(httpx.AsyncBaseTransport):
    """Adds the time of every request through ``inner`` to the current order's ``label``."""

    def __init__(self, inner: httpx.AsyncBaseTransport, label: str) -> None:
        self.inner = inner
        self.label = label

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        started = time.perf_counter()
        try:
            response = await self.inner.handle_async_request(request)
            await response.aread()
            return response
        finally:
            spent = _spent.get()
            if spent is not None:
                spent[self.label] += time.perf_counter() - started


async def build(database: Database) -> tuple[SystemClients, list[httpx.AsyncClient]]:
    world = build_world()
    transports: dict[str, httpx.AsyncBaseTransport | None] = {}
    backend_clients = []
    for name in SYSTEMS:
        await BACKENDS[name].seed(database, world)
        backend_app = BACKENDS[name].create_backend(database, FaultState())
        http = layer_client(
            f"http://{name}.backend", Timed(in_process(backend_app), f"backend {name}")
        )
        backend_clients.append(http)
        system = FastAPI()
        system.mount(f"/system/{name}/v1", SYSTEM_APIS[name](BackendClient(name, http)))
        transports[name] = Timed(in_process(system), f"system {name}")
    urls = {name: f"http://{name}.system/system/{name}/v1" for name in SYSTEMS}
    return SystemClients.connect(urls, transports), backend_clients


async def order_bodies(clients: SystemClients, count: int) -> list[dict[str, Any]]:
    world = build_world()
    locations = (await clients.inventory.get("/locations", params={"limit": 50})).json()["items"]
    by_code = {location["code"]: location["id"] for location in locations}
    stocked = sorted(world.stock, key=lambda item: -item.on_hand)
    customers = [c.crm_id for c in world.customers if c.active]
    bodies = []
    for i in range(count):
        item = stocked[i % 8]
        bodies.append(
            {
                "customer_id": customers[i % len(customers)],
                "location_id": by_code[item.location_code],
                "lines": [{"sku": item.sku, "quantity": 1}],
            }
        )
    return bodies


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def run(orders_count: int, concurrency: int, url: str) -> None:
    database = Database(url)
    await upgrade_database(database)
    if not database.is_sqlite:
        await _empty(database)
    clients, backend_clients = await build(database)
    process = create_orders(clients, database)
    root = FastAPI()
    root.mount("/process/orders/v1", process.api)
    api = layer_client("http://bench", in_process(root))
    bodies = await order_bodies(clients, orders_count)
    slots = asyncio.Semaphore(concurrency)
    results: list[tuple[float, dict[str, float], dict[str, Any]]] = []

    async def one(i: int, key: str) -> None:
        async with slots:
            spent: dict[str, float] = defaultdict(float)
            _spent.set(spent)
            started = time.perf_counter()
            response = await api.post(
                "/process/orders/v1/orders", json=bodies[i], headers={"Idempotency-Key": key}
            )
            elapsed = time.perf_counter() - started
            if response.status_code != 201:
                raise SystemExit(f"order {i} failed: {response.status_code} {response.text}")
            results.append((elapsed, dict(spent), response.json()))

    await asyncio.gather(*(one(i, f"warm-{i}") for i in range(min(5, orders_count))))
    results.clear()
    started, cpu_started = time.perf_counter(), time.process_time()
    await asyncio.gather(*(one(i, f"bench-{i}") for i in range(orders_count)))
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    steps = await step_times(api, [order for _, _, order in results])
    report(results, wall, cpu, concurrency, database, steps)
    await api.aclose()
    await process.aclose()
    await clients.aclose()
    for http in backend_clients:
        await http.aclose()
    await database.dispose()


async def step_times(
    api: httpx.AsyncClient, orders: list[dict[str, Any]]
) -> dict[str, list[float]]:
    times: dict[str, list[float]] = defaultdict(list)
    for order in orders[:50]:
        trace = (await api.get(order["links"]["trace"])).json()
        for step in trace["steps"]:
            if step["duration_ms"] is not None:
                times[step["name"]].append(step["duration_ms"])
    return times


def report(
    results: list[tuple[float, dict[str, float], dict[str, Any]]],
    wall: float,
    cpu: float,
    concurrency: int,
    database: Database,
    steps: dict[str, list[float]],
) -> None:
    latencies = [elapsed * 1000 for elapsed, _, _ in results]
    engine = "SQLite" if database.is_sqlite else "PostgreSQL"
    print(f"\norder to invoice, {len(results)} orders, {concurrency} at a time, {engine}")
    print(f"  throughput   {len(results) / wall:8.1f} orders/s")
    print(f"  latency p50  {percentile(latencies, 0.50):8.1f} ms")
    print(f"  latency p99  {percentile(latencies, 0.99):8.1f} ms")
    print(f"  CPU / order  {cpu / len(results) * 1000:8.1f} ms (every layer shares one process)")
    print("\ntime per order by layer (mean ms; above one order at a time, waits for the")
    print("event loop count in the layer that waited)")
    layers: dict[str, list[float]] = defaultdict(list)
    for elapsed, spent, _ in results:
        system_total = sum(v for k, v in spent.items() if k.startswith("system"))
        layers["process (engine, its database)"].append((elapsed - system_total) * 1000)
        for name in SYSTEMS:
            backend = spent.get(f"backend {name}", 0.0)
            layers[f"system API {name}"].append((spent.get(f"system {name}", 0.0) - backend) * 1000)
            layers[f"backend {name}"].append(backend * 1000)
    width = max(len(name) for name in layers)
    total = statistics.mean(latencies)
    for name, values in layers.items():
        mean = statistics.mean(values)
        print(f"  {name:<{width}}  {mean:8.1f}  {mean / total:6.1%}")
    print("\ntime per step (mean ms, from the traces)")
    for name, values in steps.items():
        print(f"  {name:<22}  {statistics.mean(values):8.1f}")


async def _empty(database: Database) -> None:
    import process_apis.flows.models
    import process_apis.orders.models
    from strata.tables import metadata

    assert process_apis.flows.models and process_apis.orders.models  # their tables too

    names = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
    async with database.engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--database", help="a PostgreSQL URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = args.database or f"sqlite+aiosqlite:///{directory}/bench.db"
        asyncio.run(run(args.orders, args.concurrency, url))


if __name__ == "__main__":
    main()
