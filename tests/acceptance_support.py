"""What the gateway acceptance tests stand on: a backend Strata has never seen, run as real
processes; a gateway client that speaks the admin API and OAuth2 over HTTP; and fresh
PostgreSQL databases and Redis for the scale-out case.

The shipping service is an ordinary FastAPI app with its own OpenAPI document. Each instance
says who it is (``SHIPPING_INSTANCE``) in every answer, and echoes the request id it received,
so a test can see which instance served a call that came through the gateway.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn

import httpx
import pytest
import redis
from fastapi import FastAPI, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from strata.errors import PROBLEM_JSON
from tests.support_server import free_port

REPO = Path(__file__).resolve().parents[1]
INSTANCE_ENV = "SHIPPING_INSTANCE"
POSTGRES_URL = os.environ.get(
    "STRATA_TEST_POSTGRES_URL",
    "postgresql+psycopg://postgres@127.0.0.1:5432/test",
)
REDIS_URL = os.environ.get("STRATA_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REQUIRE_SERVICES = os.environ.get("STRATA_TEST_REQUIRE_SERVICES") == "1"


# --- the shipping service ---------------------------------------------------------------


class ShipmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_id: Annotated[str, Field(min_length=1, max_length=64)]
    carrier: Literal["ups", "dhl", "fedex"]
    weight_grams: Annotated[int, Field(gt=0, le=1_000_000)]


class Shipment(ShipmentIn):
    id: str
    status: Literal["label_created", "in_transit", "delivered"]
    created_at: datetime
    served_by: str = Field(description="The instance that answered")
    request_id: str | None = Field(description="The X-Request-ID the instance received")


class ShipmentPage(BaseModel):
    items: list[Shipment]
    served_by: str
    request_id: str | None


def create_shipping_app() -> FastAPI:
    """One instance of the shipping service; its shipments live in its own memory."""
    instance = os.environ.get(INSTANCE_ENV, "shipping")
    shipments: dict[str, Shipment] = {}
    app = FastAPI(
        title="Shipping",
        version="1.0.0",
        description="Shipments and carrier labels.",
    )

    def answered(request: Request, response: Response) -> tuple[str, str | None]:
        response.headers["X-Served-By"] = instance
        return instance, request.headers.get("x-request-id")

    @app.get("/shipments", summary="Every shipment")
    async def list_shipments(request: Request, response: Response) -> ShipmentPage:
        served_by, request_id = answered(request, response)
        return ShipmentPage(
            items=list(shipments.values()), served_by=served_by, request_id=request_id
        )

    @app.post("/shipments", status_code=status.HTTP_201_CREATED, summary="Create a shipment")
    async def create_shipment(body: ShipmentIn, request: Request, response: Response) -> Shipment:
        served_by, request_id = answered(request, response)
        shipment = Shipment(
            **body.model_dump(),
            id=f"shp_{secrets.token_hex(6)}",
            status="label_created",
            created_at=datetime.now(UTC),
            served_by=served_by,
            request_id=request_id,
        )
        shipments[shipment.id] = shipment
        return shipment

    return app


@dataclass
class ServiceProcess:
    """One shipping instance: a uvicorn process on a loopback port."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        """Gone at once, as when its host dies: connections to it are refused."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


def spawn_shipping(name: str, directory: Path) -> ServiceProcess:
    port = free_port()
    log = directory / f"shipping-{name}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "tests.acceptance_support:create_shipping_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env={**os.environ, INSTANCE_ENV: name},
            cwd=REPO,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    return ServiceProcess(name, port, process, log)


