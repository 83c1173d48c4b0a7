"""The inventory stand-in as an app: a Shopify store's Admin REST API, version 2024-10."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import ASGIApp

from strata.db import Database
from system_apis.backends.faults import FaultInjectionMiddleware, FaultState, fault_admin_router
from system_apis.backends.inventory.catalog import catalog_router
from system_apis.backends.inventory.errors import (
    JUNK,
    SERVER_ERROR,
    install_shopify_error_handlers,
)
from system_apis.backends.inventory.levels import levels_router
from system_apis.backends.inventory.reservations import reservations_router
from system_apis.backends.inventory.shop import API_PREFIX, API_VERSION
from system_apis.backends.inventory.stock import Clock, shop_clock
from system_apis.backends.inventory.store import Store


def create_backend(
    database: Database,
    faults: FaultState,
    *,
    clock: Clock = shop_clock,
) -> ASGIApp:
    """The store's API on its own tables, behind the faults in force."""
    app = FastAPI(
        title="Inventory backend (Shopify Admin REST API stand-in)",
        version=API_VERSION,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.store = Store(database=database, clock=clock)
    install_shopify_error_handlers(app)
    app.include_router(catalog_router(), prefix=API_PREFIX)
    app.include_router(levels_router(), prefix=API_PREFIX)
    app.include_router(reservations_router(), prefix=API_PREFIX)
    app.include_router(fault_admin_router(faults))
    return FaultInjectionMiddleware(app, faults, server_error=SERVER_ERROR, junk=JUNK)
