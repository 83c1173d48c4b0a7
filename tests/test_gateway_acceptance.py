"""Acceptance: the whole assembled Strata, as an integrator and its clients meet it.

Most tests run against real `strata serve` processes on loopback ports, with a backend
Strata has never seen (the shipping service of ``tests/acceptance_support.py``) running as
its own processes: registered through the admin API, called through the gateway with
tokens and scopes, rate limited, listed in the catalog, balanced over two instances and
kept up when one dies, and seen by a gateway when another process changes the registry.
Two `strata serve` processes on one PostgreSQL and one Redis act as one gateway. The OAuth2
flows run in process on the assembled app, with authlib's own client, on SQLite and
PostgreSQL. Every process a test starts is stopped when it ends, pass or fail.
"""

from __future__ import annotations

import json
import re
import time
import warnings
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from tests.acceptance_oauth import (
    login_request_id,
)
from tests.acceptance_support import (
    GatewayClient,
    PageAssets,
    RouteWatch,
    ServiceProcess,
    admin_gateway,
    assert_problem,
    calls_until_steady,
    served_by,
    start_shipping,
)
from tests.support_server import Server, start_server, stop

with warnings.catch_warnings():
    # authlib warns that plain httpx (rather than httpx2) is deprecated; httpx is what we use.
    warnings.simplefilter("ignore")
    from authlib.common.security import generate_token
    from authlib.oauth2.rfc7636 import create_s256_code_challenge

SHIPPING = "/system/shipping/v1"
# A small tier of our own, so the limit is reached in a few dozen calls: 30 reads at once,
# then one a second.
TRIAL_READ_BURST = 30
SERVER_ENV = {
    "STRATA_RATE_LIMITS__TIERS__TRIAL__READ": f"60/min burst {TRIAL_READ_BURST}",
    "STRATA_RATE_LIMITS__TIERS__TRIAL__WRITE": "20/min burst 5",
    # Cheap hashing keeps the many client secrets of these tests quick to check.
    "STRATA_OAUTH__PASSWORD_HASH_TIME_COST": "1",
    "STRATA_OAUTH__PASSWORD_HASH_MEMORY_KIB": "64",
}
ROUTING_DEADLINE_SECONDS = 2.0
OTTO = ("otto", "otto-demo-password")  # the demo operator: system-layer scopes are for them


# --- one gateway process on SQLite, and the shipping service --------------------------------


@pytest.fixture(scope="module")
def server(workdir: Path) -> Iterator[Server]:
    running = start_server(workdir, SERVER_ENV)
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


@pytest.fixture(scope="module")
def shipping_api(gateway: GatewayClient, east: ServiceProcess) -> dict[str, Any]:
    """The shipping service, registered through the admin API with its OpenAPI by URL."""
    return gateway.register_api(
        name="shipping",
        layer="system",
        version=1,
        description="Shipments and carrier labels",
        targets=[east.url],
        openapi_url=f"{east.url}/openapi.json",
        read_scope="shipping:read",
        write_scope="shipping:write",
        rate_tier="trial",
    )


# --- 1. a new backend, registered and called with scopes ------------------------------------


def test_a_registered_backend_is_called_through_the_gateway_with_its_read_scope(
    gateway: GatewayClient, shipping_api: dict[str, Any]
) -> None:
    assert shipping_api["prefix"] == SHIPPING
    assert shipping_api["openapi_url"].endswith("/openapi.json")
    reader = gateway.create_client("shipping:read")
    token = gateway.token(reader, "shipping:read")

    answer = gateway.call(
        "GET", f"{SHIPPING}/shipments", token, headers={"X-Request-ID": "acceptance-read-1"}
    )

    assert served_by(answer) == "east"
    assert answer.json()["items"] == []
    # The upstream got the caller's request id; the caller gets it back.
    assert answer.json()["request_id"] == "acceptance-read-1"
    assert answer.headers["x-request-id"] == "acceptance-read-1"


def test_a_write_needs_the_write_scope(
    gateway: GatewayClient, shipping_api: dict[str, Any]
) -> None:
    reader = gateway.create_client("shipping:read")
    token = gateway.token(reader, "shipping:read")
    shipment = {"order_id": "SO-1001", "carrier": "dhl", "weight_grams": 1200}

    refused = gateway.call("POST", f"{SHIPPING}/shipments", token, json=shipment)

    body = assert_problem(refused, 403, "insufficient-scope")
    assert body["required_scope"] == "shipping:write"
    assert 'error="insufficient_scope"' in refused.headers["www-authenticate"]
    # Nothing reached the backend.
    listed = gateway.call("GET", f"{SHIPPING}/shipments", token)
    assert all(item["order_id"] != "SO-1001" for item in listed.json()["items"])

    writer = gateway.create_client("shipping:read shipping:write")
    created = gateway.call(
        "POST",
        f"{SHIPPING}/shipments",
        gateway.token(writer, "shipping:write"),
        json=shipment,
    )
    assert created.status_code == 201, created.text
    assert created.json()["order_id"] == "SO-1001"
    assert created.json()["status"] == "label_created"


