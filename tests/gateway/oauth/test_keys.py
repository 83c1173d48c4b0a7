"""Signing keys: encrypted at rest, rotated with overlap, served as a JWKS that remote
verifiers fetch, cache and refresh (rate-limited) on an unknown kid."""

import asyncio
import os
import stat
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from joserfc import jws
from joserfc.jwk import RSAKey
from sqlalchemy import select

from gateway.oauth import OAuthServer, OAuthSettings, TokenVerifier, build_oauth
from gateway.oauth.crypto import load_secret
from gateway.oauth.keysources import CachedKeySet
from gateway.oauth.models import OAuthClient, SigningKey
from strata.db import Database
from strata.errors import ConfigurationError
from strata.http import in_process
from tests.gateway.oauth.conftest import CRM

Flows = Any
Registered = Any


def _changed(settings: OAuthSettings, **changes: Any) -> OAuthSettings:
    return OAuthSettings.model_validate({**settings.model_dump(), **changes})


async def test_private_keys_are_encrypted_at_rest(oauth: OAuthServer, database: Database) -> None:
    async with database.session() as session:
        (row,) = (await session.execute(select(SigningKey))).scalars().all()
    assert b"PRIVATE KEY" not in row.private_key_encrypted
    assert "d" not in row.public_jwk and row.public_jwk["kid"] == row.kid


async def test_a_wrong_secret_stops_the_start(
    oauth: OAuthServer,
    database: Database,
    settings: OAuthSettings,
    clock: Any,
) -> None:
    other = _changed(settings, secret_key="a-different-secret-long-enough-x-x-x-x-x-x-x")
    with pytest.raises(ConfigurationError, match="cannot be decrypted"):
        await build_oauth(database, other, clock=clock).start(background=False)


async def test_without_a_secret_one_is_generated_once_into_a_file(
    tmp_path: Path,
    settings: OAuthSettings,
) -> None:
    path = tmp_path / ".strata" / "oauth-secret.key"
    embedded = _changed(settings, secret_key=None, secret_file=path)
    first = load_secret(embedded)
    assert len(first) == 32 and path.exists()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_secret(embedded) == first
    path.write_text("%%% not base64 %%%")
    with pytest.raises(ConfigurationError, match="secret file"):
        load_secret(embedded)


