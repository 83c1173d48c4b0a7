"""``strata call METHOD PATH``: any API through the gateway, from a script, as JSON.

It signs in with a configured client (client credentials), keeps the token in the token
cache until shortly before it expires, and on a 401 that says the token is no longer good
gets a fresh one and tries once more. The answer's body goes to stdout (JSON pretty-printed);
the exit status says how it went: :data:`EXIT_OK` for 2xx/3xx, :data:`EXIT_HTTP_ERROR` for
4xx/5xx, :data:`EXIT_USAGE` for a bad command line or configuration, :data:`EXIT_UNREACHABLE`
when the gateway cannot be reached. Neither the secret nor the token is ever printed.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import httpx

from strata.credentials import (
    CachedToken,
    ClientCredentials,
    Configuration,
    Connection,
    CredentialsError,
    TokenCache,
    checked_gateway_url,
    profile_path,
    save_client,
)

TOKEN_PATH = "/oauth/token"
TIMEOUT_SECONDS = 30.0
EXIT_OK, EXIT_HTTP_ERROR, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3

_METHOD = re.compile(r"^[A-Za-z]{1,20}$")
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_INVALID_TOKEN = re.compile(r'error\s*=\s*"?invalid_token"?', re.IGNORECASE)
_SET_BY_US = {"authorization"}


class UsageError(Exception):
    """A bad command line or configuration (exit 2); nothing was sent."""


class Unreachable(Exception):
    """The gateway did not answer (exit 3)."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"cannot reach the gateway at {url}: {reason}")


class TokenRefused(Exception):
    """The token endpoint said no; its answer is printed like any other (exit 1)."""

    def __init__(self, response: httpx.Response, client_id: str) -> None:
        super().__init__(f"the gateway gave client {client_id} no token ({_error_of(response)})")
        self.response = response


@dataclass(frozen=True)
class CallRequest:
    method: str
    path: str
    data: str | None = None
    headers: Sequence[str] = ()
    scope: str | None = None
    idempotency_key: str | None = None
    include: bool = False


@dataclass(frozen=True)
class Streams:
    stdin: TextIO
    stdout: TextIO
    stderr: TextIO


class GatewayHttp:
    """Calls through the gateway with a bearer token; how the token is got is a subclass's."""

    def __init__(self, gateway_url: str, *, transport: httpx.BaseTransport | None = None) -> None:
        self.gateway_url = gateway_url
        self.http = httpx.Client(transport=transport, timeout=TIMEOUT_SECONDS)

    def close(self) -> None:
        self.http.close()

    def token(self, scope: str | None, *, fresh: bool = False) -> str:
        raise NotImplementedError

    def send(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None,
        headers: list[tuple[str, str]],
        scope: str | None,
    ) -> httpx.Response:
        response = self._send_with(self.token(scope), method, path, body, headers)
        if response.status_code == 401 and _INVALID_TOKEN.search(
            response.headers.get("www-authenticate", "")
        ):
            # Revoked, or signed with a key the gateway no longer trusts: one fresh try.
            response = self._send_with(self.token(scope, fresh=True), method, path, body, headers)
        return response

    def _send_with(
        self,
        token: str,
        method: str,
        path: str,
        body: bytes | None,
        headers: list[tuple[str, str]],
    ) -> httpx.Response:
        request_headers = [*headers, ("Authorization", f"Bearer {token}")]
        return self._request(method, path, content=body, headers=request_headers)

    def post_form(
        self, path: str, form: Mapping[str, str], auth: tuple[str, str] | None = None
    ) -> httpx.Response:
        """A form POST to the gateway (the token endpoint), with no bearer token."""
        return self._request("POST", path, data=dict(form), auth=auth)

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self.http.request(method, self.gateway_url + path, **kwargs)
        except httpx.TransportError as exc:
            raise Unreachable(self.gateway_url, str(exc) or type(exc).__name__) from None