def test_a_call_without_a_token_is_401_with_a_bearer_challenge(
    gateway: GatewayClient, shipping_api: dict[str, Any]
) -> None:
    answer = gateway.call("GET", f"{SHIPPING}/shipments")

    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["www-authenticate"].startswith("Bearer")


def test_a_token_from_elsewhere_is_401(
    gateway: GatewayClient, shipping_api: dict[str, Any]
) -> None:
    forged = "eyJhbGciOiJub25lIn0.eyJzY29wZSI6InNoaXBwaW5nOnJlYWQifQ."
    answer = gateway.call("GET", f"{SHIPPING}/shipments", forged)

    assert answer.status_code == 401
    assert 'error="invalid_token"' in answer.headers["www-authenticate"]


# --- 2. rate limits --------------------------------------------------------------------------


def test_the_rate_limit_of_the_apis_tier_is_enforced_with_its_headers(
    gateway: GatewayClient, shipping_api: dict[str, Any]
) -> None:
    reader = gateway.create_client("shipping:read")  # a standard-tier client
    token = gateway.token(reader, "shipping:read")

    started = time.monotonic()
    allowed: list[httpx.Response] = []
    refused: httpx.Response | None = None
    for _ in range(TRIAL_READ_BURST + 10):
        answer = gateway.call("GET", f"{SHIPPING}/shipments", token)
        if answer.status_code != 200:
            refused = answer
            break
        allowed.append(answer)
    elapsed = time.monotonic() - started

    # The API's tier (30 at once), not the client's standard tier (100 at once).
    first = allowed[0].headers
    assert first["ratelimit-limit"] == str(TRIAL_READ_BURST)
    assert first["ratelimit-remaining"] == str(TRIAL_READ_BURST - 1)
    assert int(first["ratelimit-reset"]) >= 1
    remaining = [int(answer.headers["ratelimit-remaining"]) for answer in allowed]
    assert remaining == sorted(remaining, reverse=True)
    # The burst, plus at most what one a second refilled meanwhile.
    assert TRIAL_READ_BURST <= len(allowed) <= TRIAL_READ_BURST + int(elapsed) + 1

    assert refused is not None, "the limit was never reached"
    body = assert_problem(refused, 429, "rate-limited")
    assert body["policy"] == "trial.read"
    assert refused.headers["ratelimit-remaining"] == "0"
    assert 1 <= int(refused.headers["retry-after"]) <= 2


# --- 3. the catalog and the docs -------------------------------------------------------------


def test_the_api_is_in_the_catalog(gateway: GatewayClient, shipping_api: dict[str, Any]) -> None:
    catalog = gateway.call("GET", "/apis")

    assert catalog.status_code == 200
    entries = {entry["name"]: entry for entry in catalog.json()["items"]}
    assert {"crm", "erp", "inventory", "orders", "shipping"} <= entries.keys()
    entry = entries["shipping"]
    assert entry["path"] == SHIPPING
    assert entry["title"] == "Shipping"
    assert entry["builtin"] is False
    assert entry["scopes"] == {"read": "shipping:read", "write": "shipping:write"}
    assert entry["links"] == {
        "docs": "/apis/shipping/docs",
        "openapi": "/apis/shipping/openapi.json",
    }


def test_the_catalogs_openapi_document_points_at_the_gateway_with_oauth2(
    gateway: GatewayClient, shipping_api: dict[str, Any]
) -> None:
    answer = gateway.call("GET", "/apis/shipping/openapi.json")

    assert answer.status_code == 200
    document = answer.json()
    assert document["servers"] == [{"url": SHIPPING, "description": "Through the Strata gateway"}]
    scheme = document["components"]["securitySchemes"]["strata_oauth2"]
    assert scheme["type"] == "oauth2"
    flows = scheme["flows"]
    assert flows["authorizationCode"]["authorizationUrl"] == "/oauth/authorize"
    assert flows["authorizationCode"]["tokenUrl"] == "/oauth/token"
    assert flows["clientCredentials"]["tokenUrl"] == "/oauth/token"
    assert set(flows["clientCredentials"]["scopes"]) == {"shipping:read", "shipping:write"}
    operations = document["paths"]["/shipments"]
    assert operations["get"]["security"] == [{"strata_oauth2": ["shipping:read"]}]
    assert operations["post"]["security"] == [{"strata_oauth2": ["shipping:write"]}]
    # Following the document's server URL reaches the API through the gateway.
    token = gateway.token(gateway.create_client("shipping:read"), "shipping:read")
    followed = gateway.call("GET", document["servers"][0]["url"] + "/shipments", token)
    assert served_by(followed) == "east"


