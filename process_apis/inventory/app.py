"""The availability process API (package ``process_apis/inventory``), mounted at
``/process/availability/v1``: "availability" names it in the registry, where the system
inventory API already holds the name "inventory"."""

from __future__ import annotations

from fastapi import FastAPI

from process_apis.clients import SystemClients
from process_apis.inventory.fulfilment import FulfilmentService
from process_apis.inventory.router import fulfilment_router, router
from process_apis.inventory.service import AvailabilityService
from strata.db import Database
from strata.errors import install_problem_handlers

DESCRIPTION = """
Buy online, pick up in store: what every location has available now for a SKU, and the
nearest location that has enough, from the shopper's position or from a store; and where a
whole cart can be fulfilled from.
"""


def create_api(clients: SystemClients, database: Database | None = None) -> FastAPI:
    """``database`` is accepted for a uniform factory signature; this API keeps no state."""
    app = FastAPI(
        title="Availability process API",
        version="1.0.0",
        description=DESCRIPTION,
        servers=[{"url": "/process/availability/v1"}],
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.availability = AvailabilityService(clients)
    app.state.fulfilment = FulfilmentService(clients)
    install_problem_handlers(app)
    app.include_router(router)
    app.include_router(fulfilment_router)
    return app
