"""The layers behind the gateway, built for one process: backends, system, process and
experience APIs.

Each layer is its own ASGI app made by a factory that takes its dependencies; this module
wires each one's HTTP client to the layer below (in process, or a real URL in split mode).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Protocol

import httpx
from fastapi import FastAPI
from starlette.types import ASGIApp

from experience_apis.common.clients import BELOW, ExperienceClients
from experience_apis.common.identity import TokenCheck
from experience_apis.mobile.app import create_api as create_mobile_api
from experience_apis.web.app import create_api as create_web_api
from gateway.oauth.audiences import api_audience
from gateway.registry.builtin import builtin_registration, inproc_target
from gateway.registry.schemas import ApiRegistration
from process_apis.clients import SystemClients
from process_apis.customers.app import create_api as create_customers_api
from process_apis.identity import verified_callers
from process_apis.inventory.app import create_api as create_availability_api
from process_apis.orders.app import OrdersProcess, create_orders
from strata.db import Database
from strata.http import in_process, layer_client
from strata.settings import BACKEND_NAMES, Settings
from system_apis.backends import crm as crm_backend
from system_apis.backends import erp as erp_backend
from system_apis.backends import inventory as inventory_backend
from system_apis.backends.faults import FaultState
from system_apis.common.backend_client import BackendClient
from system_apis.crm.app import create_api as create_crm_api
from system_apis.erp.app import create_api as create_erp_api
from system_apis.inventory.app import create_api as create_inventory_api

BACKEND_MODULES: dict[str, ModuleType] = {
    "crm": crm_backend,
    "erp": erp_backend,
    "inventory": inventory_backend,
}
SYSTEM_API_FACTORIES = {
    "crm": create_crm_api,
    "erp": create_erp_api,
    "inventory": create_inventory_api,
}
# (layer, name) → (read scope, write scope) for the built-in APIs.
BUILTIN_SCOPES: dict[tuple[str, str], tuple[str | None, str | None]] = {
    ("system", "crm"): ("crm:read", "crm:write"),
    ("system", "erp"): ("erp:read", "erp:write"),
    ("system", "inventory"): ("inventory:read", "inventory:write"),
    ("process", "orders"): ("orders:read", "orders:write"),
    ("process", "customers"): ("customers:read", None),
    # POST /fulfilment only asks a question (nothing is reserved), so reading grants it.
    ("process", "availability"): ("availability:read", "availability:read"),
    ("experience", "web"): ("me:read", "me:write"),
    ("experience", "mobile"): ("me:read", "me:write"),
}


@dataclass
class Layers:
    """Everything behind the gateway in this process."""

    database: Database
    fault_states: dict[str, FaultState] = field(default_factory=dict)
    backend_apps: dict[str, ASGIApp] = field(default_factory=dict)
    apis: dict[tuple[str, str], FastAPI] = field(default_factory=dict)
    orders: OrdersProcess | None = None
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    @property
    def inproc_apps(self) -> dict[str, ASGIApp]:
        return {inproc_target(layer, name): app for (layer, name), app in self.apis.items()}

    def builtin_registrations(self, cors_origins: Sequence[str] = ()) -> list[ApiRegistration]:
        """Every built-in API's registration, open to the browser origins ``cors_origins``."""
        registrations = []
        for (layer, name), app in self.apis.items():
            read_scope, write_scope = BUILTIN_SCOPES[(layer, name)]
            registrations.append(
                builtin_registration(
                    app,
                    name=name,
                    layer=layer,
                    read_scope=read_scope,
                    write_scope=write_scope,
                    cors_origins=cors_origins,
                )
            )
        return registrations

    async def aclose(self) -> None:
        for client in self.clients:
            await client.aclose()


def _build_system_layer(settings: Settings, layers: Layers) -> None:
    for name in BACKEND_NAMES:
        backend_settings = settings.backend(name)
        if backend_settings.url is None:
            state = FaultState(backend_settings.faults)
            layers.fault_states[name] = state
            app = BACKEND_MODULES[name].create_backend(layers.database, state)
            layers.backend_apps[name] = app
            http = layer_client(f"http://{name}.backend", in_process(app))
        else:
            http = layer_client(str(backend_settings.url))
        layers.clients.append(http)
        backend = BackendClient(
            name,
            http,
            timeout=settings.backend_timeout_seconds,
            retries=settings.backend_retries,
        )
        layers.apis[("system", name)] = SYSTEM_API_FACTORIES[name](backend)


def _build_process_layer(layers: Layers, token_check: TokenCheck) -> None:
    system = {name: layers.apis[("system", name)] for name in BACKEND_NAMES}
    clients = SystemClients.connect(
        {name: f"http://{name}.system" for name in system},
        {name: in_process(app) for name, app in system.items()},
    )
    layers.clients.extend([clients.crm, clients.erp, clients.inventory])
    callers = verified_callers(token_check)
    layers.orders = create_orders(clients, layers.database, caller=callers)
    layers.apis[("process", "orders")] = layers.orders.api
    layers.apis[("process", "customers")] = create_customers_api(clients, caller=callers)
    layers.apis[("process", "availability")] = create_availability_api(clients)


def _build_experience_layer(layers: Layers, token_checks: Mapping[str, TokenCheck]) -> None:
    below = {name: layers.apis[key] for name, key in BELOW.items()}
    clients = ExperienceClients.connect(
        {name: f"http://{name}.{layer}" for name, (layer, _) in BELOW.items()},
        {name: in_process(app) for name, app in below.items()},
    )
    layers.clients.extend(clients.of(name) for name in BELOW)
    layers.apis[("experience", "web")] = create_web_api(clients, token_checks["web"])
    layers.apis[("experience", "mobile")] = create_mobile_api(clients, token_checks["mobile"])


class TokenChecks(Protocol):
    """Makes an API's token check, bound to its audience (its URL at the gateway)."""

    def for_audience(self, *audiences: str) -> TokenCheck: ...


def _audience(settings: Settings, layer: str, name: str) -> str:
    # Built-in APIs are registered as v1 (gateway.registry.builtin).
    return api_audience(settings.oauth.issuer, f"/{layer}/{name}/v1")


def build_layers(settings: Settings, database: Database, token_checks: TokenChecks) -> Layers:
    """Every layer; each API that checks tokens itself does so for its own audience."""
    layers = Layers(database=database)
    experience = {name: _audience(settings, "experience", name) for name in ("web", "mobile")}
    process = [_audience(settings, "process", name) for name in ("orders", "customers")]
    _build_system_layer(settings, layers)
    # Until calls below carry tokens of their own (token exchange), the process APIs also
    # take the user tokens the experience APIs pass on.
    _build_process_layer(layers, token_checks.for_audience(*process, *experience.values()))
    _build_experience_layer(
        layers, {name: token_checks.for_audience(url) for name, url in experience.items()}
    )
    return layers
