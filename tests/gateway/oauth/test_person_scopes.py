"""A person's token carries only what the client may ask for AND the person's roles entitle
them to: narrowed at sign-in (the code stores the narrowed scope), at the code exchange and at
every refresh, by the roles the person holds at that moment."""

from __future__ import annotations

import importlib
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy import select, update

from gateway.oauth import OAuthServer
from gateway.oauth.clients import create_client
from gateway.oauth.crypto import Passwords
from gateway.oauth.models import AuthorizationCode, OAuthClient, OAuthUser
from gateway.oauth.roles import CUSTOMER, DEVELOPER, OPERATOR
from gateway.oauth.users import (
    CLI_CLIENT_ID,
    DOCS_CLIENT_ID,
    DOCS_REDIRECT_PATH,
    MOBILE_CLIENT_ID,
    MOBILE_REDIRECT_URIS,
    PORTAL_CLIENT_ID,
    PORTAL_REDIRECT_PATH,
    WEB_CLIENT_ID,
    WEB_REDIRECT_PATH,
)
from strata.db import Database
from tests.gateway.oauth.conftest import ISSUER, Flows
from tests.gateway.oauth.people_support import (
    authorize,
    claims_of,
    exchange,
    make_person,
    refresh,
    s256,
    sign_in,
)

DANA = ("dana", "dana-demo-password")
DEVI = ("devi", "devi-demo-password")
OTTO = ("otto", "otto-demo-password")
BACK_OFFICE = "crm:read crm:write orders:read orders:write"
SEEDED = {
    WEB_CLIENT_ID: ISSUER + WEB_REDIRECT_PATH,
    MOBILE_CLIENT_ID: MOBILE_REDIRECT_URIS[0],
    CLI_CLIENT_ID: "http://127.0.0.1:49152/callback",  # any loopback port (RFC 8252 7.3)
    DOCS_CLIENT_ID: ISSUER + DOCS_REDIRECT_PATH,
    PORTAL_CLIENT_ID: ISSUER + PORTAL_REDIRECT_PATH,
}
APP_REDIRECT = "https://apps.example/callback"


def _world() -> Any:
    # The CRM backend package imports the demo world; importing it first keeps the order sane.
    importlib.import_module("system_apis.backends.crm")
    return importlib.import_module("system_apis.demo").build_world()


@pytest.fixture
async def seeded(oauth: OAuthServer) -> OAuthServer:
    """The demo people (dana, eli, fran customers; devi developer; otto operator) and the
    seeded public clients."""
    await oauth.seed_demo_users(_world())
    return oauth


async def _scopes_of(database: Database, client_id: str) -> str:
    async with database.session() as session:
        client = await session.get(OAuthClient, client_id)
    assert client is not None
    return client.scopes


async def _refusal(
    flows: Flows, client_id: str, redirect_uri: str, scope: str, who: tuple[str, str]
) -> dict[str, str]:
    """What the app hears back when it gets no code: refused before the sign-in form (the
    client may not ask) or after it (the person is not entitled)."""
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": "st",
        "code_challenge": s256("v" * 43),
        "code_challenge_method": "S256",
    }
    async with flows.browser() as browser:
        answer = await browser.get("/oauth/authorize", params=params)
        if answer.status_code == 200:
            answer = await flows.submit(browser, flows.request_id(answer), *who)
    assert answer.status_code == 303, answer.text
    returned = dict(parse_qsl(urlsplit(answer.headers["location"]).query))
    assert "code" not in returned and returned["state"] == "st"
    return returned


@pytest.mark.parametrize("client_id", sorted(SEEDED))
async def test_a_customer_never_gets_a_back_office_scope_through_a_seeded_client(
    seeded: OAuthServer, database: Database, flows: Flows, client_id: str
) -> None:
    everything = await _scopes_of(database, client_id)
    redirect_uri = SEEDED[client_id]

    if client_id == PORTAL_CLIENT_ID:
        refused = await _refusal(flows, client_id, redirect_uri, everything, DANA)
        assert refused["error"] == "invalid_scope"
        return
    token = await sign_in(flows, client_id, redirect_uri, everything, *DANA)

    granted = set(token["scope"].split())
    assert granted == {"me:read", "me:write"}
    assert not any(seeded.vocabulary.is_back_office(scope) for scope in granted)
    assert set(claims_of(token["access_token"])["scope"].split()) == granted


