"""Reading OAuth requests: form bodies and client authentication (RFC 6749 2.3)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote_plus

from fastapi import Request

from gateway.oauth.crypto import Passwords
from gateway.oauth.errors import InvalidRequestError, invalid_client
from gateway.oauth.models import OAuthClient

MAX_FORM_BYTES = 16_384
FORM_TYPE = "application/x-www-form-urlencoded"
# RFC 8707 section 2: one ``resource`` parameter per resource asked for.
REPEATABLE = frozenset({"resource"})


class Form(dict[str, str]):
    """Request parameters by name, each given once; a repeatable one is not among them but
    read with :meth:`all`, so no code mistakes its first value for the whole list."""

    def __init__(self) -> None:
        super().__init__()
        self._repeatable: dict[str, list[str]] = {}

    def add_repeatable(self, name: str, value: str) -> None:
        self._repeatable.setdefault(name, []).append(value)

    def all(self, name: str) -> tuple[str, ...]:
        """Every value of a repeatable parameter, in order."""
        return tuple(self._repeatable.get(name, ()))


async def read_form(request: Request, max_bytes: int = MAX_FORM_BYTES) -> Form:
    """The url-encoded body; a parameter given twice is refused (RFC 6749 3.1, 3.2)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != FORM_TYPE:
        raise InvalidRequestError(description=f"the body must be {FORM_TYPE}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise InvalidRequestError(description="the request body is too large")
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(
            text, keep_blank_values=True, strict_parsing=bool(text), max_num_fields=64
        )
    except (UnicodeDecodeError, ValueError):
        raise InvalidRequestError(description="the body is not a valid url-encoded form") from None
    return unique_parameters(pairs)


def unique_parameters(pairs: list[tuple[str, str]]) -> Form:
    form = Form()
    for name, value in pairs:
        if name in REPEATABLE:
            form.add_repeatable(name, value)
            continue
        if name in form:
            raise InvalidRequestError(description=f"the parameter {_safe(name)} is repeated")
        form[name] = value
    return form


def _safe(text: str) -> str:
    """Echoes a client-given name in an error only when it is plain ASCII."""
    return (
        text
        if text.isascii()
        and text.isprintable()
        and '"' not in text
        and "\\" not in text
        and len(text) <= 40
        else "(unnamed)"
    )


def required(form: Form, name: str) -> str:
    value = form.get(name, "")
    if not value:
        raise InvalidRequestError(description=f"the {name} parameter is required")
    return value


@dataclass(frozen=True)
class ClientCredentials:
    client_id: str
    secret: str | None
    method: str  # client_secret_basic | client_secret_post | none


def client_credentials(request: Request, form: Form) -> ClientCredentials:
    """The client's claimed identity: HTTP Basic, or form fields, never both."""
    header = request.headers.get("authorization")
    body_id, body_secret = form.get("client_id"), form.get("client_secret")
    if header:
        client_id, secret = _basic_credentials(header)
        if body_secret is not None:
            raise InvalidRequestError(description="use one client authentication method only")
        if body_id is not None and body_id != client_id:
            raise InvalidRequestError(description="client_id differs from the authenticated one")
        return ClientCredentials(client_id, secret, "client_secret_basic")
    if not body_id:
        raise invalid_client("client authentication is required")
    if body_secret is not None:
        return ClientCredentials(body_id, body_secret, "client_secret_post")
    return ClientCredentials(body_id, None, "none")


def _basic_credentials(header: str) -> tuple[str, str]:
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic":
        raise invalid_client("use HTTP Basic authentication for the client")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid_client("the Basic credentials are malformed") from None
    client_id, colon, secret = decoded.partition(":")
    if not colon or not client_id:
        raise invalid_client("the Basic credentials are malformed")
    # RFC 6749 2.3.1: both parts are form-url-encoded before base64.
    return unquote_plus(client_id), unquote_plus(secret)


async def authenticate(
    credentials: ClientCredentials,
    client: OAuthClient | None,
    passwords: Passwords,
    *,
    allow_public: bool,
) -> OAuthClient:
    """The client, if the credentials prove it is who it claims to be."""
    if credentials.secret is None:
        if client is None or not client.is_public:
            raise invalid_client("unknown client or missing client secret")
        if not allow_public:
            raise invalid_client("this endpoint is for confidential clients")
        return client
    hashed = client.secret_hash if client is not None and not client.is_public else None
    if not await passwords.verify(hashed, credentials.secret) or client is None:
        raise invalid_client("unknown client or wrong client secret")
    return client
