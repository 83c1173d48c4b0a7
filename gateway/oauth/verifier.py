"""Checking access tokens: usable by any layer with nothing but the JWKS.

``TokenVerifier`` checks, in order: the ``Authorization: Bearer`` header; the JOSE header
(``alg`` on the allow-list, so ``none`` and HMAC are refused before any key is touched;
``typ`` is ``at+jwt``; a ``kid``); the signature with the key of that kid, whose own ``alg``
must match; then ``iss``, ``exp``/``nbf``/``iat`` with a small leeway, and the claims
RFC 9068 requires; finally that the token was not revoked. Verified tokens are cached (a
bounded LRU keyed by the token, each entry good until the token expires); a cache hit still
checks revocation, so it costs one dict look-up and one set look-up.

The audience is checked per call, not in the cached verification, so one verifier and one
cache serve every API: ``verify(header, scopes, audience=url)`` refuses a token whose ``aud``
does not name ``url`` (before its scopes are looked at), and :meth:`TokenVerifier.for_audience`
gives a check bound to one API. Only the data path, which checks each route's audience
itself, calls :meth:`TokenVerifier.verify_any_audience`.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import Request
from joserfc import jws
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    JoseError,
)
from joserfc.jws import JWSRegistry
from joserfc.jwt import JWTClaimsRegistry

from gateway.oauth.clock import Clock, system_clock
from gateway.oauth.errors import InsufficientScope, InvalidToken
from gateway.oauth.keysources import CachedKeySet, jwks_url_loader
from gateway.oauth.revocation import RevocationList

ACCESS_TOKEN_TYPES = frozenset({"at+jwt", "application/at+jwt"})
ALLOWED_ALGORITHMS = ("RS256", "ES256")
MAX_TOKEN_BYTES = 8192
_REQUIRED = ("iss", "sub", "aud", "exp", "iat", "jti", "client_id")


@dataclass(frozen=True)
class Claims:
    """A verified access token's claims (RFC 9068), typed for the code that uses them."""

    subject: str
    client_id: str
    scopes: frozenset[str]
    issuer: str
    audience: tuple[str, ...]
    expires_at: int
    issued_at: int
    jti: str
    customer_id: str | None = None
    tier: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_user(self) -> bool:
        """A token a user approved (authorization code), not a client acting for itself."""
        return self.subject != self.client_id

    def has_scopes(self, *scopes: str) -> bool:
        return all(scope in self.scopes for scope in scopes)

    def require(self, *scopes: str) -> None:
        if not self.has_scopes(*scopes):
            raise InsufficientScope(scopes, self.scopes)

    def is_for(self, audiences: Collection[str]) -> bool:
        return any(audience in audiences for audience in self.audience)

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Claims:
        audience = _audience(payload["aud"])
        scope = payload.get("scope", "")
        if not isinstance(scope, str) or not isinstance(payload["client_id"], str):
            raise InvalidToken("the access token's scope or client_id claim is malformed")
        customer_id = payload.get("customer_id")
        tier = payload.get("tier")
        return cls(
            subject=payload["sub"],
            client_id=payload["client_id"],
            scopes=frozenset(scope.split()),
            issuer=payload["iss"],
            audience=audience,
            expires_at=int(payload["exp"]),
            issued_at=int(payload["iat"]),
            jti=payload["jti"],
            customer_id=customer_id if isinstance(customer_id, str) else None,
            tier=tier if isinstance(tier, str) else None,
            raw=dict(payload),
        )


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer`` header, or the RFC 6750 401."""
    if not authorization or not authorization.strip():
        raise InvalidToken("an access token is required", missing=True)
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise InvalidToken("use an Authorization: Bearer access token", missing=True)
    token = token.strip()
    if not token or " " in token:
        raise InvalidToken("the Authorization header does not hold one bearer token")
    return token


class TokenVerifier:
    def __init__(
        self,
        keys: CachedKeySet,
        *,
        issuer: str,
        algorithms: Iterable[str] = ALLOWED_ALGORITHMS,
        leeway: int = 30,
        cache_size: int = 10_000,
        revocations: RevocationList | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.algorithms = tuple(alg for alg in algorithms if alg in ALLOWED_ALGORITHMS)
        if not self.algorithms:
            raise ValueError("the verifier needs at least one of RS256 and ES256")
        self.leeway = leeway
        self.revocations = revocations
        self._clock = clock
        self._registry = JWSRegistry(algorithms=list(self.algorithms))
        self._cache: OrderedDict[str, Claims] = OrderedDict()
        self._cache_size = cache_size
        self.cache_hits = 0
        self.cache_misses = 0
        self._owned_http: httpx.AsyncClient | None = None

    @classmethod
    def from_jwks_url(
        cls,
        url: str,
        *,
        issuer: str,
        http: httpx.AsyncClient | None = None,
        max_age: float = 300.0,
        min_refresh_interval: float = 5.0,
        **options: Any,
    ) -> TokenVerifier:
        """A verifier for a layer that only knows the gateway's JWKS URL (split mode).
        Without ``http`` it makes its own client, closed by :meth:`aclose`."""
        client = http or httpx.AsyncClient(timeout=5.0)
        keys = CachedKeySet(
            jwks_url_loader(url, client),
            max_age=max_age,
            min_refresh_interval=min_refresh_interval,
        )
        verifier = cls(keys, issuer=issuer, **options)
        if http is None:
            verifier._owned_http = client
        return verifier

    async def aclose(self) -> None:
        if self._owned_http is not None:
            await self._owned_http.aclose()
            self._owned_http = None

    async def verify(
        self,
        authorization: str | None,
        required_scopes: Iterable[str] = (),
        *,
        audience: str,
    ) -> Claims:
        """Checks an ``Authorization`` header value for the API whose resource indicator is
        ``audience``; the plain entry point for ASGI code."""
        claims = await self.verify_any_audience(authorization)
        return _admitted(claims, (audience,), required_scopes)

    async def verify_any_audience(self, authorization: str | None) -> Claims:
        """Everything but the audience and the scopes, which the caller checks itself: the
        data path does, per route, on every request."""
        token = bearer_token(authorization)
        # A cache hit is settled here, without a second coroutine: this runs on every request.
        claims = self._cached(token)
        if claims is None:
            claims = await self._verified(token)
        else:
            self.cache_hits += 1
        if self.revocations is not None and self.revocations.is_revoked(claims.jti):
            raise InvalidToken("the access token was revoked")
        return claims

    async def verify_token(
        self, token: str, required_scopes: Iterable[str] = (), *, audience: str
    ) -> Claims:
        return await self.verify(f"Bearer {token}", required_scopes, audience=audience)

    def for_audience(self, *audiences: str) -> AudienceCheck:
        """Token checks for the API (or the few APIs) with these resource indicators."""
        if not audiences:
            raise ValueError("a token check needs the audience it accepts")
        return AudienceCheck(self, frozenset(audiences))

    async def _verified(self, token: str) -> Claims:
        self.cache_misses += 1
        claims = await self.decode(token)
        self._remember(token, claims)
        return claims

    def _cached(self, token: str) -> Claims | None:
        claims = self._cache.get(token)
        if claims is None:
            return None
        if claims.expires_at + self.leeway <= self._clock():
            del self._cache[token]
            return None
        self._cache.move_to_end(token)
        return claims

    def _remember(self, token: str, claims: Claims) -> None:
        if self._cache_size <= 0:
            return
        self._cache[token] = claims
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def forget_cached(self) -> None:
        self._cache.clear()

    async def decode(self, token: str, *, check_expiry: bool = True) -> Claims:
        """Full verification without cache or revocation (the authorization server's own
        endpoints use it, with their own revocation check)."""
        if len(token) > MAX_TOKEN_BYTES:
            raise InvalidToken("the access token is too large")
        try:
            compact = jws.extract_compact(token.encode("ascii"))
            header = compact.headers()
        except (JoseError, UnicodeError, ValueError, TypeError):
            raise InvalidToken("the access token is not a well-formed JWT") from None
        key = await self._key_for(header)
        try:
            if not jws.validate_compact(compact, key, registry=self._registry):
                raise BadSignatureError()
        except JoseError:
            raise InvalidToken("the access token's signature is invalid") from None
        payload = _json_object(compact.payload)
        self._check_claims(payload, check_expiry=check_expiry)
        return Claims.from_payload(payload)

    async def _key_for(self, header: Mapping[str, Any]) -> Any:
        alg = header.get("alg")
        if alg not in self.algorithms:
            raise InvalidToken(f"tokens signed with {str(alg)[:16]!r} are not accepted")
        typ = header.get("typ")
        if not isinstance(typ, str) or typ.lower() not in ACCESS_TOKEN_TYPES:
            raise InvalidToken("the token is not an access token (typ must be at+jwt)")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("the access token names no signing key (kid)")
        key = await self.keys.get(kid)
        if key is None:
            raise InvalidToken("the access token was signed by an unknown key")
        if key.alg is not None and key.alg != alg:
            raise InvalidToken("the access token's algorithm does not match its key")
        return key

    def _check_claims(self, payload: dict[str, Any], *, check_expiry: bool) -> None:
        checked = payload
        if not check_expiry:
            # Revoking or introspecting an expired token: everything but the expiry counts.
            if not _is_number(payload.get("exp")):
                raise InvalidToken("the access token's exp claim is missing or invalid")
            checked = {name: value for name, value in payload.items() if name != "exp"}
        required = [name for name in _REQUIRED if check_expiry or name != "exp"]
        registry = JWTClaimsRegistry(
            now=int(self._clock()),
            leeway=self.leeway,
            **{name: {"essential": True} for name in required},  # type: ignore[arg-type]
        )
        try:
            registry.validate(checked)
        except ExpiredTokenError:
            raise InvalidToken("the access token has expired") from None
        except ClaimError as exc:
            raise InvalidToken(
                f"the access token's {exc.claim} claim is missing or invalid"
            ) from None
        if payload["iss"] != self.issuer:
            raise InvalidToken("the access token was issued by another issuer")

    def require_scopes(
        self, *scopes: str, audience: str | None = None
    ) -> Callable[[Request], Awaitable[Claims]]:
        """A FastAPI dependency: the request's verified claims, for ``audience`` and holding
        every given scope. Without ``audience``, the gateway's own endpoints' (the issuer):
        only a token issued for the gateway itself gets through."""
        return self.for_audience(audience or self.issuer).require_scopes(*scopes)


@dataclass(frozen=True)
class AudienceCheck:
    """Token checks bound to the resource indicators of one API (or a few): a token whose
    ``aud`` names none of ``audiences`` is refused, whatever its scopes."""

    verifier: TokenVerifier
    audiences: frozenset[str]

    async def verify(
        self, authorization: str | None, required_scopes: Iterable[str] = ()
    ) -> Claims:
        claims = await self.verifier.verify_any_audience(authorization)
        return _admitted(claims, self.audiences, required_scopes)

    def require_scopes(self, *scopes: str) -> Callable[[Request], Awaitable[Claims]]:
        """A FastAPI dependency: the request's verified claims, holding every given scope."""

        async def dependency(request: Request) -> Claims:
            return await self.verify(request.headers.get("authorization"), scopes)

        dependency.__name__ = f"require_scopes_{'_'.join(scopes) or 'any'}"
        return dependency


def _admitted(claims: Claims, audiences: Collection[str], required_scopes: Iterable[str]) -> Claims:
    if not claims.is_for(audiences):
        raise InvalidToken("the access token is meant for another audience")
    required = tuple(required_scopes)
    if required:
        claims.require(*required)
    return claims


def _audience(value: object) -> tuple[str, ...]:
    """RFC 7519 4.1.3: one string, or an array of strings."""
    audience = (value,) if isinstance(value, str) else value
    if (
        not isinstance(audience, list | tuple)
        or not audience
        or not all(isinstance(item, str) and item for item in audience)
    ):
        raise InvalidToken("the access token's aud claim is malformed")
    return tuple(audience)


def _json_object(payload: bytes | None) -> dict[str, Any]:
    try:
        value = json.loads(payload or b"")
    except (ValueError, UnicodeError):
        raise InvalidToken("the access token's payload is not JSON") from None
    if not isinstance(value, dict):
        raise InvalidToken("the access token's payload is not a JSON object")
    return value


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
