"""The mobile experience API, mounted at ``/experience/mobile/v1``."""

from __future__ import annotations

from fastapi import FastAPI

from experience_apis.common.clients import ExperienceClients
from experience_apis.common.identity import TokenCheck
from experience_apis.mobile.etag import ETagMiddleware
from experience_apis.mobile.router import router
from strata.errors import install_problem_handlers

DESCRIPTION = """
Compact answers for the mobile app: `/me/...` resolved from the signed-in user's token,
cursor paging, sparse fieldsets with `?fields=`, and `ETag` with `If-None-Match` for cheap
refreshes.
"""


def create_api(clients: ExperienceClients, token_check: TokenCheck) -> FastAPI:
    """The API over ``clients`` (the process APIs and the inventory system API), checking
    each request's user token with ``token_check``."""
    app = FastAPI(
        title="Mobile experience API",
        version="1.0.0",
        description=DESCRIPTION,
        servers=[{"url": "/experience/mobile/v1"}],
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.clients = clients
    app.state.token_check = token_check
    install_problem_handlers(app)
    app.include_router(router)
    app.add_middleware(ETagMiddleware)
    return app