class GatewayClient(GatewayHttp):
    """Calls through the gateway as one client (client credentials), with the token cache."""

    def __init__(
        self,
        gateway_url: str,
        credentials: ClientCredentials,
        cache: TokenCache,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(gateway_url, transport=transport)
        self.credentials = credentials
        self.cache = cache

    def token(self, scope: str | None, *, fresh: bool = False) -> str:
        key = self.cache.key(self.gateway_url, self.credentials.client_id, scope)
        cached = None if fresh else self.cache.get(key)
        if cached is not None:
            return cached.access_token
        issued = self._fetch_token(scope)
        self.cache.put(key, issued)
        return issued.access_token

    def _fetch_token(self, scope: str | None) -> CachedToken:
        form = {"grant_type": "client_credentials"} | ({"scope": scope} if scope else {})
        response = self._request(
            "POST",
            TOKEN_PATH,
            data=form,
            auth=(self.credentials.client_id, self.credentials.client_secret),
        )
        answer = json_object(response)
        access_token, expires_in = answer.get("access_token"), answer.get("expires_in")
        if response.status_code != 200 or not isinstance(access_token, str):
            raise TokenRefused(response, self.credentials.client_id)
        lifetime = float(expires_in) if isinstance(expires_in, int | float) else 0.0
        granted = answer.get("scope")
        return CachedToken(
            access_token,
            self.cache.clock() + lifetime,
            granted if isinstance(granted, str) else scope or "",
        )


def read_data(data: str | None, stdin: TextIO) -> bytes | None:
    """The request body from ``-d``: JSON text, ``@file`` or ``@-`` (stdin); checked to be
    JSON so that a typo is caught before anything is sent."""
    if data is None:
        return None
    if data == "@-":
        text, source = stdin.read(), "stdin"
    elif data.startswith("@"):
        path = Path(data[1:])
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
            raise UsageError(f"cannot read --data file {path}: {reason}") from None
        source = str(path)
    else:
        text, source = data, "--data"
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{source} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}; "
            "nothing was sent"
        ) from None
    return text.encode("utf-8")


def parse_headers(headers: Sequence[str]) -> list[tuple[str, str]]:
    parsed = []
    for header in headers:
        name, colon, value = header.partition(":")
        name, value = name.strip(), value.strip()
        if not colon or not _HEADER_NAME.match(name):
            raise UsageError(f"-H {header!r} is not 'Name: value'")
        if any(ord(c) < 32 and c != "\t" for c in value):
            raise UsageError(f"-H {name}: the value has a control character")
        if name.lower() in _SET_BY_US:
            raise UsageError(f"-H {name}: strata call sets this header itself")
        parsed.append((name, value))
    return parsed


def request_headers(request: CallRequest, has_body: bool) -> list[tuple[str, str]]:
    headers = parse_headers(request.headers)
    names = {name.lower() for name, _ in headers}
    if has_body and "content-type" not in names:
        headers.append(("Content-Type", "application/json"))
    if "accept" not in names:
        headers.append(("Accept", "application/json, application/problem+json;q=0.9, */*;q=0.1"))
    if request.idempotency_key:
        key = str(uuid.uuid4()) if request.idempotency_key == "auto" else request.idempotency_key
        headers.append(("Idempotency-Key", key))
    return headers


def checked_request(request: CallRequest) -> tuple[str, str]:
    if not _METHOD.match(request.method):
        raise UsageError(f"{request.method!r} is not an HTTP method")
    # "//host/..." would leave the gateway (with the token); only paths on it are allowed.
    if not request.path.startswith("/") or request.path.startswith("//"):
        raise UsageError(f"PATH must start with a single '/', got {request.path!r}")
    if any(c.isspace() or ord(c) < 32 for c in request.path):
        raise UsageError("PATH must not contain spaces or control characters")
    return request.method.upper(), request.path


def print_response(response: httpx.Response, include: bool, streams: Streams) -> None:
    if include:
        streams.stderr.write(f"{response.http_version} {response.status_code} ")
        streams.stderr.write(f"{response.reason_phrase}\n")
        for name, value in response.headers.multi_items():
            streams.stderr.write(f"{name}: {value}\n")
        streams.stderr.write("\n")
    if not response.content:
        return
    text = _pretty_json(response) or response.text
    streams.stdout.write(text if text.endswith("\n") else text + "\n")


