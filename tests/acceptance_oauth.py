"""The OAuth2 flows against an assembled Strata in this process, with authlib's own client
for the protocol and a cookie-keeping httpx client as the user's browser."""

from __future__ import annotations

import re
import warnings
from typing import Any

import httpx

from strata.app import Strata
from strata.http import in_process
from tests.acceptance_support import ClientApp

with warnings.catch_warnings():
    # authlib warns that plain httpx (rather than httpx2) is deprecated; httpx is what we use.
    warnings.simplefilter("ignore")
    from authlib.integrations.httpx_client import AsyncOAuth2Client

ISSUER = "https://strata.test"
TOKEN_URL = f"{ISSUER}/oauth/token"
AUTHORIZE_URL = f"{ISSUER}/oauth/authorize"
REVOKE_URL = f"{ISSUER}/oauth/revoke"
INTROSPECT_URL = f"{ISSUER}/oauth/introspect"
WEB_CLIENT_ID = "strata-web"  # seeded with the demo data
WEB_REDIRECT_URI = f"{ISSUER}/app/callback"
LOGIN_FORM_ID = re.compile(r'name="request_id" value="([^"]+)"')


def login_request_id(page: str) -> str:
    """The one-time id the sign-in form carries."""
    found = LOGIN_FORM_ID.search(page)
    assert found, page
    return found.group(1)


class InProcess:
    """Clients of one assembled Strata, all calling ``strata.asgi`` in this process."""

    def __init__(self, strata: Strata) -> None:
        self.strata = strata

    def oauth_client(self, **kwargs: Any) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(transport=in_process(self.strata.asgi), base_url=ISSUER, **kwargs)

    def web_app(self, scope: str) -> AsyncOAuth2Client:
        """The demo web app: a public client with PKCE and no secret."""
        return self.oauth_client(
            client_id=WEB_CLIENT_ID,
            token_endpoint_auth_method="none",
            revocation_endpoint_auth_method="none",
            redirect_uri=WEB_REDIRECT_URI,
            code_challenge_method="S256",
            scope=scope,
        )

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=in_process(self.strata.asgi), base_url=ISSUER)

    async def confidential(self, scopes: str) -> ClientApp:
        """A confidential client (a partner's server), made as the admin API makes one."""
        client, secret = await self.strata.gateway.oauth.create_client("acceptance", scopes)
        assert secret is not None
        return ClientApp(client.id, secret)

    async def introspect(self, by: ClientApp, token: str) -> dict[str, Any]:
        async with self.oauth_client(
            client_id=by.client_id, client_secret=by.client_secret
        ) as session:
            answer = await session.introspect_token(INTROSPECT_URL, token=token)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    async def sign_in(self, authorization_url: str, username: str, password: str) -> str:
        """The user's browser: opens the sign-in page, submits it, returns where it was sent."""
        async with self.http() as browser:
            page = await browser.get(authorization_url)
            assert page.status_code == 200, page.text
            answer = await browser.post(
                AUTHORIZE_URL,
                data={
                    "request_id": login_request_id(page.text),
                    "username": username,
                    "password": password,
                    "decision": "allow",
                },
            )
        assert answer.status_code == 303, answer.text
        return answer.headers["location"]
