"""The API docs' client may ask for the scopes of APIs registered after it was made."""

import asyncio
import importlib
from typing import Any

from gateway.oauth.clients import mark_deleted
from gateway.oauth.crypto import Passwords
from gateway.oauth.models import OAuthClient
from gateway.oauth.users import DOCS_CLIENT_ID, grant_docs_scopes, seed_demo_users
from strata.db import Database


def _world() -> Any:
    # The CRM backend package imports the demo world; importing it first keeps the order sane.
    importlib.import_module("system_apis.backends.crm")
    return importlib.import_module("system_apis.demo").build_world()


async def _docs_scopes(database: Database) -> list[str]:
    async with database.session() as session:
        docs = await session.get(OAuthClient, DOCS_CLIENT_ID)
    assert docs is not None
    return list(docs.scope_list)


async def test_new_scopes_are_added_once_and_admin_never(
    database: Database, passwords: Passwords
) -> None:
    await seed_demo_users(database, _world(), passwords)
    before = await _docs_scopes(database)

    await grant_docs_scopes(database, ["billing:read", "admin", "billing:write", "billing:read"])
    await grant_docs_scopes(database, ["billing:read", "crm:read"])

    after = await _docs_scopes(database)
    assert after == [*before, "billing:read", "billing:write"]


async def test_processes_granting_the_same_scope_at_once_add_it_once(
    database: Database, passwords: Passwords
) -> None:
    await seed_demo_users(database, _world(), passwords)
    others = [Database(database.url) for _ in range(3)]
    try:
        await asyncio.gather(*(grant_docs_scopes(other, ["parcels:read"]) for other in others))
    finally:
        for other in others:
            await other.dispose()

    assert (await _docs_scopes(database)).count("parcels:read") == 1


async def test_a_scope_is_matched_exactly_not_as_a_pattern(
    database: Database, passwords: Passwords
) -> None:
    await seed_demo_users(database, _world(), passwords)
    # "_" and "%" are LIKE wildcards: "crm_read" must not be taken for "crm:read".
    await grant_docs_scopes(database, ["crm_read"])

    assert "crm_read" in await _docs_scopes(database)


async def test_a_deleted_docs_client_stays_as_it_was(
    database: Database, passwords: Passwords
) -> None:
    await seed_demo_users(database, _world(), passwords)
    async with database.session() as session:
        await mark_deleted(session, DOCS_CLIENT_ID)
    before = await _docs_scopes(database)

    await grant_docs_scopes(database, ["billing:read"])

    assert await _docs_scopes(database) == before


async def test_without_a_docs_client_nothing_happens(database: Database) -> None:
    await grant_docs_scopes(database, ["billing:read"])

    async with database.session() as session:
        assert await session.get(OAuthClient, DOCS_CLIENT_ID) is None