@pytest.mark.parametrize("client_id", sorted(SEEDED))
async def test_a_customer_asking_only_for_back_office_scopes_gets_invalid_scope(
    seeded: OAuthServer, database: Database, flows: Flows, client_id: str
) -> None:
    held = (await _scopes_of(database, client_id)).split()
    back_office = [scope for scope in held if seeded.vocabulary.is_back_office(scope)]
    asked = " ".join(back_office) or "inventory:read availability:read"

    refused = await _refusal(flows, client_id, SEEDED[client_id], asked, DANA)

    assert refused["error"] == "invalid_scope"
    assert refused["iss"] == ISSUER


async def test_the_refusal_after_sign_in_says_why_and_uses_up_the_request(
    seeded: OAuthServer, flows: Flows
) -> None:
    params = {
        "response_type": "code",
        "client_id": DOCS_CLIENT_ID,
        "redirect_uri": SEEDED[DOCS_CLIENT_ID],
        "scope": BACK_OFFICE,
        "code_challenge": s256("v" * 43),
        "code_challenge_method": "S256",
    }
    async with flows.browser() as browser:
        request_id = flows.request_id(await browser.get("/oauth/authorize", params=params))
        refused = await flows.submit(browser, request_id, *DANA)
        again = await flows.submit(browser, request_id, *DANA)

    returned = dict(parse_qsl(urlsplit(refused.headers["location"]).query))
    assert returned["error"] == "invalid_scope" and "code" not in returned
    description = returned["error_description"]
    assert "customer" in description and "crm:read" in description
    assert again.status_code == 400 and "expired or was already used" in again.text


async def test_a_customer_app_seeded_before_gets_no_catalog_scope_for_a_customer(
    oauth: OAuthServer, database: Database, flows: Flows, passwords: Passwords
) -> None:
    # Databases seeded earlier hold web and mobile clients that may ask for these.
    old_web, _ = await create_client(
        database,
        "Web app, seeded before",
        "me:read me:write inventory:read availability:read",
        redirect_uris=[APP_REDIRECT],
        public=True,
        passwords=passwords,
    )
    dana = await make_person(database, passwords, "dana", (CUSTOMER,), "001C")

    token = await sign_in(
        flows, old_web.id, APP_REDIRECT, old_web.scopes, dana.username, "dana-test-password"
    )
    refused = await _refusal(
        flows,
        old_web.id,
        APP_REDIRECT,
        "inventory:read availability:read",
        (dana.username, "dana-test-password"),
    )

    assert token["scope"] == "me:read me:write"
    assert refused["error"] == "invalid_scope"


async def test_a_developers_app_gives_a_customer_only_the_experience_scopes(
    seeded: OAuthServer, database: Database, flows: Flows, passwords: Passwords
) -> None:
    async with database.session() as session:
        devi = await session.get(OAuthUser, "u_demo_0004")
    assert devi is not None and devi.username == "devi"
    app, _ = await create_client(
        database,
        "Devi's shop",
        "me:read crm:read orders:read orders:write",
        redirect_uris=[APP_REDIRECT],
        public=True,
        passwords=passwords,
        vocabulary=seeded.vocabulary,
        owner_user_id=devi.id,
    )

    token = await sign_in(flows, app.id, APP_REDIRECT, app.scopes, *DANA)
    refused = await _refusal(flows, app.id, APP_REDIRECT, "crm:read orders:write", DANA)

    assert token["scope"] == "me:read"
    assert refused["error"] == "invalid_scope"


async def test_an_operator_gets_the_back_office_scopes_through_the_docs(
    seeded: OAuthServer, database: Database, flows: Flows
) -> None:
    redirect_uri = SEEDED[DOCS_CLIENT_ID]
    asked = await sign_in(flows, DOCS_CLIENT_ID, redirect_uri, BACK_OFFICE, *OTTO)
    everything = await _scopes_of(database, DOCS_CLIENT_ID)
    all_of_them = await sign_in(flows, DOCS_CLIENT_ID, redirect_uri, everything, *OTTO)

    assert asked["scope"] == BACK_OFFICE
    back_office = [s for s in everything.split() if seeded.vocabulary.is_back_office(s)]
    assert all_of_them["scope"].split() == back_office
    claims = claims_of(asked["access_token"])
    assert claims["scope"] == BACK_OFFICE and "customer_id" not in claims


