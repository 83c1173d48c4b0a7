"""The ERP system API app: ``create_api(backend)``, mounted at ``/system/erp/v1``."""

from __future__ import annotations

from fastapi import FastAPI

from strata.errors import install_problem_handlers
from system_apis.common.backend_client import BackendClient
from system_apis.erp.client import ErpClient
from system_apis.erp.router import customers, invoices, orders

DESCRIPTION = """\
The ERP, in the canonical model: sales orders, invoices and payments, and the ERP's view of
a customer (what they owe). Customers are named by their canonical id (the CRM account id).
Creating an order or an invoice takes an `external_id`, so a retried request never makes a
second one. Errors are `application/problem+json`; a failing ERP is 502/503/504.
"""


def create_api(backend: BackendClient) -> FastAPI:
    app = FastAPI(
        title="ERP system API",
        version="1.0.0",
        description=DESCRIPTION,
        servers=[{"url": "/system/erp/v1"}],
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.erp = ErpClient(backend)
    install_problem_handlers(app)
    app.include_router(customers)
    app.include_router(orders)
    app.include_router(invoices)
    return app
