"""`strata serve` as a user runs it: a real process on a loopback port."""

from __future__ import annotations

import base64
import json
import os
import secrets
import select
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support_server import STRATA, Server, free_port, start_server, stop
from tests.support_sockets import closed_by_server, problem_of, read_response


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


def test_backend_faults_need_an_admin_token_and_show_as_problems(
    server: Server,
    token: str,
) -> None:
    faults_url = f"{server.base_url}/backends/erp/_admin/faults"
    assert httpx.put(faults_url, json={"outage": True}).status_code == 401
    # A token for the system APIs is not for the gateway's own endpoints at all...
    assert (
        httpx.put(
            faults_url, json={"outage": True}, headers={"Authorization": f"Bearer {token}"}
        ).status_code
        == 401
    )
    # ...and one for the gateway without the admin scope is not enough.
    gateway_token = {"Authorization": f"Bearer {server.token('metrics:read')}"}
    assert httpx.put(faults_url, json={"outage": True}, headers=gateway_token).status_code == 403
    admin = {"Authorization": f"Bearer {server.token('admin')}"}
    assert httpx.put(faults_url, json={"outage": True}, headers=admin).status_code == 200
    try:
        response = server.get("/system/erp/v1/orders", token, customer_id="001Dn0000000002IAA")
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["system"] == "erp"
    finally:
        assert httpx.delete(faults_url, headers=admin).status_code == 200
    response = server.get("/system/erp/v1/orders", token, customer_id="001Dn0000000002IAA")
    assert response.status_code == 200


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


def _connect(server: Server) -> socket.socket:
    host, port = server.base_url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def test_a_64_kib_header_is_refused_with_431_and_closed(server: Server) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 65_536 + b"\r\n\r\n")
        response = read_response(sock)
        assert response.startswith(b"HTTP/1.1 431 "), response[:200]
        assert problem_of(response)["limit_bytes"] == 32_768
        assert closed_by_server(sock)


def test_a_declared_huge_body_to_the_gateway_is_413_and_closed(server: Server) -> None:
    with _connect(server) as sock:
        sock.sendall(
            b"POST /oauth/token HTTP/1.1\r\nHost: t\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 52428800\r\n\r\n" + b"a" * 65_536
        )
        response = read_response(sock)
        assert response.startswith(b"HTTP/1.1 413 "), response[:200]
        assert b"\r\nconnection: close\r\n" in response.lower()
        assert problem_of(response)["limit_bytes"] == 1_048_576
        assert closed_by_server(sock)


