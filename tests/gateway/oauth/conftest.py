"""Fixtures: an authorization server on the test database, an app that includes it, clients,
a user, and authlib's own OAuth2 client talking to the app in process."""

import re
import time
import warnings
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from fastapi import Depends, FastAPI

from gateway.oauth import (
    Claims,
    OAuthServer,
    OAuthSettings,
    attach_verifier,
    build_oauth,
    create_client,
    require_scopes,
)
from gateway.oauth.crypto import Passwords
from gateway.oauth.models import OAuthClient, OAuthUser
from gateway.oauth.users import create_user
from gateway.routes import ApiRoute
from strata.db import Database
from strata.errors import install_problem_handlers
from strata.http import in_process

with warnings.catch_warnings():
    # authlib warns that plain httpx (rather than httpx2) is deprecated; httpx is what we use.
    warnings.simplefilter("ignore")
    from authlib.common.security import generate_token
    from authlib.integrations.httpx_client import AsyncOAuth2Client

ISSUER = "https://strata.test"
CRM = f"{ISSUER}/system/crm/v1"
ORDERS = f"{ISSUER}/process/orders/v1"
INVENTORY = f"{ISSUER}/system/inventory/v1"
WEB = f"{ISSUER}/experience/web/v1"
MOBILE = f"{ISSUER}/experience/mobile/v1"


def _route(layer: str, name: str, read: str | None, write: str | None) -> ApiRoute:
    return ApiRoute(
        name, layer, 1, (f"inproc://{layer}/{name}",), read_scope=read, write_scope=write
    )


# What the gateway's route table holds: tokens' audiences follow from it.
ROUTES = (
    _route("system", "crm", "crm:read", "crm:write"),
    _route("system", "erp", "erp:read", "erp:write"),
    _route("system", "inventory", "inventory:read", "inventory:write"),
    _route("process", "orders", "orders:read", "orders:write"),
    _route("experience", "web", "me:read", "me:write"),
    _route("experience", "mobile", "me:read", "me:write"),
)
WEB_REDIRECT = "https://app.example/callback"
USERNAME, PASSWORD = "ada", "correct horse battery staple"
CUSTOMER_ID = "001Dn00000000001AAA"


class FakeClock:
    """Time that only moves when a test says so."""

    def __init__(self) -> None:
        self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def oauth_settings(**overrides: Any) -> OAuthSettings:
    values: dict[str, Any] = {
        "issuer": ISSUER,
        "secret_key": "test-secret-key-long-enough-x-x-x-x-x-x-x-x-",
        "password_hash_time_cost": 1,
        "password_hash_memory_kib": 64,
        "key_min_refresh_seconds": 0,
    }
    values.update(overrides)
    return OAuthSettings(**values)


@pytest.fixture
def settings() -> OAuthSettings:
    return oauth_settings()


@pytest.fixture
def passwords(settings: OAuthSettings) -> Passwords:
    return Passwords.from_settings(settings)


@pytest.fixture
async def oauth(
    database: Database,
    settings: OAuthSettings,
    clock: FakeClock,
) -> AsyncIterator[OAuthServer]:
    server = build_oauth(database, settings, clock=clock)
    server.vocabulary.learn_api_scopes(ROUTES)
    await server.start(background=False)
    try:
        yield server
    finally:
        await server.stop()


def build_app(oauth: OAuthServer) -> FastAPI:
    """The gateway as far as these tests need it: the OAuth routers and two protected routes,
    one per way of declaring the scope check: the CRM API's and the web API's."""
    app = FastAPI()
    install_problem_handlers(app)
    for router in oauth.routers:
        app.include_router(router)
    attach_verifier(app, oauth.verifier, audience=WEB)

    @app.get("/crm/customers")
    async def customers(
        claims: Annotated[
            Claims, Depends(oauth.verifier.for_audience(CRM).require_scopes("crm:read"))
        ],
    ) -> dict[str, Any]:
        return {"sub": claims.subject, "scopes": sorted(claims.scopes)}

    @app.get("/me")
    async def me(claims: Annotated[Claims, Depends(require_scopes("me:read"))]) -> dict[str, Any]:
        return {"sub": claims.subject, "customer_id": claims.customer_id}

    return app


@pytest.fixture
def app(oauth: OAuthServer) -> FastAPI:
    return build_app(oauth)


@pytest.fixture
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=in_process(app), base_url=ISSUER) as client:
        yield client


@dataclass
class Registered:
    client: OAuthClient
    secret: str

    @property
    def id(self) -> str:
        return self.client.id


@pytest.fixture
async def partner(database: Database, passwords: Passwords) -> Registered:
    client, secret = await create_client(
        database,
        "Partner ERP sync",
        "crm:read crm:write orders:read",
        tier="premium",
        passwords=passwords,
    )
    assert secret is not None
    return Registered(client, secret)


@pytest.fixture
async def admin_client(database: Database, passwords: Passwords) -> Registered:
    client, secret = await create_client(database, "Operator", "admin", passwords=passwords)
    assert secret is not None
    return Registered(client, secret)


@pytest.fixture
async def resource_server(database: Database, passwords: Passwords) -> Registered:
    """A resource server: it may introspect every client's tokens (RFC 7662 section 4)."""
    client, secret = await create_client(
        database, "Orders API", "tokens:introspect", passwords=passwords
    )
    assert secret is not None
    return Registered(client, secret)


