"""`strata login --user` and `strata call --user`: a person signs in through the browser
(authorization code with PKCE, back to a loopback listener) and calls the experience APIs."""

from __future__ import annotations

import io
import re
import threading

import httpx

from commands.support import (
    GATEWAY,
    Assembled,
    Cli,
    Outcome,
    claims,
    mode_of,
)
from strata.call import EXIT_HTTP_ERROR, EXIT_OK, EXIT_USAGE, CallRequest, Streams, call
from strata.credentials import Connection
from strata.user_login import load_user_session, login_user, signed_in_user, user_session_path

LOGIN_FORM_ID = re.compile(r'name="request_id" value="([^"]+)"')


class Browser:
    """What the person does in their browser: sign in on the page the CLI printed, approve
    (or deny), and follow the redirect back to the CLI's loopback listener."""

    def __init__(self, assembled: Assembled, *, decision: str = "allow", tamper: bool = False):
        self.assembled = assembled
        self.decision = decision
        self.tamper = tamper
        self.threads: list[threading.Thread] = []
        self.errors: list[BaseException] = []

    def announce(self, line: str) -> None:
        if line.startswith(f"{GATEWAY}/oauth/authorize?"):
            thread = threading.Thread(target=self._sign_in, args=(line,), daemon=True)
            self.threads.append(thread)
            thread.start()

    def _sign_in(self, url: str) -> None:
        try:
            with httpx.Client(transport=self.assembled.transport()) as http:
                page = http.get(url)
                found = LOGIN_FORM_ID.search(page.text)
                assert found, page.text
                answer = http.post(
                    f"{GATEWAY}/oauth/authorize",
                    data={
                        "request_id": found.group(1),
                        "username": "eli",
                        "password": "eli-demo-password",
                        "decision": self.decision,
                    },
                )
            location = answer.headers["location"]
            assert location.startswith("http://127.0.0.1:"), location
            if self.tamper:
                location = re.sub(r"state=[^&]+", "state=not-the-one-sent", location)
            httpx.get(location, timeout=10)  # the CLI's own listener
        except BaseException as exc:  # surfaced by the test
            self.errors.append(exc)


def log_in(cli: Cli, browser: Browser) -> Outcome:
    lines: list[str] = []

    def announce(line: str) -> None:
        lines.append(line)
        browser.announce(line)

    status = login_user(
        None,
        scope="me:read me:write",
        open_browser=False,
        env=cli.env,
        announce=announce,
        transport=cli.transport,
        timeout=30,
    )
    for thread in browser.threads:
        thread.join(timeout=30)
    assert not browser.errors, browser.errors
    return Outcome(status, "", "\n".join(lines))


def call_as_user(cli: Cli, method: str, path: str) -> Outcome:
    out, err = io.StringIO(), io.StringIO()
    status = call(
        CallRequest(method, path),
        Connection(),
        env=cli.env,
        streams=Streams(io.StringIO(), out, err),
        cache_factory=cli.cache,
        open_client=signed_in_user(cli.env, transport=cli.transport, clock=cli.clock),
    )
    return Outcome(status, out.getvalue(), err.getvalue())


def test_a_person_signs_in_and_calls_an_experience_api(assembled: Assembled, cli: Cli) -> None:
    signed_in = log_in(cli, Browser(assembled))

    assert signed_in.status == EXIT_OK, signed_in.stderr
    path = user_session_path(cli.env)
    assert mode_of(path) == 0o600
    session = load_user_session(path)
    assert session is not None and session.refresh_token
    token_claims = claims(session.access_token)
    assert token_claims["client_id"] == "strata-cli"
    assert token_claims["username"] == "eli"
    assert session.access_token not in signed_in.stderr

    answer = call_as_user(cli, "GET", "/experience/web/v1/dashboard")

    assert answer.status == EXIT_OK, answer.stdout + answer.stderr
    assert answer.json()["customer"]["id"] == token_claims["customer_id"]


def test_an_expiring_token_is_refreshed_and_the_refresh_token_rotates(
    assembled: Assembled, cli: Cli
) -> None:
    assert log_in(cli, Browser(assembled)).status == EXIT_OK
    before = load_user_session(user_session_path(cli.env))
    assert before is not None
    cli.clock.now = before.expires_at - 10  # inside the margin: refresh first

    answer = call_as_user(cli, "GET", "/experience/web/v1/dashboard")

    assert answer.status == EXIT_OK, answer.stdout + answer.stderr
    after = load_user_session(user_session_path(cli.env))
    assert after is not None
    assert after.access_token != before.access_token
    assert after.refresh_token != before.refresh_token
    assert claims(after.access_token)["sub"] == claims(before.access_token)["sub"]


def test_a_denied_or_forged_sign_in_saves_nothing(assembled: Assembled, cli: Cli) -> None:
    denied = log_in(cli, Browser(assembled, decision="deny"))
    forged = log_in(cli, Browser(assembled, tamper=True))

    assert denied.status == forged.status == EXIT_HTTP_ERROR
    assert "access_denied" in denied.stderr
    assert "state" in forged.stderr
    assert not user_session_path(cli.env).exists()


def test_calling_as_a_user_before_signing_in_says_how(cli: Cli) -> None:
    answer = call_as_user(cli, "GET", "/experience/web/v1/dashboard")

    assert answer.status == EXIT_USAGE
    assert "strata login --user" in answer.stderr
