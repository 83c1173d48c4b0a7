"""Cross-origin access in a real browser: a page from another loopback origin, listed in
``STRATA_CORS__ORIGINS``, gets a token with ``fetch`` (its Basic credentials make Chromium
send a preflight), calls a built-in API with it and reads the exposed headers; the same page
from an origin that is not listed cannot read either answer."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from browser.support import Tab
from tests.support_server import Server, free_port, start_server, stop

SCOPES = "crm:read"
PAGE = "<!doctype html><title>elsewhere</title><p>An app on another origin.</p>"
# Runs in the page: the token request, then the API call with the token, as an app would.
CALLS = """async ([gateway, clientId, secret, scope]) => {
  const answer = {};
  try {
    const issued = await fetch(gateway + "/oauth/token", {
      method: "POST",
      headers: {"Authorization": "Basic " + btoa(clientId + ":" + secret)},
      body: new URLSearchParams({grant_type: "client_credentials", scope}),
    });
    answer.token_status = issued.status;
    const token = (await issued.json()).access_token;
    const customers = await fetch(gateway + "/system/crm/v1/customers?limit=1", {
      headers: {"Authorization": "Bearer " + token},
    });
    answer.api_status = customers.status;
    answer.remaining = customers.headers.get("RateLimit-Remaining");
    answer.request_id = customers.headers.get("X-Request-ID");
    const refused = await fetch(gateway + "/system/crm/v1/customers");
    answer.refused_status = refused.status;
    answer.challenge = refused.headers.get("WWW-Authenticate");
  } catch (error) {
    answer.error = String(error);
  }
  return answer;
}"""


class _PageHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = PAGE.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test output is for failures."""


def _page_server() -> Iterator[str]:
    # A real loopback server: Chromium lets a page it loaded from loopback call loopback.
    server = ThreadingHTTPServer(("127.0.0.1", 0), _PageHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def app_origin() -> Iterator[str]:
    """The origin of the app's page, listed in ``STRATA_CORS__ORIGINS``."""
    yield from _page_server()


@pytest.fixture
def other_origin() -> Iterator[str]:
    """The same page at an origin that is not listed."""
    yield from _page_server()


@pytest.fixture
def cors_server(chromium: str, tmp_path: Path, app_origin: str) -> Iterator[Server]:
    port = free_port()
    env = {
        "STRATA_OAUTH__ISSUER": f"http://127.0.0.1:{port}",
        "STRATA_CORS__ORIGINS": json.dumps([app_origin]),
    }
    server = start_server(tmp_path, env, name="cors", port=port)
    try:
        yield server
    finally:
        stop(server)


def calls_from(tab: Tab, origin: str, server: Server) -> dict[str, Any]:
    """Opens the page at ``origin`` and runs the app's calls there."""
    tab.page.goto(f"{origin}/app.html")
    client = server.create_client(SCOPES, name="browser-app")
    answer: dict[str, Any] = tab.page.evaluate(
        CALLS, [server.base_url, client["client_id"], client["client_secret"], SCOPES]
    )
    return answer


def test_a_page_on_a_listed_origin_gets_a_token_and_calls_an_api(
    tab: Tab, cors_server: Server, app_origin: str
):
    answer = calls_from(tab, app_origin, cors_server)

    assert "error" not in answer, (answer, tab.errors.seen)
    assert answer["token_status"] == 200
    assert answer["api_status"] == 200
    assert answer["remaining"] is not None and int(answer["remaining"]) >= 0
    assert answer["request_id"]
    assert answer["refused_status"] == 401
    assert answer["challenge"].startswith("Bearer")


def test_a_page_on_another_origin_cannot_read_the_answers(
    tab: Tab, cors_server: Server, other_origin: str
):
    answer = calls_from(tab, other_origin, cors_server)

    assert "Failed to fetch" in answer.get("error", ""), answer
    assert "token_status" not in answer