async def test_the_developer_signs_in_to_the_portal_and_a_customer_cannot(
    seeded: OAuthServer, flows: Flows
) -> None:
    redirect_uri = SEEDED[PORTAL_CLIENT_ID]
    devi = await sign_in(flows, PORTAL_CLIENT_ID, redirect_uri, "apps:read apps:write", *DEVI)
    dana = await authorize(flows, PORTAL_CLIENT_ID, redirect_uri, "apps:read apps:write", *DANA)

    assert devi["scope"] == "apps:read apps:write"
    assert dana.params["error"] == "invalid_scope"
    assert "code" not in dana.params


async def _set_roles_in_place(database: Database, user_id: str, roles: str) -> None:
    """Changes roles without revoking anything, as an older gateway or a hand-made change
    would: only the narrowing at the token endpoint stands in the way."""
    async with database.session() as session:
        await session.execute(update(OAuthUser).where(OAuthUser.id == user_id).values(roles=roles))


async def test_each_refresh_narrows_by_the_roles_held_now(
    oauth: OAuthServer, database: Database, flows: Flows, passwords: Passwords
) -> None:
    await oauth.seed_demo_users(_world())
    both = await make_person(database, passwords, "cora", (DEVELOPER, OPERATOR))
    redirect_uri = SEEDED[DOCS_CLIENT_ID]
    first = await sign_in(
        flows, DOCS_CLIENT_ID, redirect_uri, "apps:read crm:read", "cora", "cora-test-password"
    )
    assert first["scope"] == "apps:read crm:read"

    await _set_roles_in_place(database, both.id, DEVELOPER)
    narrowed = await refresh(flows, DOCS_CLIENT_ID, first["refresh_token"])
    await _set_roles_in_place(database, both.id, "")
    nothing_left = await refresh(flows, DOCS_CLIENT_ID, narrowed.json()["refresh_token"])

    assert narrowed.status_code == 200, narrowed.text
    assert narrowed.json()["scope"] == "apps:read"
    assert claims_of(narrowed.json()["access_token"])["scope"] == "apps:read"
    assert nothing_left.status_code == 400
    assert nothing_left.json()["error"] == "invalid_scope"


async def test_the_code_stores_the_narrowed_scope_and_the_exchange_narrows_again(
    seeded: OAuthServer, database: Database, flows: Flows, passwords: Passwords
) -> None:
    both = await make_person(database, passwords, "cora", (DEVELOPER, OPERATOR))
    redirect_uri = SEEDED[DOCS_CLIENT_ID]
    returned = await authorize(
        flows,
        DOCS_CLIENT_ID,
        redirect_uri,
        "me:read apps:read crm:read",
        "cora",
        "cora-test-password",
    )
    async with database.session() as session:
        stored = (await session.execute(AuthorizationCode.__table__.select())).one()
    assert stored.scope == "apps:read crm:read"

    await _set_roles_in_place(database, both.id, DEVELOPER)
    answer = await exchange(flows, DOCS_CLIENT_ID, redirect_uri, returned)

    assert answer.status_code == 200, answer.text
    assert answer.json()["scope"] == "apps:read"


async def test_a_customer_who_is_also_an_operator_gets_no_back_office_scope(
    seeded: OAuthServer, database: Database, flows: Flows
) -> None:
    async with database.session() as session:
        dana = (
            await session.execute(select(OAuthUser).where(OAuthUser.username == "dana"))
        ).scalar_one()
        dana.roles = "customer operator"
        otto = (
            await session.execute(select(OAuthUser).where(OAuthUser.username == "otto"))
        ).scalar_one()
        otto.customer_id = dana.customer_id  # an operator linked to a customer is one too
    redirect_uri = SEEDED[DOCS_CLIENT_ID]

    for who in (DANA, OTTO):
        refused = await _refusal(flows, DOCS_CLIENT_ID, redirect_uri, BACK_OFFICE, who)
        assert refused["error"] == "invalid_scope"