@pytest.fixture
async def web_app(database: Database, passwords: Passwords) -> OAuthClient:
    client, secret = await create_client(
        database,
        "Web <app> & co",
        "me:read me:write inventory:read",
        redirect_uris=[WEB_REDIRECT],
        public=True,
        passwords=passwords,
    )
    assert secret is None
    return client


@pytest.fixture
async def user(database: Database, passwords: Passwords) -> OAuthUser:
    async with database.session() as session:
        return await create_user(
            session,
            USERNAME,
            PASSWORD,
            "Ada Lovelace",
            CUSTOMER_ID,
            passwords,
        )


LOGIN_FORM_ID = re.compile(r'name="request_id" value="([^"]+)"')


class Flows:
    """Drives the OAuth flows against the app: authlib's own client for the protocol, and a
    cookie-keeping httpx client as the user's browser on the sign-in page."""

    issuer = ISSUER
    token_url = f"{ISSUER}/oauth/token"
    authorize_url = f"{ISSUER}/oauth/authorize"
    redirect_uri = WEB_REDIRECT
    username = USERNAME
    password = PASSWORD
    customer_id = CUSTOMER_ID

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def client(self, **kwargs: Any) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(transport=in_process(self.app), base_url=ISSUER, **kwargs)

    @staticmethod
    def request_id(page: httpx.Response) -> str:
        return form_request_id(page)

    def browser(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=in_process(self.app), base_url=ISSUER)

    async def client_credentials(
        self,
        registered: Registered,
        scope: str | None = None,
    ) -> dict[str, Any]:
        async with self.client(
            client_id=registered.id, client_secret=registered.secret, scope=scope
        ) as session:
            token: dict[str, Any] = await session.fetch_token(
                self.token_url,
                grant_type="client_credentials",
            )
        return token

    async def token_request(
        self, form: dict[str, str | list[str]], registered: Registered | None = None
    ) -> httpx.Response:
        """A token request as written (a list value is a repeated parameter), from
        ``registered`` with HTTP Basic, or from a public client naming itself in ``form``."""
        auth = (registered.id, registered.secret) if registered else None
        async with self.browser() as http:
            return await http.post(self.token_url, data=form, auth=auth)

    async def client_credentials_for(
        self, registered: Registered, *, resource: list[str], scope: str | None = None
    ) -> dict[str, Any]:
        """A client-credentials token for the RFC 8707 ``resource`` URLs given."""
        form: dict[str, str | list[str]] = {
            "grant_type": "client_credentials",
            "resource": resource,
        }
        if scope is not None:
            form["scope"] = scope
        answer = await self.token_request(form, registered)
        assert answer.status_code == 200, answer.text
        token: dict[str, Any] = answer.json()
        return token

    def public_client(self, web_app: OAuthClient, **kwargs: Any) -> AsyncOAuth2Client:
        return self.client(
            client_id=web_app.id,
            token_endpoint_auth_method="none",
            revocation_endpoint_auth_method="none",
            redirect_uri=WEB_REDIRECT,
            code_challenge_method="S256",
            **kwargs,
        )

    async def sign_in(
        self,
        browser: httpx.AsyncClient,
        authorization_url: str,
        *,
        username: str = USERNAME,
        password: str = PASSWORD,
        decision: str = "allow",
    ) -> httpx.Response:
        """Opens the sign-in page and submits it; returns the answer (a redirect, normally)."""
        page = await browser.get(authorization_url)
        assert page.status_code == 200, page.text
        return await self.submit(browser, form_request_id(page), username, password, decision)

    async def submit(
        self,
        browser: httpx.AsyncClient,
        request_id: str,
        username: str = USERNAME,
        password: str = PASSWORD,
        decision: str = "allow",
    ) -> httpx.Response:
        return await browser.post(
            self.authorize_url,
            data={
                "request_id": request_id,
                "username": username,
                "password": password,
                "decision": decision,
            },
        )

    async def authorization_code(
        self,
        web_app: OAuthClient,
        scope: str | None = None,
    ) -> tuple[str, str, str]:
        """A fresh code for the web app: (code, code_verifier, redirect location)."""
        verifier = generate_token(48)
        async with self.public_client(web_app, scope=scope) as session:
            url, _state = session.create_authorization_url(
                self.authorize_url,
                code_verifier=verifier,
            )
        async with self.browser() as browser:
            answer = await self.sign_in(browser, url)
        assert answer.status_code == 303, answer.text
        location = answer.headers["location"]
        code = dict(parse_qsl(urlsplit(location).query))["code"]
        return code, verifier, location

    async def user_tokens(self, web_app: OAuthClient, scope: str | None = None) -> dict[str, Any]:
        """The whole authorization code flow with PKCE, through authlib's client."""
        verifier = generate_token(48)
        async with self.public_client(web_app, scope=scope) as session:
            url, state = session.create_authorization_url(
                self.authorize_url,
                code_verifier=verifier,
            )
            async with self.browser() as browser:
                answer = await self.sign_in(browser, url)
            assert answer.status_code == 303, answer.text
            token: dict[str, Any] = await session.fetch_token(
                self.token_url,
                authorization_response=answer.headers["location"],
                code_verifier=verifier,
                state=state,
            )
        return token


def form_request_id(page: httpx.Response) -> str:
    found = LOGIN_FORM_ID.search(page.text)
    assert found, page.text
    return found.group(1)


@pytest.fixture
def flows(app: FastAPI) -> Flows:
    return Flows(app)
