"""Fixtures: the assembled Strata in this process (every layer behind the gateway, demo data
seeded), and a helper that signs a developer in to the portal the way its page does:
authorization code with PKCE S256, state checked, over HTTP. The demo developer ``devi`` is
seeded; ``vera``, a second developer, is made here."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from gateway.oauth.roles import DEVELOPER
from gateway.oauth.users import PORTAL_CLIENT_ID, PORTAL_SCOPES, create_user
from strata.app import Strata, create_strata
from strata.db import Database
from strata.http import in_process
from strata.settings import load_settings

ISSUER = "https://strata.test"
PORTAL_REDIRECT_URI = f"{ISSUER}/portal/callback"
DEVI = ("devi", "devi-demo-password")  # the demo developer
VERA = ("vera", "vera-test-password")
LOGIN_FORM_ID = re.compile(r'name="request_id" value="([^"]+)"')


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Portal:
    """The assembled app, called in process as a browser and as a client app would."""

    def __init__(self, strata: Strata) -> None:
        self.strata = strata

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=in_process(self.strata.asgi), base_url=ISSUER)

    async def sign_in(self, username: str, password: str, scope: str = PORTAL_SCOPES) -> str:
        """What the portal page does: PKCE S256 with a state, the sign-in form, the callback
        (state and issuer checked), then the code traded for a token. Returns the token."""
        verifier, state = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
        async with self.http() as browser:
            page = await browser.get(
                "/oauth/authorize",
                params={
                    "response_type": "code",
                    "client_id": PORTAL_CLIENT_ID,
                    "redirect_uri": PORTAL_REDIRECT_URI,
                    "scope": scope,
                    "state": state,
                    "code_challenge": s256(verifier),
                    "code_challenge_method": "S256",
                },
            )
            assert page.status_code == 200, page.text
            found = LOGIN_FORM_ID.search(page.text)
            assert found, page.text
            answer = await browser.post(
                "/oauth/authorize",
                data={
                    "request_id": found.group(1),
                    "username": username,
                    "password": password,
                    "decision": "allow",
                },
            )
            assert answer.status_code == 303, answer.text
            location = answer.headers["location"]
            assert location.startswith(PORTAL_REDIRECT_URI + "?")
            returned = dict(parse_qsl(urlsplit(location).query))
            assert returned["state"] == state and returned["iss"] == ISSUER
            issued = await browser.post(
                "/oauth/token",
                data={
                    "grant_type": "authorization_code",
                    "code": returned["code"],
                    "redirect_uri": PORTAL_REDIRECT_URI,
                    "client_id": PORTAL_CLIENT_ID,
                    "code_verifier": verifier,
                },
            )
        assert issued.status_code == 200, issued.text
        assert set(issued.json()["scope"].split()) == set(scope.split())
        token: str = issued.json()["access_token"]
        return token

    async def client_token(self, client_id: str, secret: str, scope: str | None = None) -> str:
        """A client-credentials token for an app's own credentials."""
        data = {"grant_type": "client_credentials"}
        if scope:
            data["scope"] = scope
        async with self.http() as http:
            issued = await http.post("/oauth/token", data=data, auth=(client_id, secret))
        assert issued.status_code == 200, issued.text
        token: str = issued.json()["access_token"]
        return token

    async def create_app(self, token: str, **body: Any) -> dict[str, Any]:
        async with self.http() as http:
            created = await http.post("/portal/api/apps", json=body, headers=bearer(token))
        assert created.status_code == 201, created.text
        answer: dict[str, Any] = created.json()
        return answer

    async def admin_token(self) -> str:
        """A client-credentials token with the admin scope, as an operator's script has."""
        client, secret = await self.strata.gateway.oauth.create_client("operator", "admin")
        assert secret is not None
        return await self.client_token(client.id, secret, "admin")

    async def token_answer(self, client_id: str, secret: str) -> httpx.Response:
        """The token endpoint's answer to a client-credentials request."""
        async with self.http() as http:
            return await http.post(
                "/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(client_id, secret),
            )

    async def app_ids(self, token: str) -> list[str]:
        async with self.http() as http:
            listed = await http.get("/portal/api/apps", headers=bearer(token))
        assert listed.status_code == 200, listed.text
        return [item["client_id"] for item in listed.json()["items"]]


@pytest.fixture
async def portal(database: Database) -> AsyncIterator[Portal]:
    """Every layer behind the gateway, started on the test database with the demo data."""
    settings = load_settings(
        redis_url=None,
        seed_demo_data=True,
        oauth={
            "issuer": ISSUER,
            "secret_key": "portal-tests-key-long-enough-x-x-x-x-x-x-x-x",
            "password_hash_time_cost": 1,
            "password_hash_memory_kib": 64,
        },
    )
    strata = create_strata(settings, database)
    await strata.start()
    try:
        yield Portal(strata)
    finally:
        await strata.stop()


@pytest.fixture
async def devi(portal: Portal) -> str:
    """Devi's portal token (apps:read apps:write)."""
    return await portal.sign_in(*DEVI)


@pytest.fixture
async def vera(portal: Portal) -> str:
    """The portal token of a second developer."""
    oauth = portal.strata.gateway.oauth
    async with oauth.database.session() as session:
        await create_user(session, *VERA, "Vera Tester", None, oauth.passwords, roles=(DEVELOPER,))
    return await portal.sign_in(*VERA)
