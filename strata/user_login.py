"""``strata login --user``: a person signs in, for the APIs that serve people.

The experience APIs answer signed-in customers only, so a client's own token (client
credentials) is refused there. The CLI signs a person in as a native app does (RFC 8252):
authorization code with PKCE, the browser coming back to a listener on a loopback port the
system picks. The public client ``strata-cli`` is registered with
``http://127.0.0.1/callback`` and no port, which matches any port (RFC 8252 7.3).

The session (access and refresh token) is kept in ``user.json`` next to the client profile,
mode 0600. ``strata call --user`` uses it, refreshing the access token (the refresh token
rotates) when it is about to expire or was refused.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import secrets
import sys
import threading
import time
import webbrowser
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

from strata.call import (
    EXIT_HTTP_ERROR,
    EXIT_OK,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    TOKEN_PATH,
    ClientOpener,
    GatewayHttp,
    TokenRefused,
    Unreachable,
    json_object,
)
from strata.credentials import (
    DEFAULT_GATEWAY_URL,
    EXPIRY_MARGIN_SECONDS,
    Configuration,
    CredentialsError,
    checked_gateway_url,
    config_dir,
    write_private_json,
)

CLI_CLIENT_ID = "strata-cli"
CALLBACK_PATH = "/callback"
SESSION_FILE = "user.json"
DEFAULT_USER_SCOPE = "me:read me:write"
SIGN_IN_TIMEOUT_SECONDS = 300.0
NOT_SIGNED_IN = "no one is signed in: run `strata login --user` first"


class SignInFailed(Exception):
    """The sign-in did not give a token; the message says why."""


@dataclass(frozen=True)
class UserSession:
    gateway_url: str
    client_id: str
    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: float
    scope: str


def user_session_path(env: Mapping[str, str]) -> Path:
    return config_dir(env) / SESSION_FILE


def save_user_session(path: Path, session: UserSession) -> None:
    write_private_json(path, asdict(session))


def load_user_session(path: Path) -> UserSession | None:
    try:
        stored = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        raise CredentialsError(
            f"the sign-in {path} cannot be read; run `strata login --user` again"
        ) from None
    try:
        return UserSession(
            gateway_url=str(stored["gateway_url"]),
            client_id=str(stored["client_id"]),
            access_token=str(stored["access_token"]),
            refresh_token=stored.get("refresh_token"),
            expires_at=float(stored["expires_at"]),
            scope=str(stored.get("scope", "")),
        )
    except (KeyError, TypeError, ValueError):
        raise CredentialsError(
            f"the sign-in {path} is incomplete; run `strata login --user` again"
        ) from None


def pkce_pair() -> tuple[str, str]:
    """A code verifier and its S256 challenge (RFC 7636)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


class LoopbackReceiver:
    """Waits on 127.0.0.1 for the browser to come back with the authorization response."""

    def __init__(self) -> None:
        self._answer: dict[str, str] | None = None
        self._arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                params = dict(parse_qsl(parts.query))
                if parts.path != CALLBACK_PATH or not ({"code", "error"} & params.keys()):
                    self.send_error(404)
                    return
                receiver._answer = params
                receiver._arrived.set()
                outcome = "You are signed in" if "code" in params else "Sign-in did not finish"
                page = (
                    f"<!doctype html><title>Strata</title><p>{html.escape(outcome)}. "
                    "You can close this tab and go back to the terminal.</p>"
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, format: str, *args: Any) -> None:
                return  # the terminal is for the user's prompts

        self._server = HTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{CALLBACK_PATH}"

    def __enter__(self) -> LoopbackReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait(self, timeout: float) -> dict[str, str]:
        if not self._arrived.wait(timeout):
            raise SignInFailed(f"no sign-in within {timeout:g} s")
        assert self._answer is not None
        return self._answer


