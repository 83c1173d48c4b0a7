"""Errors of the OAuth2 endpoints (RFC 6749 JSON) and of bearer token checks (RFC 6750).

The endpoint errors are authlib's own error classes, turned into responses here: they follow
RFC 6749 (``{"error", "error_description"}``), not problem+json. Bearer errors are
:class:`~strata.errors.Problem` subclasses, so a Strata API answers them as problem+json with
the ``WWW-Authenticate`` header RFC 6750 asks for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from authlib.oauth2.rfc6749.errors import (
    AccessDeniedError,
    InvalidClientError,
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Error,
    UnauthorizedClientError,
    UnsupportedGrantTypeError,
    UnsupportedResponseTypeError,
)
from starlette.responses import JSONResponse

from strata.errors import PROBLEM_JSON, Problem

__all__ = [
    "AccessDeniedError",
    "BearerError",
    "InsufficientScope",
    "InvalidClientError",
    "InvalidGrantError",
    "InvalidRequestError",
    "InvalidScopeError",
    "InvalidTargetError",
    "InvalidToken",
    "OAuth2Error",
    "UnauthorizedClientError",
    "UnsupportedGrantTypeError",
    "UnsupportedResponseTypeError",
    "invalid_client",
    "oauth_error_response",
]

REALM = "strata"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_UNSAFE_IN_QUOTES = re.compile(r'["\\\x00-\x1f\x7f-\uffff]')


def quoted_safe(text: str) -> str:
    """Text that can sit between double quotes in a header (RFC 6750 error_description)."""
    return _UNSAFE_IN_QUOTES.sub("'", text)


class InvalidTargetError(OAuth2Error):
    """RFC 8707 section 2: a ``resource`` is not one this server issues tokens for, or not
    one the grant covers."""

    error = "invalid_target"
    status_code = 400


class TooManyAttemptsError(OAuth2Error):
    """Too many failed authentications from this address (429 with Retry-After). The code is
    RFC 6749's ``temporarily_unavailable``: try again later, which is exactly the case."""

    error = "temporarily_unavailable"
    status_code = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            description=f"too many failed attempts from this address; retry in {retry_after} s"
        )
        self.retry_after = retry_after


def invalid_client(description: str) -> InvalidClientError:
    """RFC 6749 5.2: failed client authentication is a 401 with a Basic challenge."""
    return InvalidClientError(description=description, status_code=401)


def oauth_error_response(error: OAuth2Error) -> JSONResponse:
    body: dict[str, Any] = {"error": error.error}
    description = error.get_error_description()
    if description:
        body["error_description"] = description
    headers = dict(NO_STORE)
    if isinstance(error, InvalidClientError) and error.status_code == 401:
        headers["WWW-Authenticate"] = (
            f'Basic realm="{REALM}", error="invalid_client", '
            f'error_description="{quoted_safe(description or "")}"'
        )
    if isinstance(error, TooManyAttemptsError):
        headers["Retry-After"] = str(error.retry_after)
    return JSONResponse(body, status_code=error.status_code, headers=headers)


class BearerError(Problem):
    """A request's bearer token was refused (RFC 6750 section 3)."""

    error: str | None = None

    def __init__(
        self,
        status: int,
        title: str,
        description: str,
        *,
        kind: str,
        challenge: dict[str, str],
    ) -> None:
        self.description = description
        super().__init__(
            status,
            title,
            description,
            kind=kind,
            headers={"WWW-Authenticate": _challenge(challenge)},
        )

    @property
    def www_authenticate(self) -> str:
        return self.headers["WWW-Authenticate"]

    def response(self) -> JSONResponse:
        """This error as a complete response (for pure ASGI code outside FastAPI)."""
        return JSONResponse(
            self.body(),
            status_code=self.status,
            media_type=PROBLEM_JSON,
            headers=self.headers,
        )


def _challenge(parameters: dict[str, str]) -> str:
    rendered = ", ".join(f'{name}="{quoted_safe(value)}"' for name, value in parameters.items())
    return f"Bearer {rendered}"


class InvalidToken(BearerError):
    """401: the token is missing, malformed, expired, revoked or not ours.

    With no credentials at all the challenge carries no error code, as RFC 6750 3.1 asks.
    """

    def __init__(self, description: str, *, missing: bool = False) -> None:
        challenge = {"realm": REALM}
        if not missing:
            challenge |= {"error": "invalid_token", "error_description": description}
        self.error = None if missing else "invalid_token"
        super().__init__(
            401,
            "Unauthorized",
            description,
            kind="invalid-token",
            challenge=challenge,
        )


class InsufficientScope(BearerError):
    """403: the token is good but lacks a scope the operation needs."""

    def __init__(self, required: Iterable[str], granted: Iterable[str]) -> None:
        self.required = tuple(required)
        missing = [scope for scope in self.required if scope not in set(granted)]
        description = f"this operation needs the scope {' '.join(missing)}"
        self.error = "insufficient_scope"
        super().__init__(
            403,
            "Forbidden",
            description,
            kind="insufficient-scope",
            challenge={
                "realm": REALM,
                "error": "insufficient_scope",
                "error_description": description,
                "scope": " ".join(self.required),
            },
        )
