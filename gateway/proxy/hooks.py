"""What the data path needs from token checks and rate limiting, as small Protocols.

The OAuth and rate-limit packages plug in through these; the stand-ins here serve tests,
benchmarks and a gateway run with checks switched off.

- :class:`Authenticate`: ``await authenticate(headers) -> Identity``. A refusal is raised as a
  :class:`strata.errors.Problem` carrying the status (401, 403) and headers
  (``WWW-Authenticate``) to send; the data path renders it as problem+json. The data path
  itself then refuses (401 ``invalid_token``) an identity whose ``audience`` does not name
  the route's own (``ProxySettings.base_url`` + the route's prefix), before its scopes.
- :class:`Limit`: ``await limit(identity_or_ip, route, method) -> LimitDecision``. The
  decision's ``headers`` are added to the response whether or not the request is allowed;
  ``refusal`` is the ASGI response to send when it is not (a 429 problem+json by default).
- :class:`UpstreamCredentials`: ``await credentials(identity_or_none, route) -> headers``: what
  a remote target receives in place of the caller's token, which the data path never
  forwards. A :class:`strata.errors.Problem` raised here is sent instead of forwarding.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from starlette.types import Receive, Scope, Send

from gateway.routes import ApiRoute
from strata.errors import Problem

RawHeaders = Sequence[tuple[bytes, bytes]]
AsgiResponse = Callable[[Scope, Receive, Send], Awaitable[None]]


class Identity(Protocol):
    """Who is calling: the token's subject and client, its scopes, the audience it was
    issued for (the URLs of the APIs it may call, RFC 8707), and the client's tier."""

    @property
    def subject(self) -> str: ...

    @property
    def client_id(self) -> str: ...

    @property
    def scopes(self) -> Collection[str]: ...

    @property
    def audience(self) -> Collection[str]: ...

    @property
    def tier(self) -> str | None: ...


class Authenticate(Protocol):
    async def __call__(self, headers: RawHeaders) -> Identity:
        """The caller named by the request's ``Authorization`` header; raises
        :class:`~strata.errors.Problem` (401/403) when the credentials are missing or bad."""
        ...


class LimitDecision(Protocol):
    @property
    def allowed(self) -> bool: ...

    @property
    def headers(self) -> RawHeaders: ...

    @property
    def refusal(self) -> AsgiResponse | None: ...


class Limit(Protocol):
    async def __call__(self, caller: Identity | str, route: ApiRoute, method: str) -> LimitDecision:
        """Whether ``caller`` (an identity, or the client's IP when anonymous) may call
        ``route`` now."""
        ...


class UpstreamCredentials(Protocol):
    async def __call__(self, identity: Identity | None, route: ApiRoute) -> RawHeaders:
        """The headers (lowercase names) a remote target of ``route`` receives for this
        caller (``None`` when anonymous); they replace any the client sent by those names."""
        ...


class RefusedAuthentication(Protocol):
    async def __call__(self, address: str) -> int | None:
        """Counts one request from ``address`` refused for its credentials (401); returns the
        seconds to wait when that address was refused too often (the answer becomes a 429),
        otherwise None."""
        ...


@dataclass(frozen=True, slots=True)
class Caller:
    """A plain :class:`Identity`; with no ``audience`` it is refused by every API."""

    subject: str
    client_id: str
    scopes: frozenset[str] = frozenset()
    tier: str | None = None
    audience: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Verdict:
    """A plain :class:`LimitDecision`."""

    allowed: bool
    headers: RawHeaders = ()
    refusal: AsgiResponse | None = None


ALLOWED = Verdict(allowed=True)


async def no_limit(caller: Identity | str, route: ApiRoute, method: str) -> LimitDecision:
    """The stand-in limiter: everything is allowed and no headers are added."""
    return ALLOWED


async def no_upstream_credentials(identity: Identity | None, route: ApiRoute) -> RawHeaders:
    """The stand-in: remote targets receive no credentials at all."""
    return ()


async def no_refusal_count(address: str) -> int | None:
    """The stand-in: refused requests are not counted."""
    return None


def invalid_token(description: str) -> Problem:
    """The RFC 6750 401 for a token that is not good for this request."""
    return Problem(
        401,
        "Invalid token",
        description,
        kind="invalid-token",
        headers={
            "WWW-Authenticate": f'Bearer error="invalid_token", error_description="{description}"'
        },
    )


@dataclass(frozen=True)
class StaticTokens:
    """The stand-in authenticator: a fixed map of bearer tokens to identities.

    Serves tests and benchmarks when no authorization server is wired in; it answers
    exactly like a real one (401 with ``WWW-Authenticate: Bearer``).
    """

    tokens: Mapping[str, Identity] = field(default_factory=dict)

    async def __call__(self, headers: RawHeaders) -> Identity:
        for name, value in headers:
            if name == b"authorization":
                scheme, _, token = value.decode("latin-1").partition(" ")
                if scheme.lower() != "bearer" or not token:
                    raise invalid_token("the Authorization header is not a bearer token")
                identity = self.tokens.get(token.strip())
                if identity is None:
                    raise invalid_token("the access token is not valid")
                return identity
        raise Problem(
            401,
            "Authentication required",
            "This API needs a bearer token in the Authorization header.",
            kind="unauthorized",
            headers={"WWW-Authenticate": "Bearer"},
        )