def wait_until_serving(*services: ServiceProcess, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    for service in services:
        while True:
            if service.process.poll() is not None:
                raise AssertionError(f"{service.name} exited:\n{service.log.read_text()}")
            try:
                if httpx.get(f"{service.url}/openapi.json", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                service.kill()
                raise AssertionError(f"{service.name} did not start:\n{service.log.read_text()}")
            time.sleep(0.05)


def start_shipping(directory: Path, *names: str) -> list[ServiceProcess]:
    """Starts one instance per name (in parallel) and waits until each serves."""
    started = [spawn_shipping(name, directory) for name in names]
    try:
        wait_until_serving(*started)
    except BaseException:
        for service in started:
            service.kill()
        raise
    return started


# --- the gateway, over HTTP ---------------------------------------------------------------


@dataclass(frozen=True)
class ClientApp:
    client_id: str
    client_secret: str


class GatewayClient:
    """Calls a running gateway: the admin API with an admin token, OAuth2, and APIs."""

    def __init__(self, base_url: str, admin_token: str) -> None:
        self.base_url = base_url
        self.admin_token = admin_token
        self.http = httpx.Client(base_url=base_url, timeout=15)
        self._admin = {"Authorization": f"Bearer {admin_token}"}

    def close(self) -> None:
        self.http.close()

    def register_api(self, **registration: Any) -> dict[str, Any]:
        answer = self.http.post("/admin/apis", json=registration, headers=self._admin)
        assert answer.status_code == 201, answer.text
        registered: dict[str, Any] = answer.json()
        return registered

    def update_api(self, name: str, **changes: Any) -> dict[str, Any]:
        answer = self.http.patch(f"/admin/apis/{name}", json=changes, headers=self._admin)
        assert answer.status_code == 200, answer.text
        updated: dict[str, Any] = answer.json()
        return updated

    def get_api(self, name: str) -> dict[str, Any]:
        answer = self.http.get(f"/admin/apis/{name}", headers=self._admin)
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found

    def create_client(self, scopes: str, *, tier: str = "standard") -> ClientApp:
        answer = self.http.post(
            "/admin/clients",
            json={"name": f"acceptance {scopes}", "scopes": scopes.split(), "tier": tier},
            headers=self._admin,
        )
        assert answer.status_code == 201, answer.text
        body = answer.json()
        return ClientApp(body["client_id"], body["client_secret"])

    def token(self, client: ClientApp, scope: str) -> str:
        """A client-credentials access token."""
        answer = self.http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "scope": scope},
            auth=(client.client_id, client.client_secret),
        )
        assert answer.status_code == 200, answer.text
        return str(answer.json()["access_token"])

    def revoke(self, client: ClientApp, token: str) -> None:
        answer = self.http.post(
            "/oauth/revoke",
            data={"token": token, "token_type_hint": "access_token"},
            auth=(client.client_id, client.client_secret),
        )
        assert answer.status_code == 200, answer.text

    def call(
        self, method: str, path: str, token: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.request(method, path, headers=headers, **kwargs)


def admin_gateway(server: Any) -> GatewayClient:
    """A gateway client whose admin token comes from `strata clients create --scopes admin`."""
    admin = server.create_client("admin", name="operator")
    answer = httpx.post(
        f"{server.base_url}/oauth/token",
        data={"grant_type": "client_credentials", "scope": "admin"},
        auth=(admin["client_id"], admin["client_secret"]),
    )
    assert answer.status_code == 200, answer.text
    return GatewayClient(server.base_url, answer.json()["access_token"])


def assert_problem(answer: httpx.Response, status_code: int, kind: str) -> dict[str, Any]:
    """The answer is an RFC 9457 problem of this status and type."""
    assert answer.status_code == status_code, answer.text
    assert answer.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = answer.json()
    assert body["status"] == status_code
    assert body["type"].endswith(f"/{kind}"), body
    return body


# --- probes -------------------------------------------------------------------------------


def served_by(answer: httpx.Response) -> str:
    """Which shipping instance answered a successful call (header and body agree)."""
    assert answer.status_code == 200, answer.text
    instance = answer.headers["x-served-by"]
    assert answer.json()["served_by"] == instance
    return instance


def calls_until_steady(
    gateway: GatewayClient, path: str, token: str, *, streak: int, patience: int = 5
) -> list[tuple[int, str | None]]:
    """GETs until ``streak`` successes in a row, at most ``patience`` calls more; returns
    each call's status and instance."""
    outcomes: list[tuple[int, str | None]] = []
    in_a_row = 0
    while in_a_row < streak and len(outcomes) < streak + patience:
        answer = gateway.call("GET", path, token)
        outcomes.append((answer.status_code, answer.headers.get("x-served-by")))
        in_a_row = in_a_row + 1 if answer.status_code == 200 else 0
    assert in_a_row == streak, f"no {streak} successes in a row: {outcomes}"
    return outcomes


class PageAssets(HTMLParser):
    """Every URL a page loads: stylesheets, icons and scripts."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        url = found.get("src") if tag == "script" else found.get("href") if tag == "link" else None
        if url:
            self.urls.append(url)


class RouteWatch(threading.Thread):
    """Polls a path without a token: 404 while no API is there, 401 once one is routed.
    ``routed_at`` is the wall-clock time the route was first seen."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.unrouted_seen = threading.Event()
        self.routed_at: float | None = None
        self.stop = threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=5) as http:
            while not self.stop.is_set():
                answer = http.get(self.url)
                if answer.status_code == 404:
                    self.unrouted_seen.set()
                elif answer.status_code == 401:
                    self.routed_at = time.time()
                    return
                time.sleep(0.02)


# --- PostgreSQL and Redis for scale-out ------------------------------------------------


def unavailable(message: str) -> NoReturn:
    """Fails (when services are required, as in CI) or skips, with the reason."""
    if REQUIRE_SERVICES:
        pytest.fail(message)
    pytest.skip(message + " (set STRATA_TEST_REQUIRE_SERVICES=1 to fail instead)")


def create_postgres_database() -> str:
    """An empty database of its own on the test server; its URL as `strata` takes it."""
    name = f"strata_e2e_{secrets.token_hex(4)}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    url = make_url(POSTGRES_URL).set(drivername="postgresql", database=name)
    return url.render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def ping_redis() -> None:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    finally:
        client.close()


def delete_redis_keys(prefix: str) -> None:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


# Fixtures shared by the acceptance modules (a plugin of tests/conftest.py).


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("acceptance")


@pytest.fixture(scope="module")
def east(workdir: Path) -> Iterator[ServiceProcess]:
    """The first instance of the shipping service."""
    (service,) = start_shipping(workdir, "east")
    try:
        yield service
    finally:
        service.kill()
