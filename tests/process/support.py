"""The whole system layer in this process, for the process APIs' tests and the benchmark:
the three backends (seeded with the demo world), their system APIs, and the process layer's
clients of them, each hop an in-process HTTP transport."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI
from starlette.types import ASGIApp

from process_apis.clients import SYSTEMS, SystemClients
from process_apis.flows import RetryPolicy
from process_apis.orders.app import OrdersProcess, create_orders
from process_apis.orders.config import OrdersConfig
from strata.db import Database
from strata.http import in_process, layer_client
from system_apis.backends import crm as crm_backend
from system_apis.backends import erp as erp_backend
from system_apis.backends import inventory as inventory_backend
from system_apis.backends.faults import FaultState
from system_apis.common.backend_client import BackendClient
from system_apis.crm.app import create_api as create_crm_api
from system_apis.demo import DemoWorld, build_world
from system_apis.erp.app import create_api as create_erp_api
from system_apis.inventory.app import create_api as create_inventory_api

BACKENDS = {"crm": crm_backend, "erp": erp_backend, "inventory": inventory_backend}
SYSTEM_APIS = {"crm": create_crm_api, "erp": create_erp_api, "inventory": create_inventory_api}
SYSTEM_URLS = {name: f"http://{name}.system/system/{name}/v1" for name in SYSTEMS}

TransportWrapper = Callable[[httpx.AsyncBaseTransport], httpx.AsyncBaseTransport]


@dataclass
class Stack:
    database: Database
    world: DemoWorld
    clients: SystemClients
    faults: dict[str, FaultState] = field(default_factory=dict)
    backend_apps: dict[str, ASGIApp] = field(default_factory=dict)
    system_apps: dict[str, FastAPI] = field(default_factory=dict)
    _backend_http: list[httpx.AsyncClient] = field(default_factory=list)

    async def aclose(self) -> None:
        await self.clients.aclose()
        for http in self._backend_http:
            await http.aclose()


async def build_stack(
    database: Database,
    *,
    seed: bool = True,
    backend_timeout: float = 5.0,
    system_wrappers: Mapping[str, TransportWrapper] | None = None,
    backend_wrappers: Mapping[str, TransportWrapper] | None = None,
    client_timeout: float = 10.0,
) -> Stack:
    """Backends → system APIs → the process layer's clients, all in this process.
    ``*_wrappers`` wrap a hop's transport (to time it, or to make it fail)."""
    world = build_world()
    system_wrappers = system_wrappers or {}
    backend_wrappers = backend_wrappers or {}
    faults: dict[str, FaultState] = {}
    backend_apps: dict[str, ASGIApp] = {}
    system_apps: dict[str, FastAPI] = {}
    backend_http = []
    system_transports: dict[str, httpx.AsyncBaseTransport | None] = {}
    for name in SYSTEMS:
        if seed:
            await BACKENDS[name].seed(database, world)
        faults[name] = FaultState()
        backend_apps[name] = BACKENDS[name].create_backend(database, faults[name])
        backend_transport: httpx.AsyncBaseTransport = in_process(backend_apps[name])
        if name in backend_wrappers:
            backend_transport = backend_wrappers[name](backend_transport)
        http = layer_client(f"http://{name}.backend", backend_transport)
        backend_http.append(http)
        backend = BackendClient(name, http, timeout=backend_timeout, retries=2)
        system_apps[name] = SYSTEM_APIS[name](backend)
        transport: httpx.AsyncBaseTransport = _mounted(system_apps[name], name)
        if name in system_wrappers:
            transport = system_wrappers[name](transport)
        system_transports[name] = transport
    clients = SystemClients.connect(SYSTEM_URLS, system_transports, timeout=client_timeout)
    return Stack(database, world, clients, faults, backend_apps, system_apps, backend_http)


def _mounted(app: FastAPI, name: str) -> httpx.AsyncBaseTransport:
    # The system API under its real path, as the assembly mounts it.
    root = FastAPI()
    root.mount(f"/system/{name}/v1", app)
    return in_process(root)


