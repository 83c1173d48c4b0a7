"""A pending client (a self-service app waiting for an operator's approval) gets no token by
any grant, and the authorize page sends its users back with the reason."""

from __future__ import annotations

import secrets
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from sqlalchemy import update

from gateway.oauth import InvalidClientRegistration, create_client
from gateway.oauth.clients import ACTIVE, PENDING
from gateway.oauth.crypto import Passwords
from gateway.oauth.models import OAuthClient, OAuthUser
from strata.db import Database
from tests.gateway.oauth.conftest import WEB_REDIRECT, Flows

WAITS = "waits for an operator's approval"


async def _set_status(database: Database, client_id: str, status: str) -> None:
    async with database.session() as session:
        await session.execute(
            update(OAuthClient).where(OAuthClient.id == client_id).values(status=status)
        )


def _assert_refused(answer: httpx.Response) -> None:
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "unauthorized_client"
    assert WAITS in answer.json()["error_description"]


async def test_client_credentials_are_refused_until_approved(
    http: httpx.AsyncClient, database: Database, passwords: Passwords
) -> None:
    client, secret = await create_client(
        database, "Robot", "crm:write", passwords=passwords, status=PENDING
    )
    assert secret is not None and client.status == PENDING
    form = {"grant_type": "client_credentials"}
    _assert_refused(await http.post("/oauth/token", data=form, auth=(client.id, secret)))

    await _set_status(database, client.id, ACTIVE)
    issued = await http.post("/oauth/token", data=form, auth=(client.id, secret))
    assert issued.status_code == 200, issued.text


async def test_codes_and_refresh_tokens_are_refused_while_pending(
    flows: Flows,
    http: httpx.AsyncClient,
    database: Database,
    web_app: OAuthClient,
    user: OAuthUser,
) -> None:
    tokens = await flows.user_tokens(web_app)
    code, verifier, _location = await flows.authorization_code(web_app)
    await _set_status(database, web_app.id, PENDING)

    refresh = await http.post(
        "/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": web_app.id,
        },
    )
    _assert_refused(refresh)
    exchange = await http.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": verifier,
            "redirect_uri": WEB_REDIRECT,
            "client_id": web_app.id,
        },
    )
    _assert_refused(exchange)


async def test_the_authorize_page_sends_users_back_with_the_reason(
    flows: Flows, database: Database, web_app: OAuthClient
) -> None:
    await _set_status(database, web_app.id, PENDING)
    async with flows.public_client(web_app) as session:
        url, state = session.create_authorization_url(
            flows.authorize_url, code_verifier=secrets.token_urlsafe(36)
        )
    async with flows.browser() as browser:
        answer = await browser.get(url)
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert location.startswith(WEB_REDIRECT + "?")
    returned = dict(parse_qsl(urlsplit(location).query))
    assert returned["error"] == "unauthorized_client" and returned["state"] == state
    assert WAITS in returned["error_description"]


async def test_a_status_is_active_or_pending(database: Database, passwords: Passwords) -> None:
    with pytest.raises(InvalidClientRegistration) as caught:
        await create_client(database, "x", "crm:read", passwords=passwords, status="approved")
    assert caught.value.extensions["errors"][0]["field"] == "status"