class UserGatewayClient(GatewayHttp):
    """Calls through the gateway as the signed-in user; refreshes the token as needed."""

    def __init__(
        self,
        session_path: Path,
        session: UserSession,
        *,
        gateway_url: str | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(gateway_url or session.gateway_url, transport=transport)
        self.session_path = session_path
        self.session = session
        self.clock = clock

    def token(self, scope: str | None, *, fresh: bool = False) -> str:
        # A user token carries what the user approved at sign-in; ``scope`` cannot widen it.
        if not fresh and self.session.expires_at - EXPIRY_MARGIN_SECONDS > self.clock():
            return self.session.access_token
        if not self.session.refresh_token:
            raise CredentialsError("the sign-in expired: run `strata login --user` again")
        answer = self.post_form(
            TOKEN_PATH,
            {
                "grant_type": "refresh_token",
                "refresh_token": self.session.refresh_token,
                "client_id": self.session.client_id,
            },
        )
        self.session = session_from(answer, self.session, self.clock())
        save_user_session(self.session_path, self.session)
        return self.session.access_token


def session_from(response: httpx.Response, earlier: UserSession, now: float) -> UserSession:
    """The session a token answer gives (a refresh answer may omit the refresh token)."""
    answer = json_object(response)
    access_token, expires_in = answer.get("access_token"), answer.get("expires_in")
    if response.status_code != 200 or not isinstance(access_token, str):
        raise TokenRefused(response, earlier.client_id)
    refresh = answer.get("refresh_token")
    scope = answer.get("scope")
    return UserSession(
        gateway_url=earlier.gateway_url,
        client_id=earlier.client_id,
        access_token=access_token,
        refresh_token=refresh if isinstance(refresh, str) else earlier.refresh_token,
        expires_at=now + (float(expires_in) if isinstance(expires_in, int | float) else 0.0),
        scope=scope if isinstance(scope, str) else earlier.scope,
    )


def _open_in_browser(url: str) -> bool:
    # Without a desktop, webbrowser would start a text browser (lynx, w3m) in this very
    # terminal; the page's address is printed instead.
    desktop = sys.platform in ("darwin", "win32") or any(
        os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY")
    )
    return desktop and webbrowser.open(url)


def sign_in(
    gateway_url: str,
    *,
    scope: str = DEFAULT_USER_SCOPE,
    client_id: str = CLI_CLIENT_ID,
    announce: Callable[[str], None],
    open_browser: bool = True,
    timeout: float = SIGN_IN_TIMEOUT_SECONDS,
    transport: httpx.BaseTransport | None = None,
    clock: Callable[[], float] = time.time,
) -> UserSession:
    """Signs a person in through their browser; returns the new session (not yet saved)."""
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(24)
    with LoopbackReceiver() as receiver:
        query = urlencode(
            {
                "response_type": "code",
                "client_id": client_id,
                "redirect_uri": receiver.redirect_uri,
                "scope": scope,
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        url = f"{gateway_url}/oauth/authorize?{query}"
        opening = open_browser and _open_in_browser(url)
        announce(
            "Sign in on this page"
            + (" (opened in your browser):" if opening else ", opened in a browser:")
        )
        announce(url)
        answer = receiver.wait(timeout)
        redirect_uri = receiver.redirect_uri
    if not secrets.compare_digest(answer.get("state", ""), state):
        raise SignInFailed("the browser came back with another sign-in's state; try again")
    if "error" in answer:
        description = answer.get("error_description")
        reason = f"{answer['error']}: {description}" if description else answer["error"]
        raise SignInFailed(f"the sign-in ended without a token ({reason})")
    http = GatewayHttp(gateway_url, transport=transport)
    try:
        response = http.post_form(
            TOKEN_PATH,
            {
                "grant_type": "authorization_code",
                "code": answer["code"],
                "redirect_uri": redirect_uri,
                "client_id": client_id,
                "code_verifier": verifier,
            },
        )
    finally:
        http.close()
    started = UserSession(gateway_url, client_id, "", None, 0.0, scope)
    return session_from(response, started, clock())


def signed_in_user(
    env: Mapping[str, str],
    *,
    transport: httpx.BaseTransport | None = None,
    clock: Callable[[], float] = time.time,
) -> ClientOpener:
    """Opens clients that call as the signed-in user: the gateway of ``--gateway`` or
    ``STRATA_GATEWAY_URL`` if given, else the one they signed in at."""

    def open_client(configuration: Configuration) -> GatewayHttp:
        path = user_session_path(env)
        session = load_user_session(path)
        if session is None:
            raise CredentialsError(NOT_SIGNED_IN)
        gateway = configuration.connection.gateway or env.get("STRATA_GATEWAY_URL")
        return UserGatewayClient(
            path,
            session,
            gateway_url=checked_gateway_url(gateway, "the gateway") if gateway else None,
            transport=transport,
            clock=clock,
        )

    return open_client


def login_user(
    gateway: str | None,
    *,
    scope: str,
    open_browser: bool,
    env: Mapping[str, str],
    announce: Callable[[str], None],
    transport: httpx.BaseTransport | None = None,
    timeout: float = SIGN_IN_TIMEOUT_SECONDS,
) -> int:
    """Runs ``strata login --user``: signs a person in and saves the session; the exit
    status as ``strata call`` gives it."""
    try:
        gateway_url = checked_gateway_url(
            gateway or env.get("STRATA_GATEWAY_URL") or DEFAULT_GATEWAY_URL, "the gateway"
        )
        session = sign_in(
            gateway_url,
            scope=scope,
            announce=announce,
            open_browser=open_browser,
            timeout=timeout,
            transport=transport,
        )
        path = user_session_path(env)
        save_user_session(path, session)
    except CredentialsError as exc:
        announce(f"strata: {exc}")
        return EXIT_USAGE
    except (SignInFailed, TokenRefused) as exc:
        announce(f"strata: {exc}")
        return EXIT_HTTP_ERROR
    except Unreachable as exc:
        announce(f"strata: {exc}")
        return EXIT_UNREACHABLE
    except OSError as exc:
        announce(f"strata: cannot save the sign-in: {exc.strerror}")
        return EXIT_USAGE
    announce(f"signed in ({session.scope}); saved to {path}")
    return EXIT_OK
