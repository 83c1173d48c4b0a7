"""The customer 360 process API, mounted at ``/process/customers/v1``."""

from __future__ import annotations

from fastapi import FastAPI

from process_apis.clients import SystemClients
from process_apis.customers.router import router
from process_apis.customers.service import CustomerService
from process_apis.identity import CallerResolver, claims_caller
from strata.db import Database
from strata.errors import install_problem_handlers

DESCRIPTION = """
One customer across the CRM and the ERP: who they are, what they did lately, what they
ordered, what they were invoiced and what they owe. The systems are asked at the same time;
one that is down only leaves its part out (named in `degraded`).
"""


def create_api(
    clients: SystemClients,
    database: Database | None = None,
    *,
    part_timeout_seconds: float = 3.0,
    caller: CallerResolver | None = None,
) -> FastAPI:
    """``database`` is accepted for a uniform factory signature; this API keeps no state.
    ``caller`` says whose overview a request may see (default: read from the token's claims
    unverified, see :mod:`process_apis.identity`)."""
    app = FastAPI(
        title="Customer 360 process API",
        version="1.0.0",
        description=DESCRIPTION,
        servers=[{"url": "/process/customers/v1"}],
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.customers = CustomerService(clients, part_timeout=part_timeout_seconds)
    app.state.callers = caller or claims_caller
    install_problem_handlers(app)
    app.include_router(router)
    return app
