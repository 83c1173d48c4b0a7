"""The CRM stand-in: a service that answers like Salesforce's REST API (Accounts with Person
Accounts, Contacts, Tasks; SOQL queries; upserts by external id; Salesforce's error arrays),
with its state in its own ``crm_`` tables."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import ASGIApp

from strata.db import Database
from system_apis.backends.crm.cursors import SALESFORCE_MIN_BATCH_SIZE, QueryRunner
from system_apis.backends.crm.errors import JUNK, SERVER_ERROR, install_salesforce_handlers
from system_apis.backends.crm.router import data_router, versions_router
from system_apis.backends.crm.seed import seed
from system_apis.backends.crm.service import SObjects
from system_apis.backends.faults import FaultInjectionMiddleware, FaultState, fault_admin_router

__all__ = ["create_backend", "seed"]


def create_backend(
    database: Database,
    faults: FaultState,
    *,
    min_batch_size: int = SALESFORCE_MIN_BATCH_SIZE,
) -> ASGIApp:
    """The CRM's native API as its own app.

    ``min_batch_size`` is the smallest query batch a ``Sforce-Query-Options`` header may ask
    for: 200 as in Salesforce; tests lower it to page through a few records.
    """
    app = FastAPI(
        title="CRM (Salesforce-style stand-in)",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    install_salesforce_handlers(app)
    app.include_router(versions_router())
    app.include_router(
        data_router(SObjects(database), QueryRunner(database, min_batch_size=min_batch_size))
    )
    app.include_router(fault_admin_router(faults))
    return FaultInjectionMiddleware(app, faults, server_error=SERVER_ERROR, junk=JUNK)
