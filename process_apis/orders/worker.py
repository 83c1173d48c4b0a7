"""A flow runner on its own: resumes and finishes order flows without serving HTTP.

    python -m process_apis.orders.worker --database URL \\
        --crm http://host/system/crm/v1 --erp http://host/system/erp/v1 \\
        --inventory http://host/system/inventory/v1

Run any number of them beside the servers on one PostgreSQL database (scale-out): each
flow is driven by one runner at a time (leases), and a flow whose server or worker died is
picked up by another once its lease has expired. Stops cleanly on SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from collections.abc import Mapping

from process_apis.clients import SystemClients
from process_apis.orders.app import create_orders
from process_apis.orders.config import OrdersConfig
from strata.db import Database


async def run_worker(
    database_url: str,
    system_urls: Mapping[str, str],
    *,
    config: OrdersConfig | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Runs the orders' background runner until ``stop`` is set."""
    stop = stop or asyncio.Event()
    database = Database(database_url)
    clients = SystemClients.connect(system_urls)
    orders = create_orders(clients, database, config=config)
    try:
        await orders.start()
        await stop.wait()
    finally:
        await orders.aclose()
        await clients.aclose()
        await database.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Resume and finish order flows.")
    parser.add_argument("--database", required=True, help="the database URL (async driver)")
    for system in ("crm", "erp", "inventory"):
        parser.add_argument(f"--{system}", required=True, help=f"the {system} system API URL")
    args = parser.parse_args(argv)

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(signum, stop.set)
        urls = {"crm": args.crm, "erp": args.erp, "inventory": args.inventory}
        await run_worker(args.database, urls, stop=stop)

    asyncio.run(serve())


if __name__ == "__main__":
    main()