def test_the_docs_page_is_served_from_local_assets(
    gateway: GatewayClient, shipping_api: dict[str, Any]
) -> None:
    page = gateway.call("GET", "/apis/shipping/docs")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '"url": "/apis/shipping/openapi.json"' in page.text
    assets = PageAssets(page.text)
    assert len(assets.urls) >= 3
    kinds = set()
    for url in assets.urls:
        assert url.startswith("/apis/_assets/"), f"{url} is not served by the gateway"
        asset = gateway.call("GET", url)
        assert asset.status_code == 200, url
        assert asset.content, url
        kinds.add(asset.headers["content-type"].split(";")[0])
    assert {"text/css", "text/javascript"} <= kinds
    unknown = gateway.call("GET", "/apis/nowhere/docs")
    assert_problem(unknown, 404, "not-found")


DOCS_CONFIG = re.compile(r'<script id="strata-docs-config" type="application/json">(.*?)</script>')


def test_the_docs_page_can_get_a_token_for_the_apis_scopes(
    gateway: GatewayClient, shipping_api: dict[str, Any]
) -> None:
    page = gateway.call("GET", "/apis/shipping/docs")
    found = DOCS_CONFIG.search(page.text)
    assert found, page.text
    oauth = json.loads(found.group(1))["oauth"]
    assert oauth["usePkceWithAuthorizationCodeGrant"] is True
    assert oauth["scopes"] == ["shipping:read", "shipping:write"]

    # What Swagger UI's "Authorize" does: sign in, come back with a code, trade it.
    verifier = generate_token(48)
    with httpx.Client(base_url=gateway.base_url) as browser:
        sign_in = browser.get(
            "/oauth/authorize",
            params={
                "client_id": oauth["clientId"],
                "response_type": "code",
                "scope": " ".join(oauth["scopes"]),
                "code_challenge": create_s256_code_challenge(verifier),
                "code_challenge_method": "S256",
            },
        )
        assert sign_in.status_code == 200, sign_in.headers.get("location")
        assert "shipping:read" in sign_in.text and "shipping:write" in sign_in.text
        returned = browser.post(
            "/oauth/authorize",
            data={
                "request_id": login_request_id(sign_in.text),
                "username": OTTO[0],
                "password": OTTO[1],
                "decision": "allow",
            },
        )
    assert returned.status_code == 303, returned.text
    code = dict(parse_qsl(urlsplit(returned.headers["location"]).query))["code"]
    issued = gateway.http.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": oauth["clientId"],
            "code": code,
            "code_verifier": verifier,
        },
    )
    assert issued.status_code == 200, issued.text
    token = issued.json()["access_token"]
    assert set(issued.json()["scope"].split()) == {"shipping:read", "shipping:write"}
    assert served_by(gateway.call("GET", f"{SHIPPING}/shipments", token)) == "east"


# --- 5. a registry change made by another process ---------------------------------------------


def test_an_api_registered_by_another_process_is_routed_within_two_seconds(
    server: Server, gateway: GatewayClient, east: ServiceProcess
) -> None:
    watch = RouteWatch(f"{server.base_url}/system/tracking/v1/shipments")
    watch.start()
    try:
        assert watch.unrouted_seen.wait(10)
        server.cli(
            "apis",
            "register",
            "--name",
            "tracking",
            "--target",
            east.url,
            "--openapi",
            f"{east.url}/openapi.json",
            "--read-scope",
            "tracking:read",
            "--write-scope",
            "tracking:write",
        )
        watch.join(ROUTING_DEADLINE_SECONDS + 3)
    finally:
        watch.stop.set()
        watch.join(5)

    registered_at = datetime.fromisoformat(gateway.get_api("tracking")["created_at"]).timestamp()
    assert watch.routed_at is not None, "the running gateway never routed the new API"
    assert watch.routed_at - registered_at < ROUTING_DEADLINE_SECONDS

    # The new API's scopes can be granted by the running gateway, and its calls get through.
    tracker = gateway.create_client("tracking:read")
    answer = gateway.call(
        "GET", "/system/tracking/v1/shipments", gateway.token(tracker, "tracking:read")
    )
    assert served_by(answer) == "east"


# --- 4. two instances, then one dies -----------------------------------------------------------


def test_traffic_spreads_over_two_targets_and_survives_losing_one(
    gateway: GatewayClient,
    shipping_api: dict[str, Any],
    east: ServiceProcess,
    workdir: Path,
) -> None:
    (west,) = start_shipping(workdir, "west")
    try:
        updated = gateway.update_api("shipping", targets=[east.url, west.url])
        assert updated["targets"] == [east.url, west.url]
        reader = gateway.create_client("shipping:read")
        token = gateway.token(reader, "shipping:read")

        spread = Counter(
            served_by(gateway.call("GET", f"{SHIPPING}/shipments", token)) for _ in range(20)
        )
        assert set(spread) == {"east", "west"}, spread

        west.kill()
        after = gateway.token(gateway.create_client("shipping:read"), "shipping:read")
        outcomes = calls_until_steady(gateway, f"{SHIPPING}/shipments", after, streak=20)
    finally:
        west.kill()

    failures = [status for status, _ in outcomes if status != 200]
    assert len(failures) <= 3, f"clients saw errors for too long: {outcomes}"
    assert [served for _, served in outcomes[-20:]] == ["east"] * 20
