"""FastAPI dependencies for APIs protected by access tokens.

Two ways to use them::

    verifier = oauth.verifier                      # or TokenVerifier.from_jwks_url(...)
    @router.get("/customers")
    async def customers(claims: Annotated[Claims, Depends(verifier.require_scopes("crm:read"))]):
        ...

or, where the routes are declared before the verifier exists, attach the verifier to the app
and use the free function::

    attach_verifier(app, verifier)
    @router.get("/customers")
    async def customers(claims: Annotated[Claims, Depends(require_scopes("crm:read"))]): ...
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request

from gateway.oauth.verifier import Claims, TokenVerifier

VERIFIER_STATE = "token_verifier"


def attach_verifier(app: FastAPI, verifier: TokenVerifier) -> None:
    setattr(app.state, VERIFIER_STATE, verifier)


def verifier_of(request: Request) -> TokenVerifier:
    verifier = getattr(request.app.state, VERIFIER_STATE, None)
    if not isinstance(verifier, TokenVerifier):
        raise RuntimeError("no token verifier is attached to this app (attach_verifier)")
    return verifier


def require_scopes(*scopes: str) -> Callable[[Request], Awaitable[Claims]]:
    """A dependency giving the request's verified claims; 401 without a valid token, 403
    when a scope is missing (RFC 6750 errors, as problem+json)."""

    async def dependency(request: Request) -> Claims:
        return await verifier_of(request).verify(request.headers.get("authorization"), scopes)

    dependency.__name__ = f"require_scopes_{'_'.join(scopes) or 'any'}"
    return dependency
