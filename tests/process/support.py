"""The whole system layer in this process, for the process APIs' tests and the benchmark:
the three backends (seeded with the demo world), their system APIs, and the process layer's
clients of them, each hop an in-process HTTP transport."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import httpx
from fastapi import FastAPI
from starlette.types import ASGIApp

from process_apis.clients import SYSTEMS, SystemClients
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
