"""Acceptance: the OAuth2 flows on the assembled app, in process, with authlib's own client,
on SQLite and PostgreSQL."""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator
from urllib.parse import parse_qsl, urlsplit

import pytest

from strata.app import create_strata
from strata.db import Database
from strata.settings import load_settings
from system_apis.demo import build_world
from tests.acceptance_oauth import (
    AUTHORIZE_URL,
    ISSUER,
    REVOKE_URL,
    TOKEN_URL,
    WEB_REDIRECT_URI,
    InProcess,
)
from tests.acceptance_support import (
    assert_problem,
)

with warnings.catch_warnings():
    # authlib warns that plain httpx (rather than httpx2) is deprecated; httpx is what we use.
    warnings.simplefilter("ignore")
    from authlib.common.security import generate_token
    from authlib.integrations.base_client import OAuthError

DANA = ("dana", "dana-demo-password")  # a demo user, seeded with the demo data


# --- 7. the OAuth2 flows on the assembled app, in process --------------------------------------


@pytest.fixture
async def assembled(database: Database) -> AsyncIterator[InProcess]:
    """Every layer behind the gateway, started on the test database with the demo data."""
    settings = load_settings(
        redis_url=None,
        seed_demo_data=True,
        oauth={
            "issuer": ISSUER,
            "secret_key": "acceptance-tests-key-long-enough-x-x-x-x-x-x",
            "password_hash_time_cost": 1,
            "password_hash_memory_kib": 64,
        },
    )
    strata = create_strata(settings, database)
    await strata.start()
    try:
        yield InProcess(strata)
    finally:
        await strata.stop()


async def test_client_credentials_token_opens_the_api_until_revoked(
    assembled: InProcess,
) -> None:
    partner = await assembled.confidential("crm:read inventory:read")
    async with (
        assembled.oauth_client(
            client_id=partner.client_id, client_secret=partner.client_secret
        ) as session,
        assembled.http() as http,
    ):
        token = await session.fetch_token(
            TOKEN_URL, grant_type="client_credentials", scope="crm:read"
        )
        access = token["access_token"]
        assert token["token_type"].lower() == "bearer"
        assert "refresh_token" not in token

        bearer = {"Authorization": f"Bearer {access}"}
        customers = await http.get("/system/crm/v1/customers?limit=2", headers=bearer)
        assert customers.status_code == 200, customers.text
        assert len(customers.json()["items"]) == 2
        # Granted crm:read only, not inventory:read: a token for the CRM API alone, which
        # the inventory API refuses before it looks at the scopes.
        stock = await http.get("/system/inventory/v1/products", headers=bearer)
        assert_problem(stock, 401, "invalid-token")
        assert "another audience" in stock.headers["www-authenticate"]

        seen = await assembled.introspect(partner, access)
        assert seen["active"] is True
        assert seen["client_id"] == partner.client_id
        assert seen["scope"] == "crm:read"

        revoked = await session.revoke_token(REVOKE_URL, token=access)
        assert revoked.status_code == 200
        refused = await http.get("/system/crm/v1/customers", headers=bearer)
        assert refused.status_code == 401
        assert (await assembled.introspect(partner, access)) == {"active": False}


async def test_a_user_signs_in_with_pkce_and_the_token_carries_their_customer(
    assembled: InProcess,
) -> None:
    dana_customer = build_world().customers[0].crm_id
    introspector = await assembled.confidential("tokens:introspect")  # a resource server
    verifier = generate_token(48)
    async with assembled.web_app("me:read me:write") as web, assembled.http() as http:
        url, state = web.create_authorization_url(AUTHORIZE_URL, code_verifier=verifier)
        location = await assembled.sign_in(url, *DANA)
        returned = dict(parse_qsl(urlsplit(location).query))
        assert location.startswith(WEB_REDIRECT_URI)
        assert returned["state"] == state and returned["iss"] == ISSUER

        # A code is useless without the verifier it was bound to.
        with pytest.raises(OAuthError) as stolen:
            await web.fetch_token(
                TOKEN_URL, authorization_response=location, code_verifier=generate_token(48)
            )
        assert stolen.value.error == "invalid_grant"

        url, _ = web.create_authorization_url(AUTHORIZE_URL, code_verifier=verifier)
        location = await assembled.sign_in(url, *DANA)
        token = await web.fetch_token(
            TOKEN_URL, authorization_response=location, code_verifier=verifier
        )

        assert set(token["scope"].split()) == {"me:read", "me:write"}
        claims = await assembled.strata.gateway.oauth.verifier.verify(
            f"Bearer {token['access_token']}", audience=f"{ISSUER}/experience/mobile/v1"
        )
        assert claims.customer_id == dana_customer
        seen = await assembled.introspect(introspector, token["access_token"])
        assert seen["active"] is True
        assert seen["username"] == "dana" and seen["customer_id"] == dana_customer
        bearer = {"Authorization": f"Bearer {token['access_token']}"}
        orders = await http.get("/experience/mobile/v1/me/orders?limit=1", headers=bearer)
        assert orders.status_code == 200, orders.text
        # A customer's token opens no back-office API: neither its audience nor its scopes.
        for back_office in ("/system/inventory/v1/products", "/system/crm/v1/customers"):
            refused = await http.get(back_office, headers=bearer)
            assert refused.status_code in (401, 403), refused.text
            assert refused.headers["content-type"] == "application/problem+json"


async def test_a_users_refresh_token_rotates_and_revoking_it_ends_the_grant(
    assembled: InProcess,
) -> None:
    dana_customer = build_world().customers[0].crm_id
    introspector = await assembled.confidential("tokens:introspect")  # a resource server
    verifier = generate_token(48)
    async with assembled.web_app("me:read") as web, assembled.http() as http:
        url, _ = web.create_authorization_url(AUTHORIZE_URL, code_verifier=verifier)
        location = await assembled.sign_in(url, *DANA)
        token = await web.fetch_token(
            TOKEN_URL, authorization_response=location, code_verifier=verifier
        )

        renewed = await web.refresh_token(TOKEN_URL, refresh_token=token["refresh_token"])
        assert renewed["refresh_token"] != token["refresh_token"]
        assert renewed["access_token"] != token["access_token"]
        claims = await assembled.strata.gateway.oauth.verifier.verify(
            f"Bearer {renewed['access_token']}", audience=f"{ISSUER}/experience/web/v1"
        )
        assert claims.customer_id == dana_customer
        assert (await assembled.introspect(introspector, token["refresh_token"])) == {
            "active": False
        }

        # Revoking the refresh token ends the grant: its access tokens stop working too.
        revoked = await web.revoke_token(
            REVOKE_URL, token=renewed["refresh_token"], token_type_hint="refresh_token"
        )
        assert revoked.status_code == 200
        refused = await http.get(
            "/experience/mobile/v1/me/orders",
            headers={"Authorization": f"Bearer {renewed['access_token']}"},
        )
        assert refused.status_code == 401
        for dead in (renewed["access_token"], renewed["refresh_token"]):
            assert (await assembled.introspect(introspector, dead)) == {"active": False}
        with pytest.raises(OAuthError) as reused:
            await web.refresh_token(TOKEN_URL, refresh_token=renewed["refresh_token"])
        assert reused.value.error == "invalid_grant"