def _pretty_json(response: httpx.Response) -> str | None:
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    return json.dumps(body, indent=2, ensure_ascii=False)


def json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _error_of(response: httpx.Response) -> str:
    answer = json_object(response)
    error = answer.get("error") or answer.get("title") or f"HTTP {response.status_code}"
    description = answer.get("error_description") or answer.get("detail")
    return f"{error}: {description}" if description else str(error)


ClientOpener = Callable[[Configuration], GatewayHttp]


def _client_credentials(
    cache_factory: Callable[[], TokenCache], transport: httpx.BaseTransport | None
) -> ClientOpener:
    def open_client(configuration: Configuration) -> GatewayHttp:
        gateway_url, credentials = configuration.gateway_url(), configuration.credentials()
        return GatewayClient(gateway_url, credentials, cache_factory(), transport=transport)

    return open_client


def call(
    request: CallRequest,
    connection: Connection,
    *,
    env: Mapping[str, str],
    streams: Streams,
    cache_factory: Callable[[], TokenCache],
    transport: httpx.BaseTransport | None = None,
    open_client: ClientOpener | None = None,
) -> int:
    """Runs ``strata call``; returns its exit status. The call is made as the configured
    client, or as whoever ``open_client`` opens a client for (the signed-in user)."""
    try:
        method, path = checked_request(request)
        body = read_data(request.data, streams.stdin)
        headers = request_headers(request, body is not None)
        configuration = Configuration(connection, env)
        client = (open_client or _client_credentials(cache_factory, transport))(configuration)
    except (UsageError, CredentialsError) as exc:
        streams.stderr.write(f"strata: {exc}\n")
        return EXIT_USAGE
    try:
        response = client.send(method, path, body=body, headers=headers, scope=request.scope)
    except TokenRefused as refused:
        print_response(refused.response, request.include, streams)
        streams.stderr.write(f"strata: {refused}\n")
        return EXIT_HTTP_ERROR
    except Unreachable as exc:
        streams.stderr.write(f"strata: {exc}\n")
        return EXIT_UNREACHABLE
    except CredentialsError as exc:  # the token cache could not be written
        streams.stderr.write(f"strata: {exc}\n")
        return EXIT_USAGE
    finally:
        client.close()
    print_response(response, request.include, streams)
    return EXIT_OK if response.status_code < 400 else EXIT_HTTP_ERROR


def login(
    credentials: ClientCredentials,
    gateway: str | None,
    *,
    env: Mapping[str, str],
    streams: Streams,
    cache_factory: Callable[[], TokenCache],
    transport: httpx.BaseTransport | None = None,
    check: bool = True,
) -> int:
    """Runs ``strata login``: saves the client profile, after getting a token with it unless
    ``check`` is off (so a mistyped secret is caught now, not at the first call)."""
    path = profile_path(env)
    try:
        saved_gateway = checked_gateway_url(gateway, "--gateway") if gateway else None
        if check:
            configuration = Configuration(
                Connection(gateway=saved_gateway), env, replacing_profile=True
            )
            gateway_url = configuration.gateway_url()
            client = GatewayClient(gateway_url, credentials, cache_factory(), transport=transport)
            try:
                client.token(None, fresh=True)
            finally:
                client.close()
        save_client(env, credentials, saved_gateway)
    except CredentialsError as exc:
        streams.stderr.write(f"strata: {exc}\n")
        return EXIT_USAGE
    except OSError as exc:
        streams.stderr.write(f"strata: cannot save the client profile {path}: {exc.strerror}\n")
        return EXIT_USAGE
    except TokenRefused as refused:
        streams.stderr.write(f"strata: {refused}; the profile was not saved\n")
        return EXIT_HTTP_ERROR
    except Unreachable as exc:
        streams.stderr.write(f"strata: {exc}; the profile was not saved (--no-check skips this)\n")
        return EXIT_UNREACHABLE
    streams.stderr.write(f"saved client {credentials.client_id} to {path}\n")
    return EXIT_OK
