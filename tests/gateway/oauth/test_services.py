"""Clients and users as the CLI and the seeding call them."""

import importlib
from typing import Any

import pytest

from gateway.oauth import (
    DEMO_USERS,
    InvalidClientRegistration,
    OAuthServer,
    create_client,
    seed_demo_users,
)
from gateway.oauth.crypto import Passwords
from gateway.oauth.models import OAuthClient
from gateway.oauth.scopes import ScopeVocabulary
from gateway.oauth.users import (
    DOCS_CLIENT_ID,
    MOBILE_CLIENT_ID,
    WEB_CLIENT_ID,
    WEB_REDIRECT_URI,
    authenticate_user,
)
from strata.db import Database
from tests.gateway.oauth.conftest import WEB

Flows = Any


def _world() -> Any:
    # The CRM backend package imports the demo world; importing it first keeps the order sane.
    importlib.import_module("system_apis.backends.crm")
    return importlib.import_module("system_apis.demo").build_world()


async def test_create_client_with_a_session_or_the_database(
    database: Database,
    passwords: Passwords,
) -> None:
    client, secret = await create_client(
        database, "  Nightly   export ", "crm:read orders:read", tier="free", passwords=passwords
    )
    assert secret and client.name == "Nightly export" and client.tier == "free"
    assert client.scope_list == ("crm:read", "orders:read")
    async with database.session() as session:
        other, _ = await create_client(session, "Other", ["crm:read"], passwords=passwords)
        assert await session.get(OAuthClient, other.id) is not None
    async with database.session() as session:
        stored = await session.get(OAuthClient, client.id)
    assert stored is not None and await passwords.verify(stored.secret_hash, secret)
    assert not await passwords.verify(stored.secret_hash, secret + "x")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"scopes": "crm:read unknown:scope"}, "scopes"),
        ({"scopes": ""}, "scopes"),
        ({"tier": "Premium Plus"}, "tier"),
        ({"name": " "}, "name"),
        ({"redirect_uris": ["ftp://x.example/cb"]}, "redirect_uris"),
        ({"redirect_uris": ["not a uri"]}, "redirect_uris"),
        ({"redirect_uris": ["https://[::1/cb"]}, "redirect_uris"),
        ({"public": True}, "redirect_uris"),
        ({"client_id": "x"}, "client_id"),
    ],
)
async def test_create_client_refuses_bad_input(
    database: Database,
    passwords: Passwords,
    kwargs: dict[str, Any],
    field: str,
) -> None:
    arguments: dict[str, Any] = {"name": "Name", "scopes": "crm:read"} | kwargs
    with pytest.raises(InvalidClientRegistration) as refused:
        await create_client(database, passwords=passwords, **arguments)
    assert refused.value.status == 422
    assert refused.value.extensions["errors"][0]["field"] == field


async def test_duplicate_client_id(database: Database, passwords: Passwords) -> None:
    await create_client(
        database,
        "One",
        "me:read",
        redirect_uris=["https://a.example/cb"],
        public=True,
        client_id="my-app",
        passwords=passwords,
    )
    with pytest.raises(InvalidClientRegistration, match="already exists"):
        await create_client(database, "Two", "me:read", client_id="my-app", passwords=passwords)


async def test_the_vocabulary_grows_with_registered_apis(
    database: Database,
    passwords: Passwords,
) -> None:
    vocabulary = ScopeVocabulary()
    with pytest.raises(InvalidClientRegistration):
        await create_client(
            database, "Billing", "billing:read", passwords=passwords, vocabulary=vocabulary
        )
    vocabulary.add("billing:read", "Read invoices in the billing API")
    client, _ = await create_client(
        database, "Billing", "billing:read", passwords=passwords, vocabulary=vocabulary
    )
    assert client.scope_list == ("billing:read",)
    with pytest.raises(ValueError, match="not a valid scope"):
        vocabulary.add("Bad Scope", "spaces are not allowed")


