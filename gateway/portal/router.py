"""The developer portal: ``/portal`` (the page) and its API under ``/portal/api``.

The API serves only a signed-in developer (a user token from the authorization code flow,
not a client's own token) and only the developer's own apps: someone else's app is a 404,
exactly like one that does not exist.
"""

# No ``from __future__ import annotations``: the routes' parameter types are aliases local to
# ``add_api_routes`` (they carry the verifier), which FastAPI could not resolve from strings.

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from gateway.oauth.server import OAuthServer
from gateway.oauth.verifier import Claims, TokenVerifier
from gateway.portal.pages import PortalSignIn, add_page_routes
from gateway.portal.schemas import AppCreate, AppCreated, AppList, AppOut, ScopeList, ScopeOut
from gateway.portal.service import PortalService
from strata.errors import Problem, problem_responses
from strata.json_body import StrictJsonRoute

APPS_READ = "apps:read"
APPS_WRITE = "apps:write"

Developer = Callable[[Request], Awaitable[Claims]]


class UserTokenRequired(Problem):
    def __init__(self) -> None:
        super().__init__(
            403,
            "Forbidden",
            "the portal serves signed-in developers: use a token from the authorization code "
            "flow, not a client's own (client credentials) token",
            kind="user-token-required",
        )


def developer(verifier: TokenVerifier, *scopes: str) -> Developer:
    """A dependency: the claims of a user's token holding ``scopes`` (401, 403 otherwise)."""
    check = verifier.require_scopes(*scopes)

    async def dependency(request: Request) -> Claims:
        claims = await check(request)
        if not claims.is_user:
            raise UserTokenRequired()
        return claims

    dependency.__name__ = f"developer_{'_'.join(scopes)}"
    return dependency


def create_portal_router(oauth: OAuthServer) -> APIRouter:
    """The portal, sharing the authorization server's clients, scopes and token checks."""
    router = APIRouter(route_class=StrictJsonRoute, prefix="/portal", tags=["portal"])
    add_page_routes(router, PortalSignIn(issuer=oauth.settings.issuer))
    add_api_routes(router, PortalService.of(oauth), oauth.verifier)
    return router


def add_api_routes(router: APIRouter, service: PortalService, verifier: TokenVerifier) -> None:
    reader = Annotated[Claims, Depends(developer(verifier, APPS_READ))]
    writer = Annotated[Claims, Depends(developer(verifier, APPS_WRITE))]
    guarded = problem_responses(401, 403)

    @router.get(
        "/api/scopes",
        summary="The scopes an app may be granted, with descriptions",
        response_model=ScopeList,
    )
    async def scopes() -> ScopeList:
        return ScopeList(
            items=[
                ScopeOut(name=name, description=text) for name, text in service.grantable_scopes()
            ]
        )

    @router.get(
        "/api/apps",
        summary="Your own client apps (never their secrets)",
        response_model=AppList,
        responses=guarded,
    )
    async def list_apps(claims: reader) -> AppList:
        apps = await service.list_apps(claims.subject)
        return AppList(items=[AppOut.of(app, service.vocabulary) for app in apps])

    @router.post(
        "/api/apps",
        status_code=201,
        summary="Register a client app; its secret is shown once",
        description=(
            "Scopes of the system, process and experience APIs and tokens:introspect; never "
            "admin nor the portal's own. An app asking for scopes that reach back-office data "
            "(all but the catalog reads inventory:read and availability:read, and the "
            "experience scopes) is created pending: it gets no token until an operator "
            "approves it."
        ),
        response_model=AppCreated,
        responses={**guarded, **problem_responses(409, 422)},
    )
    async def create_app(body: AppCreate, claims: writer, response: Response) -> AppCreated:
        client, secret = await service.create_app(claims.subject, body)
        response.headers["Location"] = f"{router.prefix}/api/apps/{client.id}"
        response.headers["Cache-Control"] = "no-store"
        shown = AppOut.of(client, service.vocabulary).model_dump()
        return AppCreated(**shown, client_secret=secret)

    @router.get(
        "/api/apps/{client_id}",
        summary="One of your apps",
        response_model=AppOut,
        responses={**guarded, **problem_responses(404)},
    )
    async def get_app(client_id: str, claims: reader) -> AppOut:
        return AppOut.of(await service.get_app(claims.subject, client_id), service.vocabulary)

    @router.delete(
        "/api/apps/{client_id}",
        status_code=204,
        summary="Delete one of your apps; every token it holds stops working",
        responses={**guarded, **problem_responses(404)},
    )
    async def delete_app(client_id: str, claims: writer) -> Response:
        await service.delete_app(claims.subject, client_id)
        return Response(status_code=204)