async def test_rotation_keeps_old_tokens_valid_until_the_old_key_leaves(
    oauth: OAuthServer,
    flows: Flows,
    partner: Registered,
    http: httpx.AsyncClient,
    clock: Any,
) -> None:
    old_kid = (await oauth.keys.signing_key()).kid
    old_token = (await flows.client_credentials(partner))["access_token"]

    new_kid = await oauth.rotate_signing_key()
    assert new_kid != old_kid
    assert (await oauth.keys.signing_key()).kid == new_kid
    new_token = (await flows.client_credentials(partner))["access_token"]
    oauth.verifier.forget_cached()
    for token in (old_token, new_token):
        answer = await http.get("/crm/customers", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200
    kids = {key["kid"] for key in (await http.get("/.well-known/jwks.json")).json()["keys"]}
    assert kids == {old_kid, new_kid}

    settings = oauth.settings
    clock.advance(
        settings.access_token_ttl_seconds
        + settings.leeway_seconds
        + settings.key_rotation_overlap_seconds
        - 1
    )
    kids = {key["kid"] for key in (await http.get("/.well-known/jwks.json")).json()["keys"]}
    assert kids == {old_kid, new_kid}
    clock.advance(2)
    kids = {key["kid"] for key in (await http.get("/.well-known/jwks.json")).json()["keys"]}
    assert kids == {new_kid}
    assert await oauth.purge_expired() >= 1  # the retired key (and the expired tokens) go
    async with oauth.database.session() as session:
        assert await session.get(SigningKey, old_kid) is None


async def test_a_delayed_key_is_published_before_it_signs(
    oauth: OAuthServer,
    http: httpx.AsyncClient,
    clock: Any,
) -> None:
    old_kid = (await oauth.keys.signing_key()).kid
    new_kid = await oauth.rotate_signing_key(activation_delay_seconds=600)
    kids = {key["kid"] for key in (await http.get("/.well-known/jwks.json")).json()["keys"]}
    assert kids == {old_kid, new_kid}
    assert (await oauth.keys.signing_key()).kid == old_kid
    clock.advance(600)
    assert (await oauth.keys.signing_key()).kid == new_kid


async def test_old_keys_are_rotated_at_start(
    oauth: OAuthServer,
    database: Database,
    settings: Any,
    clock: Any,
) -> None:
    first = (await oauth.keys.signing_key()).kid
    clock.advance(91 * 86_400)
    restarted = build_oauth(database, settings, clock=clock)
    await restarted.start(background=False)
    assert (await restarted.keys.signing_key()).kid != first


def _remote_verifier(app: FastAPI, issuer: str, **options: Any) -> TokenVerifier:
    http = httpx.AsyncClient(transport=in_process(app), base_url=issuer)
    return TokenVerifier.from_jwks_url(
        f"{issuer}/.well-known/jwks.json",
        issuer=issuer,
        http=http,
        **options,
    )


async def test_a_remote_layer_verifies_with_the_jwks_alone(
    oauth: OAuthServer,
    app: FastAPI,
    flows: Flows,
    partner: Registered,
) -> None:
    remote = _remote_verifier(app, flows.issuer, min_refresh_interval=0)
    token = (await flows.client_credentials(partner, scope="crm:read"))["access_token"]
    claims = await remote.verify(f"Bearer {token}", ["crm:read"], audience=CRM)
    assert claims.client_id == partner.id

    await oauth.rotate_signing_key()
    rotated = (await flows.client_credentials(partner))["access_token"]
    # An unknown kid makes the remote verifier fetch the JWKS again.
    assert (await remote.verify(f"Bearer {rotated}", audience=CRM)).client_id == partner.id
    assert remote.keys.fetches == 2


async def test_unknown_kids_cannot_flood_the_jwks_endpoint(
    oauth: OAuthServer,
    app: FastAPI,
    flows: Flows,
) -> None:
    from joserfc import jwt
    from joserfc.jwk import RSAKey

    remote = _remote_verifier(app, flows.issuer, min_refresh_interval=60)
    rogue = RSAKey.generate_key(2048)
    for number in range(20):
        token = jwt.encode(
            {"alg": "RS256", "typ": "at+jwt", "kid": f"made-up-{number}"},
            {"sub": "x"},
            rogue,
            algorithms=["RS256"],
        )
        with pytest.raises(Exception, match="unknown key"):
            await remote.verify(f"Bearer {token}", audience=CRM)
    assert remote.keys.fetches == 1


async def test_a_jwks_outage_keeps_the_cached_keys(
    oauth: OAuthServer,
    app: FastAPI,
    flows: Flows,
    partner: Registered,
) -> None:
    remote = _remote_verifier(app, flows.issuer, min_refresh_interval=0, max_age=0.0)
    token = (await flows.client_credentials(partner))["access_token"]
    await remote.verify(f"Bearer {token}", audience=CRM)
    remote.forget_cached()

    def broken(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, text="down")

    async with httpx.AsyncClient(transport=httpx.MockTransport(broken)) as down:
        from gateway.oauth.keysources import jwks_url_loader

        remote.keys._loader = jwks_url_loader(f"{flows.issuer}/.well-known/jwks.json", down)
        assert (await remote.verify(f"Bearer {token}", audience=CRM)).client_id == partner.id


async def test_switching_to_es256_keeps_rs256_tokens_valid(
    oauth: OAuthServer,
    database: Database,
    settings: OAuthSettings,
    clock: Any,
    flows: Flows,
    partner: Registered,
) -> None:
    rs256_token = (await flows.client_credentials(partner))["access_token"]
    switched = build_oauth(database, _changed(settings, signing_alg="ES256"), clock=clock)
    await switched.start(background=False)
    await switched.rotate_signing_key()
    assert (await switched.keys.signing_key()).alg == "ES256"
    async with database.session() as session:
        client = await session.get(OAuthClient, partner.id)
    assert client is not None
    signer = await switched.tokens.signer()
    async with database.session() as session:
        es256 = await switched.tokens.issue(
            session, signer=signer, client=client, scopes=("crm:read",), audience=(CRM,)
        )
    for token, alg in ((rs256_token, "RS256"), (es256.access_token, "ES256")):
        assert jws.extract_compact(token.encode()).headers()["alg"] == alg
        claims = await switched.verifier.verify(f"Bearer {token}", audience=CRM)
        assert claims.client_id == partner.id


async def test_requests_arriving_while_the_keys_load_wait_for_them() -> None:
    # The first requests after a start all find the cache empty at once; only one loads the
    # keys, and the others must wait for that load instead of refusing the token.
    key = RSAKey.generate_key(2048, parameters={"kid": "k1", "alg": "RS256", "use": "sig"})
    loading = asyncio.Event()

    async def slow_loader() -> list[dict[str, Any]]:
        await loading.wait()
        return [key.as_dict(private=False)]

    keys = CachedKeySet(slow_loader)
    lookups = [asyncio.create_task(keys.get("k1")) for _ in range(4)]
    await asyncio.sleep(0.01)
    loading.set()
    found = await asyncio.gather(*lookups)

    assert all(item is not None for item in found)
    assert keys.fetches == 1
