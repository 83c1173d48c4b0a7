"""Acceptance: a registered upstream never receives the gateway's tokens, only what its
registration says: nothing, a signed identity it verifies with the gateway's JWKS (which the
gateway itself refuses as a token), or its own key, kept encrypted.

The upstream is a real process that answers with the headers it received. The assembled
Strata runs in process on SQLite and PostgreSQL; one `strata serve` process checks the same
from the command line and over real sockets end to end.
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import text

from gateway.registry.models import ApiRecord
from strata.app import create_strata
from strata.db import Database
from strata.settings import load_settings
from tests.acceptance_oauth import AUTHORIZE_URL, ISSUER, TOKEN_URL, InProcess
from tests.acceptance_support import (
    ClientApp,
    GatewayClient,
    ServiceProcess,
    admin_gateway,
    assert_problem,
)
from tests.echo_upstream import received, start_echo
from tests.support_server import Server, start_server, stop

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # authlib's note on plain httpx
    from authlib.common.security import generate_token

KEY = "sk_live_upstream-only-9f3a"
DANA = ("dana", "dana-demo-password")  # a demo user, seeded with the demo data
ALGORITHMS = ["RS256", "ES256"]


@pytest.fixture(scope="module")
def echo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    upstream = start_echo(tmp_path_factory.mktemp("echo"))
    try:
        yield upstream
    finally:
        upstream.kill()


def registration(name: str, echo: ServiceProcess, **fields: Any) -> dict[str, Any]:
    return {
        "name": name,
        "layer": "system",
        "version": 1,
        "targets": [echo.url],
        "openapi_url": f"{echo.url}/openapi.json",
        "read_scope": f"{name}:read",
        **fields,
    }


async def verified(http: httpx.AsyncClient, assertion: str) -> jwt.Token:
    """What the upstream does with the identity: verify it with the gateway's JWKS."""
    jwks = await http.get("/.well-known/jwks.json")
    assert jwks.status_code == 200, jwks.text
    return jwt.decode(assertion, KeySet.import_key_set(jwks.json()), algorithms=ALGORITHMS)


# --- in process, on SQLite and PostgreSQL ----------------------------------------------------


