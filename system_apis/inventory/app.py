"""The inventory system API: products, locations, stock and reservations in the canonical
model, over the Shopify-style inventory backend."""

from __future__ import annotations

from fastapi import FastAPI

from strata.errors import install_problem_handlers
from system_apis.common.backend_client import BackendClient
from system_apis.inventory.client import InventoryClient
from system_apis.inventory.router import ROUTERS
from system_apis.inventory.service import InventoryService

DESCRIPTION = """\
Products, locations, stock levels and reservations of the inventory system, in the canonical
model. Money is a decimal string with a currency; times are UTC; ids are strings.

`available` units are the ones that can be promised now: on hand less the units committed to
orders or held by reservations, and less unsellable (damaged) units.

Errors are `application/problem+json`. A backend that does not answer in time is 504, one
that is down 503, one that fails or answers something unreadable 502.
"""


def create_api(backend: BackendClient) -> FastAPI:
    app = FastAPI(
        title="Inventory system API",
        version="1.0.0",
        description=DESCRIPTION,
        servers=[{"url": "/system/inventory/v1"}],
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.inventory = InventoryService(InventoryClient(backend))
    install_problem_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    return app
