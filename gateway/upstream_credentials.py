"""What registered upstreams receive in place of the caller's token.

The data path never forwards the gateway's own access tokens to a remote target (an upstream
could replay one against every API it opens). Each API's registration says what its upstream
receives instead (``route.upstream_auth``); this is the data path's
:class:`~gateway.proxy.hooks.UpstreamCredentials` hook that makes it:

- ``none``: nothing.
- ``identity``: who calls, as a JWT (RFC 7519) the gateway signs with its current signing
  key, in the ``Strata-Identity`` header. ``aud`` is the API's resource URL
  (``{issuer}{prefix}``), so an assertion made for one upstream is refused by another; its
  JOSE ``typ`` is not ``at+jwt``, so the gateway itself never accepts it as an access token.
  Upstreams verify it with the gateway's JWKS.
- ``api_key``: the upstream's own key (decrypted when the route table was built), in the
  header its registration names.

Anything it cannot make (an unreadable secret, a mode it does not know, no signing key) is
refused with a problem, never forwarded without.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Protocol

import structlog
from joserfc import jwt

from gateway.oauth.clock import Clock
from gateway.oauth.crypto import new_token
from gateway.oauth.keys import ActiveKey
from gateway.oauth.verifier import Claims
from gateway.proxy.hooks import Identity, RawHeaders
from gateway.routes import IDENTITY_HEADER, ApiRoute
from strata.errors import Problem

log = structlog.get_logger(__name__)

IDENTITY_TOKEN_TYPE = "strata-identity+jwt"
IDENTITY_TTL_SECONDS = 60
# Re-signed when less than this is left, so an upstream never gets one that expires in flight.
RENEW_MARGIN_SECONDS = 15
# The current signing key is looked up (a database read) at most this often; a key that
# rotated meanwhile stays published long after, so upstreams still verify what it signed.
SIGNER_MAX_AGE_SECONDS = 30.0
_IDENTITY_HEADER = IDENTITY_HEADER.lower().encode("ascii")


class SigningKeys(Protocol):
    async def signing_key(self) -> ActiveKey: ...


@dataclass(frozen=True, slots=True)
class _Assertion:
    value: bytes
    expires_at: float


class UpstreamCredentialIssuer:
    """The headers each remote upstream receives for its caller.

    Signing an identity costs about a millisecond of RSA, and the data path is hot: an
    assertion is made once per caller token and API and reused until shortly before it
    expires (a bounded LRU of ``cache_size`` entries).
    """

    def __init__(
        self,
        keys: SigningKeys,
        issuer: str,
        clock: Clock,
        *,
        cache_size: int = 10_000,
    ) -> None:
        self._keys = keys
        self._issuer = issuer
        self._clock = clock
        self._cache: OrderedDict[tuple[Hashable, str], _Assertion] = OrderedDict()
        self._cache_size = cache_size
        self._signer: tuple[ActiveKey, float] | None = None

    async def __call__(self, identity: Identity | None, route: ApiRoute) -> RawHeaders:
        auth = route.upstream_auth
        if auth.mode == "none":
            return ()
        if auth.unreadable:
            raise _unavailable(route, "its upstream credentials cannot be decrypted")
        if auth.mode == "api_key" and auth.header and auth.secret:
            return ((auth.header.lower().encode("ascii"), auth.secret.encode("ascii")),)
        if auth.mode == "identity":
            if identity is None:  # an anonymous caller of a public API: nobody to assert
                return ()
            return ((_IDENTITY_HEADER, await self._assertion(identity, route)),)
        raise _unavailable(route, f"its upstream credentials ({auth.mode}) are incomplete")

    def resource(self, route: ApiRoute) -> str:
        """The API's resource URL: the audience of the assertions made for it."""
        return f"{self._issuer}{route.prefix}"

    async def _assertion(self, identity: Identity, route: ApiRoute) -> bytes:
        now = self._clock()
        key = (_identity_key(identity), route.prefix)
        cached = self._cache.get(key)
        if cached is not None and cached.expires_at - now > RENEW_MARGIN_SECONDS:
            self._cache.move_to_end(key)
            return cached.value
        signer = await self._current_signer(now, route)
        assertion = self._sign(signer, identity, route, int(now))
        if self._cache_size > 0:
            self._cache[key] = assertion
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return assertion.value

    async def _current_signer(self, now: float, route: ApiRoute) -> ActiveKey:
        if self._signer is not None and now - self._signer[1] < SIGNER_MAX_AGE_SECONDS:
            return self._signer[0]
        try:
            signer = await self._keys.signing_key()
        except Exception:
            log.exception("no signing key for an identity assertion", api=route.name)
            raise _unavailable(route, "the gateway cannot sign the caller's identity now") from None
        self._signer = (signer, now)
        return signer

    def _sign(self, signer: ActiveKey, identity: Identity, route: ApiRoute, now: int) -> _Assertion:
        expires_at = now + IDENTITY_TTL_SECONDS
        if isinstance(identity, Claims):
            # Never outlives the token it stands for.
            expires_at = min(expires_at, identity.expires_at)
        claims: dict[str, Any] = {
            "iss": self._issuer,
            "aud": self.resource(route),
            "sub": identity.subject,
            "client_id": identity.client_id,
            "scope": " ".join(sorted(identity.scopes)),
            "jti": new_token(18),
            "iat": now,
            "exp": expires_at,
        }
        claims.update(_person(identity))
        header = {"alg": signer.alg, "typ": IDENTITY_TOKEN_TYPE, "kid": signer.kid}
        value = jwt.encode(header, claims, signer.key, algorithms=[signer.alg])
        return _Assertion(value.encode("ascii"), float(expires_at))


def _identity_key(identity: Identity) -> Hashable:
    """One cache entry per caller token (its jti); a plain identity by what it asserts."""
    if isinstance(identity, Claims):
        return identity.jti
    return (identity.subject, identity.client_id, frozenset(identity.scopes))


def _person(identity: Identity) -> dict[str, str]:
    """The person's claims, for a token a person approved."""
    if not isinstance(identity, Claims) or not identity.is_user:
        return {}
    claims: dict[str, str] = {}
    username = identity.raw.get("username")
    if isinstance(username, str):
        claims["username"] = username
    if identity.customer_id is not None:
        claims["customer_id"] = identity.customer_id
    return claims


def _unavailable(route: ApiRoute, reason: str) -> Problem:
    return Problem(
        502,
        "Upstream credentials unavailable",
        f"The {route.name} API cannot be called: {reason}.",
        kind="upstream-credentials-unavailable",
        api=route.name,
    )