def _send_chunked(sock: socket.socket, path: bytes, content_type: bytes) -> bytes:
    """Sends a chunked body of up to 4 MiB (four times the limit) until the server answers;
    the answer."""
    sock.sendall(
        b"POST " + path + b" HTTP/1.1\r\nHost: t\r\nContent-Type: " + content_type + b"\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"%x\r\n%s\r\n" % (65_536, b"a" * 65_536)
    for _ in range(64):
        try:
            sock.sendall(chunk)
        except OSError:  # closed after its answer, with what was sent still unread
            break
        if select.select([sock], [], [], 0)[0]:
            break
    return read_response(sock)


def test_a_chunked_body_past_the_limit_is_413_and_closed(server: Server) -> None:
    with _connect(server) as sock:
        response = _send_chunked(sock, b"/admin/apis", b"application/json")
        assert response.startswith(b"HTTP/1.1 413 "), response[:200]
        assert b"\r\nconnection: close\r\n" in response.lower()
        assert closed_by_server(sock)


def test_an_oauth_form_past_its_own_limit_is_refused_and_closed(server: Server) -> None:
    with _connect(server) as sock:
        response = _send_chunked(sock, b"/oauth/token", b"application/x-www-form-urlencoded")
        assert response.startswith(b"HTTP/1.1 400 "), response[:200]
        assert b'"error":"invalid_request"' in response
        assert b"\r\nconnection: close\r\n" in response.lower()
        assert closed_by_server(sock)


def test_metrics_need_a_metrics_read_token(server: Server) -> None:
    assert httpx.get(f"{server.base_url}/metrics").status_code == 401
    admin = {"Authorization": f"Bearer {server.token('admin')}"}
    assert httpx.get(f"{server.base_url}/metrics", headers=admin).status_code == 403
    scraper = {"Authorization": f"Bearer {server.token('metrics:read')}"}
    scraped = httpx.get(f"{server.base_url}/metrics", headers=scraper)
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")


def test_readiness_stays_public(server: Server) -> None:
    response = httpx.get(f"{server.base_url}/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"


def test_every_html_page_has_a_policy(server: Server) -> None:
    admin = {"Authorization": f"Bearer {server.token('admin')}"}
    pages = {
        "/docs": {},
        "/apis/crm/docs": {},
        "/apis/_assets/oauth2-redirect.html": {},
        "/portal": {},
        "/app": {},
        "/backends/inventory/docs": admin,  # the stand-in's own framework page
    }
    for path, headers in pages.items():
        response = httpx.get(server.base_url + path, headers=headers)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/html"), path
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], path
        assert response.headers["x-frame-options"] == "DENY", path


def claims(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    decoded: dict[str, object] = json.loads(base64.urlsafe_b64decode(payload + "==="))
    return decoded


def _sign_in_page(server: Server, client_id: str, redirect_uri: str, scope: str) -> httpx.Response:
    """The authorization endpoint's answer to an app asking to return to ``redirect_uri``."""
    return httpx.get(
        f"{server.base_url}/oauth/authorize",
        params={
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": scope,
            "state": "s",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHoeRvt0vU8Y0L2-0szwI7M",
            "code_challenge_method": "S256",
        },
    )


def test_a_start_on_another_port_moves_the_issuer_and_the_apps_redirects(
    tmp_path: Path,
) -> None:
    first = start_server(tmp_path, name="first")  # seeds the apps on its own port
    stop(first)
    second = start_server(tmp_path, name="second")
    try:
        metadata = httpx.get(f"{second.base_url}/.well-known/oauth-authorization-server").json()
        assert metadata["issuer"] == second.base_url
        assert metadata["authorization_endpoint"] == f"{second.base_url}/oauth/authorize"
        assert second.base_url not in (first.base_url, "http://127.0.0.1:8000")
        returns = {
            "strata-web": ("/app/callback", "me:read"),
            "strata-docs": ("/apis/_assets/oauth2-redirect.html", "crm:read"),
            "strata-portal": ("/portal/callback", "apps:read"),
        }
        for client_id, (path, scope) in returns.items():
            page = _sign_in_page(second, client_id, second.base_url + path, scope)
            assert page.status_code == 200, (client_id, page.text)
            assert 'id="username"' in page.text
            before = _sign_in_page(second, client_id, first.base_url + path, scope)
            assert before.status_code == 400, client_id
        token = second.token("crm:read")
        assert claims(token)["iss"] == second.base_url
        assert claims(token)["aud"] == f"{second.base_url}/system/crm/v1"
    finally:
        stop(second)
    assert "redirect URIs follow the issuer" in second.logs()


def _serve_once(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [STRATA, "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
    )


def test_a_wrong_secret_stops_the_start_with_one_line_and_exit_2(tmp_path: Path) -> None:
    first = start_server(tmp_path)  # its signing key is encrypted with the secret file's key
    stop(first)
    other_secret = secrets.token_urlsafe(32)

    result = _serve_once({**first.env, "STRATA_OAUTH__SECRET_KEY": other_secret}, tmp_path)

    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("strata: signing key ")
    assert "cannot be decrypted" in lines[0] and "STRATA_OAUTH__SECRET_KEY" in lines[0]
    assert other_secret not in lines[0]


def test_a_secret_key_in_another_encoding_stops_the_start_with_one_line(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "STRATA_OAUTH__SECRET_KEY": "my old passphrase, long enough"}
    result = _serve_once(env, tmp_path)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("strata: invalid setting STRATA_OAUTH__SECRET_KEY: ")
    assert "secrets.token_urlsafe(32)" in lines[0]
