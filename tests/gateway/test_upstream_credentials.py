"""The headers a registered upstream receives for its caller: a signed identity it verifies
with the gateway's JWKS (and the gateway refuses as an access token), or its own key."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from gateway.oauth import OAuthServer, OAuthSettings, build_oauth
from gateway.oauth.errors import InvalidToken
from gateway.oauth.verifier import Claims
from gateway.proxy.hooks import Caller
from gateway.routes import ApiRoute, UpstreamAuth
from gateway.upstream_credentials import (
    IDENTITY_TOKEN_TYPE,
    IDENTITY_TTL_SECONDS,
    UpstreamCredentialIssuer,
)
from strata.db import Database
from strata.errors import Problem

ISSUER = "https://strata.test"


class Clock:
    def __init__(self) -> None:
        self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def oauth(database: Database, clock: Clock) -> AsyncIterator[OAuthServer]:
    settings = OAuthSettings(
        issuer=ISSUER,
        secret_key="upstream-credential-tests-key-x-x-x-x-x-x-x-",
        password_hash_time_cost=1,
        password_hash_memory_kib=64,
    )
    server = build_oauth(database, settings, clock=clock)
    await server.start(background=False)
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def issuer(oauth: OAuthServer, clock: Clock) -> UpstreamCredentialIssuer:
    return UpstreamCredentialIssuer(oauth.keys, ISSUER, clock)


class CountingKeys:
    """The OAuth server's keys, counting how often the signing key is asked for."""

    def __init__(self, oauth: OAuthServer) -> None:
        self.oauth = oauth
        self.asked = 0

    async def signing_key(self) -> Any:
        self.asked += 1
        return await self.oauth.keys.signing_key()


def route(name: str = "shipping", auth: UpstreamAuth | None = None) -> ApiRoute:
    return ApiRoute(
        name=name,
        layer="system",
        version=1,
        targets=("http://127.0.0.1:9",),
        read_scope=f"{name}:read",
        upstream_auth=auth or UpstreamAuth("identity"),
    )


def person(clock: Clock, *, jti: str = "token-1", expires_in: int = 900) -> Claims:
    now = int(clock())
    return Claims(
        subject="user-dana",
        client_id="web-app",
        scopes=frozenset({"shipping:read", "me:read"}),
        issuer=ISSUER,
        audience=("strata",),
        expires_at=now + expires_in,
        issued_at=now,
        jti=jti,
        customer_id="001Dn00000000001AAA",
        raw={"username": "dana"},
    )


async def decoded(oauth: OAuthServer, assertion: bytes) -> jwt.Token:
    """What an upstream does: verify the assertion with the gateway's published JWKS."""
    keys = KeySet.import_key_set({"keys": await oauth.keys.published()})
    return jwt.decode(assertion, keys, algorithms=["RS256", "ES256"])


async def test_an_identity_is_a_jwt_the_gateways_jwks_verifies(
    oauth: OAuthServer, issuer: UpstreamCredentialIssuer, clock: Clock
):
    headers = await issuer(person(clock), route())

    [(name, assertion)] = headers
    assert name == b"strata-identity"
    token = await decoded(oauth, assertion)
    assert token.header["typ"] == IDENTITY_TOKEN_TYPE
    assert token.header["kid"] == (await oauth.keys.signing_key()).kid
    claims = token.claims
    assert claims["iss"] == ISSUER
    assert claims["aud"] == f"{ISSUER}/system/shipping/v1"
    assert claims["sub"] == "user-dana"
    assert claims["client_id"] == "web-app"
    assert claims["scope"] == "me:read shipping:read"
    assert claims["username"] == "dana"
    assert claims["customer_id"] == "001Dn00000000001AAA"
    assert claims["jti"]
    assert claims["iat"] == int(clock())
    assert claims["exp"] == int(clock()) + IDENTITY_TTL_SECONDS


async def test_the_gateway_refuses_an_identity_as_an_access_token(
    oauth: OAuthServer, issuer: UpstreamCredentialIssuer, clock: Clock
):
    [(_, assertion)] = await issuer(person(clock), route())

    with pytest.raises(InvalidToken) as refused:
        await oauth.verifier.decode(assertion.decode())

    assert refused.value.status == 401
    assert "at+jwt" in str(refused.value.detail)


async def test_a_client_acting_for_itself_carries_no_person_claims(
    oauth: OAuthServer, issuer: UpstreamCredentialIssuer
):
    [(_, assertion)] = await issuer(Caller("partner", "partner", frozenset({"a:read"})), route())

    claims = (await decoded(oauth, assertion)).claims
    assert claims["sub"] == claims["client_id"] == "partner"
    assert "username" not in claims and "customer_id" not in claims


async def test_an_identity_never_outlives_the_token_it_stands_for(
    oauth: OAuthServer, issuer: UpstreamCredentialIssuer, clock: Clock
):
    [(_, assertion)] = await issuer(person(clock, expires_in=20), route())

    assert (await decoded(oauth, assertion)).claims["exp"] == int(clock()) + 20


async def test_one_signature_per_token_and_api_until_shortly_before_it_expires(
    oauth: OAuthServer, clock: Clock
):
    keys = CountingKeys(oauth)
    issuer = UpstreamCredentialIssuer(keys, ISSUER, clock)
    dana = person(clock)

    first = await issuer(dana, route())
    assert await issuer(dana, route()) == first
    other_api = await issuer(dana, route("billing"))
    other_token = await issuer(person(clock, jti="token-2"), route())

    assert other_api != first and other_token != first
    aud = (await decoded(oauth, other_api[0][1])).claims["aud"]
    assert aud == f"{ISSUER}/system/billing/v1"
    assert keys.asked == 1  # the signing key itself is looked up once, not per signature

    clock.now += IDENTITY_TTL_SECONDS - 10  # inside the renewal margin
    renewed = await issuer(dana, route())
    assert renewed != first
    assert (await decoded(oauth, renewed[0][1])).claims["iat"] == int(clock())


async def test_an_anonymous_caller_gets_no_identity(issuer: UpstreamCredentialIssuer):
    assert await issuer(None, route()) == ()


async def test_an_api_key_is_sent_in_its_header(issuer: UpstreamCredentialIssuer, clock: Clock):
    keyed = route(auth=UpstreamAuth("api_key", "X-API-Key", secret="sk-upstream"))

    assert await issuer(person(clock), keyed) == ((b"x-api-key", b"sk-upstream"),)
    assert await issuer(None, keyed) == ((b"x-api-key", b"sk-upstream"),)


async def test_nothing_is_sent_for_mode_none(issuer: UpstreamCredentialIssuer, clock: Clock):
    assert await issuer(person(clock), route(auth=UpstreamAuth())) == ()


@pytest.mark.parametrize(
    "auth",
    [
        UpstreamAuth("api_key", "X-API-Key", unreadable=True),
        UpstreamAuth("api_key", "X-API-Key"),  # the secret never made it into the route
        UpstreamAuth("client_credentials"),  # a mode this gateway does not know
    ],
)
async def test_credentials_it_cannot_make_refuse_the_call(
    issuer: UpstreamCredentialIssuer, clock: Clock, auth: UpstreamAuth
):
    with pytest.raises(Problem) as refused:
        await issuer(person(clock), route(auth=auth))

    assert refused.value.status == 502
    assert refused.value.kind == "upstream-credentials-unavailable"
