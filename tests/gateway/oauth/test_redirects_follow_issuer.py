"""The apps the gateway serves (web app, API docs, portal) return to the issuer: at each start
their redirect URIs are brought to its origin, whatever address the clients were seeded on."""

import importlib
from typing import Any

from gateway.oauth import build_oauth
from gateway.oauth.crypto import Passwords
from gateway.oauth.models import OAuthClient
from gateway.oauth.users import (
    CLI_CLIENT_ID,
    CLI_REDIRECT_URIS,
    DOCS_CLIENT_ID,
    MOBILE_CLIENT_ID,
    MOBILE_REDIRECT_URIS,
    PORTAL_CLIENT_ID,
    WEB_CLIENT_ID,
    follow_issuer,
    seed_demo_users,
)
from strata.db import Database, utcnow
from tests.gateway.oauth.conftest import oauth_settings

OLD = "http://127.0.0.1:8000"
NEW = "http://127.0.0.1:8123"


def _world() -> Any:
    importlib.import_module("system_apis.backends.crm")
    return importlib.import_module("system_apis.demo").build_world()


async def _redirect_uris(database: Database) -> dict[str, list[str]]:
    async with database.session() as session:
        clients = {
            client_id: await session.get(OAuthClient, client_id)
            for client_id in (
                WEB_CLIENT_ID,
                DOCS_CLIENT_ID,
                PORTAL_CLIENT_ID,
                MOBILE_CLIENT_ID,
                CLI_CLIENT_ID,
            )
        }
    return {key: client.redirect_uris for key, client in clients.items() if client is not None}


async def _seeded(database: Database, passwords: Passwords) -> None:
    await seed_demo_users(database, _world(), passwords, base_url=OLD)


async def test_the_served_apps_move_to_a_new_issuer_and_the_others_stay(
    database: Database, passwords: Passwords
) -> None:
    await _seeded(database, passwords)

    moved = await follow_issuer(database, NEW + "/")

    assert sorted(moved) == sorted([WEB_CLIENT_ID, DOCS_CLIENT_ID, PORTAL_CLIENT_ID])
    uris = await _redirect_uris(database)
    assert uris[WEB_CLIENT_ID] == [f"{NEW}/app/callback"]
    assert uris[DOCS_CLIENT_ID] == [f"{NEW}/apis/_assets/oauth2-redirect.html"]
    assert uris[PORTAL_CLIENT_ID] == [f"{NEW}/portal/callback"]
    assert uris[MOBILE_CLIENT_ID] == list(MOBILE_REDIRECT_URIS)
    assert uris[CLI_CLIENT_ID] == list(CLI_REDIRECT_URIS)


async def test_following_the_same_issuer_again_changes_nothing(
    database: Database, passwords: Passwords
) -> None:
    await _seeded(database, passwords)
    assert await follow_issuer(database, OLD) == []
    await follow_issuer(database, NEW)
    before = await _redirect_uris(database)

    assert await follow_issuer(database, NEW) == []
    assert await _redirect_uris(database) == before


async def test_a_deleted_client_stays_deleted_and_unchanged(
    database: Database, passwords: Passwords
) -> None:
    await _seeded(database, passwords)
    async with database.session() as session:
        web = await session.get(OAuthClient, WEB_CLIENT_ID)
        assert web is not None
        web.deleted_at = utcnow()

    moved = await follow_issuer(database, NEW)

    assert WEB_CLIENT_ID not in moved
    async with database.session() as session:
        web = await session.get(OAuthClient, WEB_CLIENT_ID)
    assert web is not None and web.deleted_at is not None
    assert web.redirect_uris == [f"{OLD}/app/callback"]


async def test_an_operators_own_redirect_uri_is_kept(
    database: Database, passwords: Passwords
) -> None:
    await _seeded(database, passwords)
    extra = "https://shop.example.com/storefront/return"
    async with database.session() as session:
        web = await session.get(OAuthClient, WEB_CLIENT_ID)
        assert web is not None
        web.redirect_uris = [f"{OLD}/app/callback", extra]

    await follow_issuer(database, NEW)

    assert (await _redirect_uris(database))[WEB_CLIENT_ID] == [f"{NEW}/app/callback", extra]


async def test_a_client_that_is_not_first_party_is_left_alone(
    database: Database, passwords: Passwords
) -> None:
    await _seeded(database, passwords)
    async with database.session() as session:
        portal = await session.get(OAuthClient, PORTAL_CLIENT_ID)
        assert portal is not None
        portal.first_party = False

    assert PORTAL_CLIENT_ID not in await follow_issuer(database, NEW)
    assert (await _redirect_uris(database))[PORTAL_CLIENT_ID] == [f"{OLD}/portal/callback"]


async def test_the_authorization_servers_start_brings_them_to_its_issuer(
    database: Database, passwords: Passwords, clock: Any
) -> None:
    await _seeded(database, passwords)
    server = build_oauth(database, oauth_settings(issuer=NEW), clock=clock)

    await server.start(background=False)
    try:
        assert (await _redirect_uris(database))[WEB_CLIENT_ID] == [f"{NEW}/app/callback"]
    finally:
        await server.stop()
