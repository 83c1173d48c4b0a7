"""Who is asking: the signed-in user behind an experience API request.

Experience APIs serve people, so every request carries a user's access token (authorization
code with PKCE), and the user is linked to one CRM customer by the token's ``customer_id``
claim. The API checks the token itself rather than trusting the gateway in front of it: it
decides whose data a request may see, so it must know the token is genuine and was issued
for this very API (its ``aud`` names the API's URL at the gateway): a token for the other
experience API, or for an API below, is refused. The assembly hands each API a check bound
to its own audience: in one process the gateway's own verifier's (a cache hit after the
gateway's check), in split mode a ``TokenVerifier.from_jwks_url``'s, both through
``for_audience``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Protocol

from fastapi import Depends, Request

from gateway.oauth.verifier import Claims
from strata.errors import Problem

READ_SCOPE = "me:read"
WRITE_SCOPE = "me:write"
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class TokenCheck(Protocol):
    """Verifies an ``Authorization`` header for this API's audience; raises a 401 or 403
    ``Problem`` when the token is bad, for another audience, or lacks a scope."""

    async def verify(
        self, authorization: str | None, required_scopes: Iterable[str] = ()
    ) -> Claims: ...


@dataclass(frozen=True)
class Customer:
    """The signed-in user and the CRM customer they are; ``authorization`` is forwarded to
    the layer below."""

    customer_id: str
    user_id: str
    client_id: str
    username: str | None
    authorization: str


def not_a_customer() -> Problem:
    return Problem(
        403,
        "Forbidden",
        "This API serves signed-in customers: use a token a user approved (authorization "
        "code with PKCE) whose user is linked to a customer.",
        kind="not-a-customer",
    )


async def signed_in_customer(request: Request) -> Customer:
    """The request's user, checked: a valid token with ``me:read`` (``me:write`` to change
    anything), approved by a user who is a customer. 401 or 403 problem otherwise."""
    verifier: TokenCheck = request.app.state.token_check
    authorization = request.headers.get("authorization")
    scope = READ_SCOPE if request.method in _READ_METHODS else WRITE_SCOPE
    claims = await verifier.verify(authorization, (scope,))
    if not claims.is_user or not claims.customer_id:
        raise not_a_customer()
    assert authorization is not None  # verify() refuses a request without one
    username = claims.raw.get("username")
    return Customer(
        customer_id=claims.customer_id,
        user_id=claims.subject,
        client_id=claims.client_id,
        username=username if isinstance(username, str) else None,
        authorization=authorization,
    )


CurrentCustomer = Annotated[Customer, Depends(signed_in_customer)]