class Assembled(InProcess):
    """The assembled Strata, with a client calling it and an admin token."""

    admin: str = ""

    async def client_token(self, http: httpx.AsyncClient, scopes: str) -> tuple[str, str]:
        """A new confidential client's id and a client-credentials token of it."""
        client: ClientApp = await self.confidential(scopes)
        answer = await http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "scope": scopes},
            auth=(client.client_id, client.client_secret),
        )
        assert answer.status_code == 200, answer.text
        return client.client_id, str(answer.json()["access_token"])

    async def register(self, http: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
        answer = await http.post("/admin/apis", json=body, headers=bearer(self.admin))
        assert answer.status_code == 201, answer.text
        registered: dict[str, Any] = answer.json()
        return registered

    async def person_token(self) -> str:
        """The demo web app's sign-in as dana (authorization code with PKCE)."""
        verifier = generate_token(48)
        async with self.web_app("me:read") as web:
            url, _ = web.create_authorization_url(AUTHORIZE_URL, code_verifier=verifier)
            location = await self.sign_in(url, *DANA)
            token = await web.fetch_token(
                TOKEN_URL, authorization_response=location, code_verifier=verifier
            )
        return str(token["access_token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def assembled(database: Database) -> AsyncIterator[Assembled]:
    settings = load_settings(
        redis_url=None,
        seed_demo_data=True,
        oauth={
            "issuer": ISSUER,
            "secret_key": "upstream-auth-acceptance-key-long-enough-x-x",
            "password_hash_time_cost": 1,
            "password_hash_memory_kib": 64,
        },
    )
    strata = create_strata(settings, database)
    await strata.start()
    try:
        yield Assembled(strata)
    finally:
        await strata.stop()


@pytest.fixture
async def http(assembled: Assembled) -> AsyncIterator[httpx.AsyncClient]:
    async with assembled.http() as client:
        _, assembled.admin = await assembled.client_token(client, "admin")
        yield client


async def test_a_registered_upstream_receives_no_token(
    assembled: Assembled, http: httpx.AsyncClient, echo: ServiceProcess
) -> None:
    await assembled.register(http, registration("plain", echo))
    _, token = await assembled.client_token(http, "plain:read crm:read")

    seen = received(await http.get("/system/plain/v1/echo", headers=bearer(token)))

    assert "authorization" not in seen and "strata-identity" not in seen
    assert token not in str(seen)
    # The token opens the CRM: what the old gateway handed every upstream to replay.
    assert (await http.get("/system/crm/v1/customers", headers=bearer(token))).status_code == 200


async def test_an_identity_upstream_receives_a_jwt_it_verifies_and_the_gateway_refuses(
    assembled: Assembled, http: httpx.AsyncClient, echo: ServiceProcess
) -> None:
    await assembled.register(
        http, registration("asserted", echo, upstream_auth={"mode": "identity"})
    )
    caller, token = await assembled.client_token(http, "asserted:read crm:read")

    seen = received(await http.get("/system/asserted/v1/echo", headers=bearer(token)))

    assert "authorization" not in seen
    identity = await verified(http, seen["strata-identity"])
    assert identity.claims["aud"] == f"{ISSUER}/system/asserted/v1"
    assert identity.claims["iss"] == ISSUER
    assert identity.claims["sub"] == identity.claims["client_id"] == caller
    assert identity.claims["scope"] == "asserted:read crm:read"
    assert identity.header["typ"] != "at+jwt"
    # Replayed as an access token, at the API it was made for or any other: refused.
    for path in ("/system/crm/v1/customers", "/system/asserted/v1/echo"):
        replayed = await http.get(path, headers=bearer(seen["strata-identity"]))
        assert_problem(replayed, 401, "invalid-token")


async def test_an_api_key_upstream_receives_its_key_kept_encrypted(
    assembled: Assembled, http: httpx.AsyncClient, echo: ServiceProcess, database: Database
) -> None:
    key_setting = {"mode": "api_key", "header": "X-API-Key", "value": KEY}
    created = await assembled.register(http, registration("keyed", echo, upstream_auth=key_setting))
    _, token = await assembled.client_token(http, "keyed:read")

    seen = received(await http.get("/system/keyed/v1/echo", headers=bearer(token)))

    assert seen["x-api-key"] == KEY
    assert "authorization" not in seen
    assert created["upstream_auth"] == {"mode": "api_key", "header": "X-API-Key"}
    listed = await http.get("/admin/apis", headers=bearer(assembled.admin))
    assert listed.status_code == 200 and KEY not in listed.text
    async with database.session() as session:
        query = text(f"SELECT * FROM {ApiRecord.__tablename__} WHERE name = 'keyed'")
        row = (await session.execute(query)).one()
    assert all(KEY.encode() not in _as_bytes(value) for value in row)


async def test_a_built_in_api_still_receives_the_callers_token(
    assembled: Assembled, http: httpx.AsyncClient
) -> None:
    # The web API checks the token it receives itself: it finds the customer's orders by it.
    token = await assembled.person_token()

    answer = await http.get("/experience/web/v1/orders", headers=bearer(token))

    assert answer.status_code == 200, answer.text


def _as_bytes(value: object) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


# --- one `strata serve` process --------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(
        tmp_path_factory.mktemp("upstream-auth"),
        {
            "STRATA_OAUTH__PASSWORD_HASH_TIME_COST": "1",
            "STRATA_OAUTH__PASSWORD_HASH_MEMORY_KIB": "64",
            # Shared with `strata apis register`, which seals the key the server opens.
            "STRATA_OAUTH__SECRET_KEY": "served-upstream-auth-key-long-enough-x-x-x-x",
        },
    )
    try:
        yield running
    finally:
        stop(running)


@pytest.fixture(scope="module")
def gateway(server: Server) -> Iterator[GatewayClient]:
    client = admin_gateway(server)
    try:
        yield client
    finally:
        client.close()


def test_a_served_gateway_sends_upstreams_what_their_registration_says(
    server: Server, gateway: GatewayClient, echo: ServiceProcess
) -> None:
    server.cli(
        "apis",
        "register",
        "--name",
        "keyedcli",
        "--target",
        echo.url,
        "--openapi",
        f"{echo.url}/openapi.json",
        "--read-scope",
        "keyedcli:read",
        "--upstream-auth",
        "api_key",
        "--upstream-header",
        "Api-Token",
        "--upstream-key",
        KEY,
    )
    gateway.register_api(**registration("assertedcli", echo, upstream_auth={"mode": "identity"}))
    reader = gateway.create_client("keyedcli:read assertedcli:read")
    token = gateway.token(reader, "keyedcli:read assertedcli:read")

    keyed = received(gateway.call("GET", "/system/keyedcli/v1/echo", token))
    asserted = received(gateway.call("GET", "/system/assertedcli/v1/echo", token))

    assert keyed["api-token"] == KEY and "authorization" not in keyed
    assert "authorization" not in asserted
    jwks = KeySet.import_key_set(gateway.call("GET", "/.well-known/jwks.json").json())
    identity = jwt.decode(asserted["strata-identity"], jwks, algorithms=ALGORITHMS)
    issuer = gateway.call("GET", "/.well-known/oauth-authorization-server").json()["issuer"]
    assert identity.claims["aud"] == f"{issuer}/system/assertedcli/v1"
    assert identity.claims["sub"] == reader.client_id
    replayed = gateway.call("GET", "/system/assertedcli/v1/echo", asserted["strata-identity"])
    assert_problem(replayed, 401, "invalid-token")
    assert KEY not in str(gateway.get_api("keyedcli"))
