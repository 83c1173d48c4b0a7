"""`strata call` and `strata login`: a script's client for the gateway.

Most tests run the command's code against an assembled Strata in this process: the Strata
runs on an event loop of its own thread, and the command's synchronous httpx client reaches it
through a transport that hands each request to that loop (and counts what it carried). One
test runs the real `strata` executables against a real `strata serve`.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

import httpx
import pytest

from commands.support import Assembled, Cli, claims, mode_of
from strata.credentials import ClientCredentials, Connection
from tests.support_server import STRATA, free_port, start_server, stop

CUSTOMERS = "/system/crm/v1/customers?limit=2"
TOKEN_PATH = "/oauth/token"


def only_token(cli: Cli) -> str:
    (entry,) = cli.cached().values()
    token: str = entry["access_token"]
    return token


# --- calls and the token cache ----------------------------------------------------------------


def test_a_call_prints_the_answer_and_its_token_is_reused(
    cli: Cli, reader: ClientCredentials
) -> None:
    first = cli.call("GET", CUSTOMERS, connection=cli.as_client(reader))

    assert first.status == 0, first.stderr
    page = first.json()
    assert len(page["items"]) == 2
    assert first.stdout == json.dumps(page, indent=2, ensure_ascii=False) + "\n"
    token = only_token(cli)
    assert claims(token)["client_id"] == reader.client_id
    assert mode_of(cli.cache_file) == 0o600

    second = cli.call("GET", CUSTOMERS, connection=cli.as_client(reader))
    assert second.status == 0
    assert cli.transport is not None
    assert cli.transport.paths(TOKEN_PATH) == 1
    assert cli.transport.paths("/system/crm/v1/customers") == 2
    assert only_token(cli) == token
    for shown in (first.stdout, first.stderr, second.stdout, second.stderr):
        assert reader.client_secret not in shown and token not in shown
    assert reader.client_secret not in cli.cache_file.read_text()


def test_a_token_near_its_expiry_is_replaced(cli: Cli, reader: ClientCredentials) -> None:
    connection = cli.as_client(reader)
    assert cli.call("GET", CUSTOMERS, connection=connection).status == 0
    first = only_token(cli)
    expires_at = next(iter(cli.cached().values()))["expires_at"]
    assert expires_at == cli.clock.now + 900  # the gateway's access token lifetime

    cli.clock.now = expires_at - 31
    assert cli.call("GET", CUSTOMERS, connection=connection).status == 0
    assert only_token(cli) == first
    cli.clock.now = expires_at - 29
    assert cli.call("GET", CUSTOMERS, connection=connection).status == 0

    assert cli.transport is not None and cli.transport.paths(TOKEN_PATH) == 2
    assert claims(only_token(cli))["jti"] != claims(first)["jti"]


def test_a_revoked_token_is_replaced_and_the_call_retried_once(
    assembled: Assembled, cli: Cli, reader: ClientCredentials
) -> None:
    connection = cli.as_client(reader)
    assert cli.call("GET", CUSTOMERS, connection=connection).status == 0
    revoked = only_token(cli)
    assembled.revoke(reader, revoked)

    again = cli.call("GET", CUSTOMERS, connection=connection)

    assert again.status == 0, again.stdout
    assert len(again.json()["items"]) == 2
    assert cli.transport is not None
    assert cli.transport.paths(TOKEN_PATH) == 2
    assert cli.transport.paths("/system/crm/v1/customers") == 3  # ok, refused, retried
    assert only_token(cli) != revoked


def test_a_token_refused_again_is_not_retried_twice(
    assembled: Assembled, cli: Cli, reader: ClientCredentials
) -> None:
    def revoke_each_new_token(request: httpx.Request, response: httpx.Response) -> None:
        if request.url.path == TOKEN_PATH and response.status_code == 200:
            assembled.revoke(reader, response.json()["access_token"])

    assert cli.transport is not None
    cli.transport.after = revoke_each_new_token

    refused = cli.call("GET", CUSTOMERS, connection=cli.as_client(reader))

    assert refused.status == 1
    assert refused.json()["status"] == 401
    assert cli.transport.paths(TOKEN_PATH) == 2
    assert cli.transport.paths("/system/crm/v1/customers") == 2


def test_each_scope_asked_for_has_its_own_token(cli: Cli, reader: ClientCredentials) -> None:
    connection = cli.as_client(reader)
    assert cli.call("GET", CUSTOMERS, connection=connection).status == 0
    assert cli.call("GET", CUSTOMERS, connection=connection, scope="crm:read").status == 0
    scopes = sorted(entry["scope"] for entry in cli.cached().values())
    assert scopes == ["crm:read", "crm:read crm:write"]


def test_an_unreadable_cache_is_replaced(cli: Cli, reader: ClientCredentials) -> None:
    cli.cache_file.parent.mkdir(parents=True)
    cli.cache_file.write_text("{ not json")
    os.chmod(cli.cache_file, 0o644)
    assert cli.call("GET", CUSTOMERS, connection=cli.as_client(reader)).status == 0
    assert claims(only_token(cli))["client_id"] == reader.client_id
    assert mode_of(cli.cache_file) == 0o600


def test_a_cache_that_cannot_be_written_is_a_usage_error(
    assembled: Assembled, tmp_path: Path, reader: ClientCredentials
) -> None:
    not_a_directory = tmp_path / "cache-is-a-file"
    not_a_directory.write_text("")
    cli = Cli(tmp_path, assembled.transport(), env={"STRATA_CACHE_DIR": str(not_a_directory)})
    outcome = cli.call("GET", CUSTOMERS, connection=cli.as_client(reader))
    assert outcome.status == 2
    assert f"cannot write the token cache {not_a_directory / 'tokens.json'}" in outcome.stderr
    assert "STRATA_CACHE_DIR" in outcome.stderr


# --- what is sent and what is printed ---------------------------------------------------------


def test_a_body_headers_and_an_idempotency_key_are_sent(
    cli: Cli, reader: ClientCredentials, tmp_path: Path
) -> None:
    body = tmp_path / "customer.json"
    body.write_text(json.dumps({"name": "Strata CLI Test Co", "kind": "company"}))

    made = cli.call(
        "post",
        "/system/crm/v1/customers",
        connection=cli.as_client(reader),
        data=f"@{body}",
        headers=["X-Trace-Note: from the cli test"],
        idempotency_key="auto",
        include=True,
    )

    assert made.status == 0, made.stdout
    customer = made.json()
    assert customer["name"] == "Strata CLI Test Co"
    assert made.stderr.startswith("HTTP/1.1 201 Created\n")
    assert "content-type: application/json" in made.stderr.lower()
    assert cli.transport is not None
    sent = cli.transport.requests[-1]
    assert sent.method == "POST"
    assert sent.headers["content-type"] == "application/json"
    assert sent.headers["x-trace-note"] == "from the cli test"
    assert len(sent.headers["idempotency-key"]) == 36  # a UUID
    fetched = cli.call(
        "GET", f"/system/crm/v1/customers/{customer['id']}", connection=cli.as_client(reader)
    )
    assert fetched.status == 0
    assert fetched.json()["name"] == "Strata CLI Test Co"


def test_stdin_is_a_body_too(cli: Cli, reader: ClientCredentials) -> None:
    made = cli.call(
        "POST",
        "/system/crm/v1/customers",
        connection=cli.as_client(reader),
        data="@-",
        stdin='{"name": "From Stdin Ltd", "kind": "company"}',
        idempotency_key="stdin-1",
    )
    assert made.status == 0, made.stdout
    assert made.json()["name"] == "From Stdin Ltd"
    assert cli.transport is not None
    assert cli.transport.requests[-1].headers["idempotency-key"] == "stdin-1"


def test_a_client_error_exits_1_and_prints_the_problem(
    assembled: Assembled, cli: Cli, reader: ClientCredentials
) -> None:
    # A token for the CRM API (crm:write) that cannot read it.
    write_only = assembled.client("crm:write")
    refused = cli.call("GET", CUSTOMERS, connection=cli.as_client(write_only))
    assert refused.status == 1
    problem = refused.json()
    assert problem["status"] == 403
    assert "crm:read" in json.dumps(problem)

    missing = cli.call(
        "GET", "/system/crm/v1/customers/001Dn00000000ZZZZZZ", connection=cli.as_client(reader)
    )
    assert missing.status == 1
    assert missing.json()["status"] == 404


def test_a_non_json_answer_is_printed_as_text(cli: Cli, reader: ClientCredentials) -> None:
    page = cli.call("GET", "/apis/crm/docs", connection=cli.as_client(reader))
    assert page.status == 0, page.stderr
    assert page.stdout.lstrip().lower().startswith("<!doctype html")


@pytest.mark.parametrize(
    ("data", "stdin", "said"),
    [
        ("{not json", "", "--data is not valid JSON"),
        ("@-", '{"name": ', "stdin is not valid JSON"),
        ("@missing.json", "", "cannot read --data file missing.json"),
    ],
)
def test_a_body_that_is_not_json_exits_2_and_sends_nothing(
    cli: Cli, reader: ClientCredentials, data: str, stdin: str, said: str
) -> None:
    outcome = cli.call(
        "POST",
        "/system/crm/v1/customers",
        connection=cli.as_client(reader),
        data=data,
        stdin=stdin,
    )
    assert outcome.status == 2
    assert said in outcome.stderr
    assert outcome.stdout == ""
    assert cli.transport is not None and cli.transport.requests == []


@pytest.mark.parametrize(
    ("method", "path", "headers", "said"),
    [
        ("GET", "system/crm/v1/customers", [], "PATH must start with a single '/'"),
        ("GET", "//elsewhere.example/steal", [], "PATH must start with a single '/'"),
        ("GET ME", "/healthz", [], "is not an HTTP method"),
        ("GET", "/healthz", ["no colon"], "is not 'Name: value'"),
        ("GET", "/healthz", ["Authorization: Bearer mine"], "sets this header itself"),
    ],
)
def test_a_bad_command_line_exits_2_and_sends_nothing(
    cli: Cli,
    reader: ClientCredentials,
    method: str,
    path: str,
    headers: list[str],
    said: str,
) -> None:
    outcome = cli.call(method, path, connection=cli.as_client(reader), headers=headers)
    assert outcome.status == 2
    assert said in outcome.stderr
    assert cli.transport is not None and cli.transport.requests == []


def test_an_unreachable_gateway_exits_3_naming_it(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    cli = Cli(tmp_path, transport=None, env={"STRATA_GATEWAY_URL": url})
    outcome = cli.call("GET", "/healthz", connection=Connection(client_id="a", client_secret="b"))
    assert outcome.status == 3
    assert f"cannot reach the gateway at {url}" in outcome.stderr


def test_a_wrong_secret_exits_1_with_the_token_endpoint_answer(
    cli: Cli, reader: ClientCredentials
) -> None:
    wrong = Connection(client_id=reader.client_id, client_secret="not-the-secret")
    outcome = cli.call("GET", CUSTOMERS, connection=wrong)
    assert outcome.status == 1
    assert outcome.json()["error"] == "invalid_client"
    assert f"gave client {reader.client_id} no token" in outcome.stderr
    assert "not-the-secret" not in outcome.stdout + outcome.stderr
    assert not cli.cache_file.exists()


# --- the real commands against a real server --------------------------------------------------


def run_strata(
    env: Mapping[str, str], *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [STRATA, *args], env=dict(env), input=stdin, capture_output=True, text=True, timeout=60
    )


def test_strata_call_end_to_end_against_strata_serve(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    try:
        env = {
            **server.env,
            "STRATA_CONFIG_DIR": str(tmp_path / "config"),
            "STRATA_CACHE_DIR": str(tmp_path / "cache"),
            "STRATA_GATEWAY_URL": server.base_url,
        }
        for name in ("STRATA_CLIENT_ID", "STRATA_CLIENT_SECRET"):
            env.pop(name, None)
        created = run_strata(
            env, "clients", "create", "--name", "cli-e2e", "--scopes", "crm:read", "--save"
        )
        assert created.returncode == 0, created.stderr
        client = json.loads(created.stdout)
        profile = tmp_path / "config" / "client.json"
        assert mode_of(profile) == 0o600
        assert json.loads(profile.read_text())["client_id"] == client["client_id"]

        first = run_strata(env, "call", "GET", CUSTOMERS)
        assert first.returncode == 0, first.stderr
        assert len(json.loads(first.stdout)["items"]) == 2
        cache = tmp_path / "cache" / "tokens.json"
        assert mode_of(cache) == 0o600
        cached_text = cache.read_text()
        (entry,) = json.loads(cached_text).values()
        jti = claims(entry["access_token"])["jti"]

        second = run_strata(env, "call", "GET", CUSTOMERS, "-i")
        assert second.returncode == 0, second.stderr
        assert second.stderr.startswith("HTTP/1.1 200 OK")
        assert cache.read_text() == cached_text  # no new token was fetched or stored
        (entry,) = json.loads(cache.read_text()).values()
        assert claims(entry["access_token"])["jti"] == jti
        for shown in (first.stdout, first.stderr, second.stdout, second.stderr):
            assert client["client_secret"] not in shown and entry["access_token"] not in shown

        missing = run_strata(env, "call", "GET", "/system/crm/v1/customers/001Dn00000000ZZZZZZ")
        assert missing.returncode == 1
        assert json.loads(missing.stdout)["status"] in (404, 422)
    finally:
        stop(server)
    gone = run_strata(env, "call", "GET", CUSTOMERS)
    assert gone.returncode == 3
    assert server.base_url in gone.stderr
