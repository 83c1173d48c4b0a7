"""The web experience API, mounted at ``/experience/web/v1``."""

from __future__ import annotations

from fastapi import FastAPI

from experience_apis.common.clients import ExperienceClients
from experience_apis.common.identity import TokenCheck
from experience_apis.web.router import router
from strata.errors import install_problem_handlers

DESCRIPTION = """
What the web storefront and back office need, in the shape they need it: a customer's
dashboard, the catalog with availability, checkout, and an order's detail with its trace.
Every call is made for a signed-in customer (a user's token with `me:read`; `me:write` to
check out or pay).
"""


def create_api(clients: ExperienceClients, token_check: TokenCheck) -> FastAPI:
    """The API over ``clients`` (the process APIs and the inventory system API), checking
    each request's user token with ``token_check``."""
    app = FastAPI(
        title="Web experience API",
        version="1.0.0",
        description=DESCRIPTION,
        servers=[{"url": "/experience/web/v1"}],
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.clients = clients
    app.state.token_check = token_check
    install_problem_handlers(app)
    app.include_router(router)
    return app
