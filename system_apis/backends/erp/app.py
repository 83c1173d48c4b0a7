"""The ERP stand-in as its own app: record services in XML, the ERP's own faults, and fault
injection in front of it all."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import ASGIApp

from strata.db import Database
from system_apis.backends.erp.customers.router import customer_router
from system_apis.backends.erp.errors import JUNK, SERVER_ERROR, install_fault_handlers
from system_apis.backends.erp.invoices.router import invoice_router
from system_apis.backends.erp.sales_orders.router import sales_order_router
from system_apis.backends.faults import FaultInjectionMiddleware, FaultState, fault_admin_router


def create_backend(database: Database, faults: FaultState) -> ASGIApp:
    app = FastAPI(
        title="ERP (stand-in)",
        description="A NetSuite/SAP-style ERP speaking XML: customers, sales orders, invoices "
        "and customer payments.",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    install_fault_handlers(app)
    app.include_router(customer_router(database))
    app.include_router(sales_order_router(database))
    app.include_router(invoice_router(database))
    app.include_router(fault_admin_router(faults))
    return FaultInjectionMiddleware(app, faults, server_error=SERVER_ERROR, junk=JUNK)
