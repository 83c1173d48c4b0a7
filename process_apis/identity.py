"""Who is calling a process API: the key that scopes their Idempotency-Keys, and whose
records they may see.

A :class:`CallerResolver` turns the ``Authorization`` header into a :class:`Caller`. The
assembly (``strata serve``) passes :func:`verified_callers` over the gateway's token
verifier, so both come from verified claims and a bad or missing token is a 401. Without one
(an API built on its own, as in the process layer's tests), :func:`claims_caller` reads the
token's claims without checking the signature, which is only sound behind a gateway that
checked it.

The restriction follows :mod:`strata.ownership`: a person's token linked to a customer sees
that customer's records only; the routes take it from :data:`CallerRestriction` and hand it
to the services as a plain value.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from strata.ownership import (
    UNRESTRICTED,
    Restriction,
    TokenCheck,
    bearer_token,
    restriction_of,
    restriction_of_claims,
    unverified_claims,
)

ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class Caller:
    """``key`` scopes the caller's Idempotency-Keys; ``restriction`` is whose records the
    caller may see."""

    key: str
    restriction: Restriction = UNRESTRICTED


CallerResolver = Callable[[str | None], Awaitable[Caller]]


def caller_key(client_id: object, subject: object) -> str | None:
    """``client:<client_id>`` for a client acting for itself; ``user:<client_id>:<sub>`` for
    a user's token, so two users of one app never share (and replay) each other's keys."""
    client = client_id if isinstance(client_id, str) and client_id else None
    person = subject if isinstance(subject, str) and subject else None
    if client and person and person != client:
        return f"user:{client[:90]}:{person[:100]}"
    if client or person:
        return f"client:{(client or person or '')[:180]}"
    return None


def caller_key_from_claims(claims: dict[str, Any]) -> str | None:
    return caller_key(claims.get("client_id"), claims.get("sub"))


async def claims_caller(authorization: str | None) -> Caller:
    """From unverified claims: keyed ``client:…``/``user:…`` for a JWT bearer token,
    ``token:<digest>`` for an opaque one (scoped to that very token), ``anonymous`` without
    one. Only a JWT can name a person, so only a JWT can be restricted."""
    token = bearer_token(authorization)
    if token is None:
        return Caller(ANONYMOUS)
    claims = unverified_claims(token)
    if claims is None:
        return Caller(_token_key(token))
    restriction = restriction_of(
        claims.get("sub"), claims.get("client_id"), claims.get("customer_id")
    )
    return Caller(caller_key_from_claims(claims) or _token_key(token), restriction)


def verified_callers(check: TokenCheck) -> CallerResolver:
    """Callers from claims ``check`` verified; its refusal (401) stops the request."""

    async def resolve(authorization: str | None) -> Caller:
        claims = await check.verify(authorization)
        key = caller_key(claims.client_id, claims.subject) or _token_key(authorization or "")
        return Caller(key, restriction_of_claims(claims))

    return resolve


def _token_key(token: str) -> str:
    return "token:" + hashlib.sha256(token.encode()).hexdigest()[:40]


async def current_caller(request: Request) -> Caller:
    """The request's caller, by the resolver the API was built with (``app.state.callers``)."""
    resolve: CallerResolver = request.app.state.callers
    return await resolve(request.headers.get("authorization"))


async def caller_restriction(caller: Annotated[Caller, Depends(current_caller)]) -> Restriction:
    return caller.restriction


CurrentCaller = Annotated[Caller, Depends(current_caller)]
CallerRestriction = Annotated[Restriction, Depends(caller_restriction)]
