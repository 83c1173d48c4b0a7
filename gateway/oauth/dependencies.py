"""FastAPI dependencies for APIs protected by access tokens.

Two ways to use them::

    check = oauth.verifier.for_audience(CRM_URL)   # or TokenVerifier.from_jwks_url(...)
    @router.get("/customers")
    async def customers(claims: Annotated[Claims, Depends(check.require_scopes("crm:read"))]):
        ...

or, where the routes are declared before the verifier exists, attach the verifier to the app
with the app's audience (its resource indicator) and use the free function::

    attach_verifier(app, verifier, audience=CRM_URL)
    @router.get("/customers")
    async def customers(claims: Annotated[Claims, Depends(require_scopes("crm:read"))]): ...
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request

from gateway.oauth.verifier import AudienceCheck, Claims, TokenVerifier

VERIFIER_STATE = "token_verifier"


def attach_verifier(app: FastAPI, verifier: TokenVerifier, *, audience: str) -> None:
    """The app's token checks: ``verifier``'s, for tokens issued for ``audience``."""
    setattr(app.state, VERIFIER_STATE, verifier.for_audience(audience))


def verifier_of(request: Request) -> AudienceCheck:
    check = getattr(request.app.state, VERIFIER_STATE, None)
    if not isinstance(check, AudienceCheck):
        raise RuntimeError("no token verifier is attached to this app (attach_verifier)")
    return check


def require_scopes(*scopes: str) -> Callable[[Request], Awaitable[Claims]]:
    """A dependency giving the request's verified claims; 401 without a valid token, 403
    when a scope is missing (RFC 6750 errors, as problem+json)."""

    async def dependency(request: Request) -> Claims:
        return await verifier_of(request).verify(request.headers.get("authorization"), scopes)

    dependency.__name__ = f"require_scopes_{'_'.join(scopes) or 'any'}"
    return dependency