async def test_seed_demo_users_is_idempotent_and_links_customers(
    database: Database,
    passwords: Passwords,
) -> None:
    world = _world()
    assert await seed_demo_users(database, world, passwords) == len(DEMO_USERS) + 5
    assert await seed_demo_users(database, world, passwords) == 0
    async with database.session() as session:
        for demo in DEMO_USERS:
            user = await authenticate_user(session, demo.username, demo.password, passwords)
            assert user is not None and user.role_list == demo.roles
            if demo.customer_index is None:
                assert user.customer_id is None
            else:
                assert user.customer_id == world.customers[demo.customer_index].crm_id
        assert await authenticate_user(session, "dana", "wrong", passwords) is None
        assert await authenticate_user(session, "nobody", "x", passwords) is None
        web = await session.get(OAuthClient, WEB_CLIENT_ID)
        mobile = await session.get(OAuthClient, MOBILE_CLIENT_ID)
        docs = await session.get(OAuthClient, DOCS_CLIENT_ID)
    assert web is not None and web.is_public and web.redirect_uris == [WEB_REDIRECT_URI]
    assert mobile is not None and mobile.is_public and len(mobile.redirect_uris) == 2
    assert docs is not None and docs.is_public and "admin" not in docs.scope_list
    assert docs.redirect_uris == ["http://127.0.0.1:8000/apis/_assets/oauth2-redirect.html"]


async def test_a_demo_user_signs_in_to_the_demo_web_app(
    oauth: OAuthServer,
    database: Database,
    flows: Flows,
    passwords: Passwords,
) -> None:
    world = _world()
    await oauth.seed_demo_users(world)
    async with database.session() as session:
        web = await session.get(OAuthClient, WEB_CLIENT_ID)
    assert web is not None
    demo = DEMO_USERS[0]
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    query = (
        f"/oauth/authorize?response_type=code&client_id={WEB_CLIENT_ID}&scope=me:read"
        "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
    )
    async with flows.browser() as browser:
        answer = await flows.sign_in(browser, query, username=demo.username, password=demo.password)
    # The server seeds its demo clients to return to its own issuer URL.
    assert answer.headers["location"].startswith(f"{flows.issuer}/app/callback?code=")
    code = answer.headers["location"].split("code=")[1].split("&")[0]
    async with flows.browser() as client:
        token = await client.post(
            "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "code_verifier": verifier,
                "client_id": WEB_CLIENT_ID,
            },
        )
    claims = await oauth.verifier.verify(f"Bearer {token.json()['access_token']}", audience=WEB)
    assert claims.customer_id == world.customers[demo.customer_index].crm_id


async def test_passwords_are_rehashed_when_the_cost_changes(
    database: Database,
    passwords: Passwords,
) -> None:
    from gateway.oauth.models import OAuthUser
    from gateway.oauth.users import create_user

    async with database.session() as session:
        user = await create_user(session, "Grace", "pw-pw-pw", "Grace", None, passwords)
    assert user.username == "grace"
    stronger = Passwords(time_cost=2, memory_kib=128)
    async with database.session() as session:
        assert await authenticate_user(session, "GRACE ", "pw-pw-pw", stronger) is not None
    async with database.session() as session:
        stored = await session.get(OAuthUser, user.id)
    assert stored is not None and not stronger.needs_rehash(stored.password_hash)


async def test_purge_removes_only_what_can_never_be_used_again(
    oauth: OAuthServer,
    database: Database,
    flows: Flows,
    web_app: Any,
    user: Any,
    clock: Any,
) -> None:
    from sqlalchemy import func, select

    from gateway.oauth.models import AccessToken, RefreshToken, TokenFamily

    async def count(model: Any) -> int:
        async with database.session() as session:
            return (await session.execute(select(func.count()).select_from(model))).scalar_one()

    old = await flows.user_tokens(web_app)
    clock.advance(oauth.settings.refresh_token_ttl_seconds - 60)
    fresh = await flows.user_tokens(web_app)
    assert await count(TokenFamily) == 2
    clock.advance(oauth.settings.access_token_ttl_seconds + 120)

    assert await oauth.purge_expired() >= 3  # old family, its refresh and access token, ...
    assert await count(TokenFamily) == 1 and await count(RefreshToken) == 1
    assert await count(AccessToken) == 0  # both access tokens expired
    async with flows.public_client(web_app) as session:
        renewed = await session.refresh_token(flows.token_url, refresh_token=fresh["refresh_token"])
    assert renewed["access_token"]
    del old
