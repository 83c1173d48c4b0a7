"""`strata serve` as a user runs it: a real process on a loopback port."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

STRATA = str(Path(sys.executable).with_name("strata"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(
        self,
        process: subprocess.Popen[str],
        base_url: str,
        log: Path,
        env: dict[str, str],
    ) -> None:
        self.process = process
        self.base_url = base_url
        self.log = log
        self.env = env

    def logs(self) -> str:
        return self.log.read_text()

    def token(self, scopes: str) -> str:
        """A client-credentials token, for a client made with `strata clients create`."""
        created = subprocess.run(
            [STRATA, "clients", "create", "--name", "serve-test", "--scopes", scopes],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        client = json.loads(created.stdout)
        response = httpx.post(
            f"{self.base_url}/oauth/token",
            data={"grant_type": "client_credentials", "scope": scopes},
            auth=(client["client_id"], client["client_secret"]),
        )
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def get(self, path: str, token: str, **params: object) -> httpx.Response:
        return httpx.get(
            self.base_url + path,
            params=params,
            headers={"Authorization": f"Bearer {token}"},
        )


def start_server(tmp_path: Path, env: dict[str, str] | None = None) -> Server:
    port = free_port()
    log = tmp_path / "serve.log"
    environment = {
        **os.environ,
        "STRATA_DATABASE_URL": f"sqlite:///{tmp_path / 'strata.db'}",
        "STRATA_LOG_FORMAT": "json",
        **(env or {}),
    }
    process = subprocess.Popen(
        [STRATA, "serve", "--port", str(port)],
        env=environment,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"strata serve exited early:\n{log.read_text()}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return Server(process, base_url, log, environment)
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    raise AssertionError(f"strata serve did not become ready:\n{log.read_text()}")


def stop(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("serve"))
    try:
        yield running
    finally:
        stop(running)


def test_seeds_an_empty_database_and_says_so(server: Server) -> None:
    assert "seeded demo data" in server.logs()


READ_SCOPES = "crm:read erp:read inventory:read"


@pytest.fixture(scope="module")
def token(server: Server) -> str:
    return server.token(READ_SCOPES)


def test_system_apis_need_a_token(server: Server) -> None:
    response = httpx.get(f"{server.base_url}/system/crm/v1/customers")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_serves_seeded_customers_in_the_canonical_model(server: Server, token: str) -> None:
    response = server.get("/system/crm/v1/customers", token, limit=5)
    assert response.status_code == 200
    page = response.json()
    assert len(page["items"]) == 5
    customer = page["items"][0]
    assert {"id", "name", "kind", "billing_address", "created_at"} <= customer.keys()
    assert customer["created_at"].endswith(("Z", "+00:00"))
    assert response.headers["x-request-id"]


def test_serves_erp_orders_that_came_from_xml(server: Server, token: str) -> None:
    customers = server.get("/system/crm/v1/customers", token, limit=200)
    ids = [customer["id"] for customer in customers.json()["items"]]
    found = []
    for customer_id in ids[:10]:
        response = server.get("/system/erp/v1/orders", token, customer_id=customer_id)
        assert response.status_code == 200, response.text
        found.extend(response.json()["items"])
    assert found, "the seeded ERP history has orders for the first customers"
    order = found[0]
    assert order["customer_id"] in ids
    assert order["total"]["currency"] == "USD"
    assert isinstance(order["total"]["amount"], str)


def test_serves_stock_per_location(server: Server, token: str) -> None:
    products = server.get("/system/inventory/v1/products", token, limit=1)
    sku = products.json()["items"][0]["sku"]
    response = server.get("/system/inventory/v1/stock", token, sku=sku)
    assert response.status_code == 200, response.text
    body = response.json()
    levels = body["items"] if isinstance(body, dict) else body
    assert len({level["location_id"] for level in levels}) >= 3
    assert all(level["sku"] == sku for level in levels)


def test_unknown_id_is_a_problem_not_a_trace(server: Server, token: str) -> None:
    response = server.get("/system/crm/v1/customers/001Dn00000000ZZZZZZ", token)
    assert response.status_code in (404, 422)
    assert response.headers["content-type"] == "application/problem+json"


def test_restart_keeps_data_and_does_not_seed_again(tmp_path: Path) -> None:
    first = start_server(tmp_path)
    stop(first)
    second = start_server(tmp_path)
    try:
        token = second.token("crm:read")
        customers = second.get("/system/crm/v1/customers", token, limit=200).json()
        assert len(customers["items"]) == 60
    finally:
        stop(second)
    assert second.logs().count("seeded demo data") == 0


def test_a_bad_setting_stops_the_start_with_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [STRATA, "serve"],
        env={**os.environ, "STRATA_PORT": "eighty"},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "STRATA_PORT" in lines[0]