# -- helpers for the tests ------------------------------------------------------------------


def active_customer(stack: Stack, index: int = 0) -> str:
    return [c.crm_id for c in stack.world.customers if c.active][index]


def inactive_customer(stack: Stack) -> str:
    return next(c.crm_id for c in stack.world.customers if not c.active)


async def location_ids(stack: Stack) -> dict[str, str]:
    response = await stack.clients.inventory.get("/locations", params={"limit": 50})
    return {loc["code"]: loc["id"] for loc in response.json()["items"]}


async def stock_of(stack: Stack, sku: str, location_id: str) -> dict[str, Any]:
    response = await stack.clients.inventory.get(
        "/stock", params={"sku": sku, "location_id": location_id}
    )
    assert response.status_code == 200, response.text
    return dict(response.json()["items"][0])


async def stocked_line(stack: Stack, minimum: int = 5, skip: int = 0) -> tuple[str, str, int]:
    """A SKU, a location holding at least ``minimum`` of it, and how many are available."""
    locations = await location_ids(stack)
    candidates = [item for item in stack.world.stock if item.on_hand >= minimum]
    item = candidates[skip]
    location_id = locations[item.location_code]
    level = await stock_of(stack, item.sku, location_id)
    return item.sku, location_id, int(level["available"])


async def set_available(stack: Stack, sku: str, location_id: str, units: int) -> None:
    level = await stock_of(stack, sku, location_id)
    response = await stack.clients.inventory.post(
        "/stock/adjustments",
        json={
            "sku": sku,
            "location_id": location_id,
            "delta": units - level["available"],
            "expected_available": level["available"],
        },
    )
    assert response.status_code == 200, response.text


class FailingRoute(httpx.AsyncBaseTransport):
    """Answers ``status`` for requests matching ``method`` and a path ending, while
    ``failing`` is on; everything else goes through."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        method: str,
        path_end: str,
        status: int = 503,
    ) -> None:
        self.inner = inner
        self.method = method
        self.path_end = path_end
        self.status = status
        self.failing = True
        self.hits = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        matches = request.method == self.method and request.url.path.endswith(self.path_end)
        if matches and self.failing:
            self.hits += 1
            body = {
                "type": "https://strata.dev/problems/backend-unavailable",
                "title": "Backend unavailable",
                "status": self.status,
                "detail": "scripted failure",
            }
            return httpx.Response(
                self.status, json=body, headers={"content-type": "application/problem+json"}
            )
        return await self.inner.handle_async_request(request)


ORDERS_BASE = "/process/orders/v1"
FAST_RETRIES = RetryPolicy(wait_initial=0.0, wait_max=0.0, resume_initial=0.05, resume_max=0.2)


def make_orders(stack: Stack, **config: Any) -> OrdersProcess:
    options = {"poll_interval_seconds": 0.05, "lease_seconds": 5, **config}
    return create_orders(
        stack.clients, stack.database, config=OrdersConfig(**options), retry_policy=FAST_RETRIES
    )


def orders_client(process: OrdersProcess) -> httpx.AsyncClient:
    """A client of the orders API mounted at its real path."""
    root = FastAPI()
    root.mount(ORDERS_BASE, process.api)
    return layer_client("http://process.test", in_process(root))


async def place(
    client: httpx.AsyncClient, body: dict[str, Any], key: str, **headers: str
) -> httpx.Response:
    """Places an order as a client would: a 503 (the database busy) is sent again with the
    same Idempotency-Key after its Retry-After, a few times at most."""
    for _ in range(5):
        answer = await client.post(
            f"{ORDERS_BASE}/orders", json=body, headers={"Idempotency-Key": key, **headers}
        )
        if answer.status_code != 503 or "retry-after" not in answer.headers:
            return answer
        await asyncio.sleep(float(answer.headers["retry-after"]))
    return answer
