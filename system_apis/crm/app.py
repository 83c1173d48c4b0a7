"""The CRM system API app, mounted at ``/system/crm/v1``."""

from __future__ import annotations

from fastapi import FastAPI

from strata.errors import install_problem_handlers
from system_apis.common.backend_client import BackendClient
from system_apis.crm.client import CrmClient
from system_apis.crm.router import customers_router
from system_apis.crm.service import CustomerService

DESCRIPTION = """
Customers and their activity history from the CRM, in Strata's canonical model.

A customer is a company or a person; its id is the CRM account id. Lists are pages: pass a
page's `next_cursor` as `cursor` to get the next one. Every error is
`application/problem+json`; a CRM that is slow, down or answering nonsense is 504, 503 or 502.
"""


def create_api(backend: BackendClient) -> FastAPI:
    app = FastAPI(
        title="CRM system API",
        version="1.0.0",
        description=DESCRIPTION,
        servers=[{"url": "/system/crm/v1"}],
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.crm_service = CustomerService(CrmClient(backend))
    install_problem_handlers(app)
    app.include_router(customers_router())
    return app
