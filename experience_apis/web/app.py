"""The web experience API, mounted at ``/experience/web/v1``."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from experience_apis.common.clients import DownstreamError, ExperienceClients
from experience_apis.common.identity import TokenCheck
from experience_apis.web.problems import passthrough
from experience_apis.web.router import router
from strata.errors import PROBLEM_JSON, install_problem_handlers

DESCRIPTION = """
What the web storefront needs, in the shape it needs it: the signed-in customer's
dashboard, the catalog with availability, checkout, and each order with its trace and
payment. Every call is made for a signed-in customer (a user's token with `me:read`;
`me:write` to check out or pay); a customer sees only their own orders.
"""


async def _below_failed(request: Request, exc: Exception) -> JSONResponse:
    """A failure below that no route turned into its own answer is still a problem (never a
    500): the layer below's refusal, or 502/503/504 naming it."""
    assert isinstance(exc, DownstreamError)
    problem = passthrough(exc)
    return JSONResponse(
        problem.body(instance=request.url.path),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers=problem.headers,
    )


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
    app.add_exception_handler(DownstreamError, _below_failed)
    app.include_router(router)
    return app
