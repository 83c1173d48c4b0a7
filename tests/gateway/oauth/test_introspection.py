"""Introspection (RFC 7662) answers a client only about the tokens issued to itself; a resource
server registered with ``tokens:introspect`` learns about every client's. Any other token is
``{"active": false}``, exactly what an unknown token gets."""

from __future__ import annotations

import secrets
from typing import Any

import httpx

from gateway.oauth import create_client
from gateway.oauth.clients import PENDING
from gateway.oauth.crypto import Passwords
from gateway.oauth.models import OAuthClient, OAuthUser
from strata.db import Database
from tests.gateway.oauth.conftest import WEB_REDIRECT, Flows, Registered

INACTIVE = {"active": False}


async def _register(
    database: Database, passwords: Passwords, scopes: str, **options: Any
) -> Registered:
    client, secret = await create_client(
        database, "Orders API", scopes, passwords=passwords, **options
    )
    assert secret is not None
    return Registered(client, secret)


async def introspect(
    flows: Flows, registered: Registered, token: str, hint: str | None = None
) -> httpx.Response:
    data = {"token": token}
    if hint:
        data["token_type_hint"] = hint
    async with flows.browser() as http:
        answer = await http.post(
            f"{flows.issuer}/oauth/introspect", data=data, auth=(registered.id, registered.secret)
        )
    assert answer.status_code == 200, answer.text
    return answer


async def test_another_clients_tokens_look_unknown(
    flows: Flows,
    partner: Registered,
    admin_client: Registered,
    web_app: OAuthClient,
    user: OAuthUser,
) -> None:
    user_tokens = await flows.user_tokens(web_app)
    others = await flows.client_credentials(admin_client)
    for token, hint in (
        (user_tokens["access_token"], None),
        (user_tokens["refresh_token"], "refresh_token"),
        (user_tokens["refresh_token"], None),
        (others["access_token"], None),
    ):
        answer = await introspect(flows, partner, token, hint)
        assert answer.json() == INACTIVE, answer.text
        assert user.username not in answer.text
    for unknown in ("a.b.c", "nonsense", secrets.token_urlsafe(32)):
        assert (await introspect(flows, partner, unknown)).json() == INACTIVE


async def test_a_client_introspects_its_own_access_token(flows: Flows, partner: Registered) -> None:
    token = await flows.client_credentials(partner)
    body = (await introspect(flows, partner, token["access_token"])).json()
    assert body["active"] is True and body["client_id"] == partner.id
    assert body["sub"] == partner.id


async def test_a_client_introspects_its_own_refresh_token(
    flows: Flows, database: Database, passwords: Passwords, user: OAuthUser
) -> None:
    # A confidential client that signs people in: its refresh tokens are its own.
    own = await _register(database, passwords, "me:read", redirect_uris=[WEB_REDIRECT])
    verifier = secrets.token_urlsafe(36)
    async with flows.client(
        client_id=own.id,
        client_secret=own.secret,
        redirect_uri=WEB_REDIRECT,
        code_challenge_method="S256",
    ) as session:
        url, state = session.create_authorization_url(flows.authorize_url, code_verifier=verifier)
        async with flows.browser() as browser:
            answer = await flows.sign_in(browser, url)
        token = await session.fetch_token(
            flows.token_url,
            authorization_response=answer.headers["location"],
            code_verifier=verifier,
            state=state,
        )
    body = (await introspect(flows, own, token["refresh_token"], "refresh_token")).json()
    assert body["active"] is True and body["token_type"] == "refresh_token"
    assert body["client_id"] == own.id and body["username"] == user.username


async def test_a_resource_server_sees_every_clients_tokens(
    flows: Flows,
    resource_server: Registered,
    partner: Registered,
    web_app: OAuthClient,
    user: OAuthUser,
) -> None:
    user_tokens = await flows.user_tokens(web_app)
    access = (await introspect(flows, resource_server, user_tokens["access_token"])).json()
    assert access["active"] is True and access["client_id"] == web_app.id
    assert access["sub"] == user.id
    refresh = await introspect(
        flows, resource_server, user_tokens["refresh_token"], "refresh_token"
    )
    assert refresh.json()["active"] is True and refresh.json()["username"] == user.username
    partners = await flows.client_credentials(partner)
    seen = (await introspect(flows, resource_server, partners["access_token"])).json()
    assert seen["active"] is True and seen["client_id"] == partner.id


async def test_a_pending_resource_server_sees_only_its_own(
    flows: Flows,
    database: Database,
    passwords: Passwords,
    partner: Registered,
) -> None:
    # Approval is what makes tokens:introspect count, not the registration alone.
    waiting = await _register(database, passwords, "tokens:introspect", status=PENDING)
    token = await flows.client_credentials(partner)
    assert (await introspect(flows, waiting, token["access_token"])).json() == INACTIVE
