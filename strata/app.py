"""The app that assembles every layer into one process (the embedded default).

Each layer is its own ASGI app, built by a factory that takes its dependencies; this module
builds them in order, wires each one's HTTP client to the layer below (in process, or at a
real URL in split mode) and mounts them under their paths.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
import structlog
from fastapi import FastAPI
from starlette.types import ASGIApp
from system_apis.crm.app import create_api as create_crm_api
from system_apis.erp.app import create_api as create_erp_api
from system_apis.inventory.app import create_api as create_inventory_api

from strata.db import Database
from strata.errors import install_problem_handlers
from strata.http import in_process, layer_client
from strata.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from strata.migrate import upgrade_database
from strata.settings import BACKEND_NAMES, Settings
from system_apis.backends import crm as crm_backend
from system_apis.backends import erp as erp_backend
from system_apis.backends import inventory as inventory_backend
from system_apis.backends.faults import FaultState
from system_apis.common.backend_client import BackendClient
from system_apis.demo import build_world

log = structlog.get_logger(__name__)

BACKEND_MODULES = {"crm": crm_backend, "erp": erp_backend, "inventory": inventory_backend}
SYSTEM_API_FACTORIES = {
    "crm": create_crm_api,
    "erp": create_erp_api,
    "inventory": create_inventory_api,
}


@dataclass
class Components:
    """What one Strata process runs: its database, its backends and the apps mounted on it."""

    settings: Settings
    database: Database
    fault_states: dict[str, FaultState] = field(default_factory=dict)
    backend_apps: dict[str, ASGIApp] = field(default_factory=dict)
    system_apis: dict[str, FastAPI] = field(default_factory=dict)
    clients: list[httpx.AsyncClient] = field(default_factory=list)


def build_components(settings: Settings, database: Database | None = None) -> Components:
    components = Components(
        settings=settings,
        database=database or Database(settings.async_database_url, echo=settings.database_echo),
    )
    for name in BACKEND_NAMES:
        backend_settings = settings.backend(name)
        if backend_settings.url is None:
            state = FaultState(backend_settings.faults)
            components.fault_states[name] = state
            app = BACKEND_MODULES[name].create_backend(components.database, state)
            components.backend_apps[name] = app
            http = layer_client(f"http://{name}.backend", in_process(app))
        else:
            http = layer_client(str(backend_settings.url))
        components.clients.append(http)
        backend = BackendClient(
            name,
            http,
            timeout=settings.backend_timeout_seconds,
            retries=settings.backend_retries,
        )
        components.system_apis[name] = SYSTEM_API_FACTORIES[name](backend)
    return components


async def seed_demo_data(components: Components) -> dict[str, int]:
    """Seeds each in-process backend whose storage is empty; returns records written per backend."""
    world = build_world()
    written: dict[str, int] = {}
    for name in components.backend_apps:
        written[name] = await BACKEND_MODULES[name].seed(components.database, world)
    return written


def create_app(settings: Settings, database: Database | None = None) -> FastAPI:
    components = build_components(settings, database)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await upgrade_database(components.database)
        if settings.seed_demo_data:
            written = await seed_demo_data(components)
            if any(written.values()):
                log.info("seeded demo data into an empty database", **written)
        log.info("strata is ready", layers=["backends", "system"])
        try:
            yield
        finally:
            for client in components.clients:
                await client.aclose()
            await components.database.dispose()

    app = FastAPI(
        title="Strata",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.components = components
    install_problem_handlers(app)

    @app.get("/healthz", tags=["operations"], summary="Alive and ready")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    for name, backend_app in components.backend_apps.items():
        app.mount(f"/backends/{name}", backend_app)
    for name, api in components.system_apis.items():
        app.mount(f"/system/{name}/v1", api)
    return app


def asgi_app(settings: Settings, database: Database | None = None) -> ASGIApp:
    """The app with the middleware every request passes through, outermost first."""
    app: ASGIApp = create_app(settings, database)
    app = BodySizeLimitMiddleware(app, settings.max_body_bytes)
    return RequestContextMiddleware(app)
