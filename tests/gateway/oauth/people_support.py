"""Signing people in through any public client, the way its app does: authorization code
with PKCE S256 and a state, the sign-in form, then the code traded for tokens."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from gateway.oauth.crypto import Passwords
from gateway.oauth.models import OAuthUser
from gateway.oauth.users import create_user
from strata.db import Database

Flows = Any


@dataclass(frozen=True)
class Returned:
    """Where the authorization endpoint sent the browser back, and what it said."""

    params: dict[str, str]
    verifier: str
    state: str

    @property
    def code(self) -> str:
        return self.params["code"]


def claims_of(access_token: str) -> dict[str, Any]:
    """The JWT's claims, read without checking it (what it says is under test here)."""
    payload = access_token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


async def authorize(
    flows: Flows,
    client_id: str,
    redirect_uri: str,
    scope: str,
    username: str,
    password: str,
) -> Returned:
    """Opens the sign-in page for ``client_id`` and signs in; returns the redirect's query."""
    verifier, state = secrets.token_urlsafe(48), secrets.token_urlsafe(12)
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": state,
        "code_challenge": s256(verifier),
        "code_challenge_method": "S256",
    }
    async with flows.browser() as browser:
        page = await browser.get("/oauth/authorize", params=params)
        assert page.status_code == 200, page.text
        answer = await flows.submit(browser, flows.request_id(page), username, password)
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert location.startswith(redirect_uri + "?"), location
    returned = dict(parse_qsl(urlsplit(location).query))
    assert returned["state"] == state
    return Returned(returned, verifier, state)


async def exchange(
    flows: Flows, client_id: str, redirect_uri: str, returned: Returned
) -> httpx.Response:
    async with flows.browser() as http:
        return await http.post(
            "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": returned.code,
                "redirect_uri": redirect_uri,
                "client_id": client_id,
                "code_verifier": returned.verifier,
            },
        )


async def sign_in(
    flows: Flows,
    client_id: str,
    redirect_uri: str,
    scope: str,
    username: str,
    password: str,
) -> dict[str, Any]:
    """The whole flow; returns the token response (asserting it succeeded)."""
    returned = await authorize(flows, client_id, redirect_uri, scope, username, password)
    assert "code" in returned.params, returned.params
    answer = await exchange(flows, client_id, redirect_uri, returned)
    assert answer.status_code == 200, answer.text
    token: dict[str, Any] = answer.json()
    return token


async def refresh(flows: Flows, client_id: str, refresh_token: str) -> httpx.Response:
    async with flows.browser() as http:
        return await http.post(
            "/oauth/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": client_id,
            },
        )


async def make_person(
    database: Database,
    passwords: Passwords,
    username: str,
    roles: tuple[str, ...],
    customer_id: str | None = None,
) -> OAuthUser:
    async with database.session() as session:
        return await create_user(
            session,
            username,
            f"{username}-test-password",
            username.title(),
            customer_id,
            passwords,
            roles=roles,
        )
