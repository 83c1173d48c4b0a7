"""Cross-origin access (CORS) to the APIs behind the gateway, as pure ASGI.

Each API's registration lists the browser origins it serves (``cors_origins``); the data path
answers their preflights itself, before any token check (a browser never sends credentials on
a preflight), and adds the CORS headers to every answer to such an origin, refusals included,
so a browser app can read a 401's ``WWW-Authenticate`` or a 429's ``Retry-After``.

Starlette's ``CORSMiddleware`` is not used here: its origins are fixed for the app it wraps,
while these are per route and change with the route table, and a preflight must be answered
ahead of the data path's authentication, not after it. Everything a route needs is computed
once per route table (:meth:`CorsPolicy.of`); a request without ``Origin`` costs one header
look-up.

Credentials (cookies) are never allowed: callers send their tokens in ``Authorization``,
which a browser sends cross-origin without credentials mode.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from starlette.types import Message, Send

from gateway.proxy.headers import header
from gateway.proxy.hooks import RawHeaders
from gateway.proxy.problems import send_problem

ANY_ORIGIN = "*"
MAX_ORIGINS = 64
MAX_ORIGIN_LENGTH = 2048
# What a browser app may send: its token, a JSON body, and the headers the APIs act on.
ALLOWED_HEADERS = (
    "Authorization",
    "Content-Type",
    "Idempotency-Key",
    "If-Match",
    "If-None-Match",
    "X-Request-ID",
    "traceparent",
)
# What it may read of an answer besides the CORS-safelisted headers.
EXPOSED_HEADERS = (
    "ETag",
    "Location",
    "Retry-After",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "RateLimit-Policy",
    "WWW-Authenticate",
    "X-Request-ID",
    "Idempotent-Replayed",
)
READ_METHODS = ("GET", "HEAD", "OPTIONS")
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# How long a browser may keep a preflight's answer (Chromium caps it at 2 hours).
MAX_AGE_SECONDS = 600
_DEFAULT_PORTS = {"http": 80, "https": 443}
_ACCESS_CONTROL = b"access-control-"
_VARY_ORIGIN = (b"vary", b"Origin")


def check_origin(value: str) -> str:
    """A browser origin ``scheme://host[:port]`` as browsers send it (lowercase, without the
    scheme's default port), or exactly ``*``; raises ``ValueError`` saying what is wrong."""
    if value == ANY_ORIGIN:
        return value
    if "*" in value:
        raise ValueError("wildcards are not allowed in an origin; '*' alone allows every origin")
    if len(value) > MAX_ORIGIN_LENGTH or any(c.isspace() or ord(c) < 0x20 for c in value):
        raise ValueError("must be an origin without spaces or control characters")
    parts = urlsplit(value)
    if parts.scheme not in _DEFAULT_PORTS or "//" not in value:
        raise ValueError("must be an origin scheme://host[:port] with scheme http or https")
    if parts.path or parts.query or parts.fragment or value.endswith(("?", "#")):
        raise ValueError("must be an origin scheme://host[:port], without a path, query or '/'")
    if parts.username is not None or not parts.hostname:
        raise ValueError("must be an origin scheme://host[:port], with a host and no user")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("the port must be a number from 1 to 65535") from None
    if port == 0:
        raise ValueError("the port must be a number from 1 to 65535")
    host = parts.hostname
    host = f"[{host}]" if ":" in host else host
    shown_port = "" if port in (None, _DEFAULT_PORTS[parts.scheme]) else f":{port}"
    return f"{parts.scheme}://{host}{shown_port}"


def check_origin_list(origins: list[str]) -> list[str]:
    """Distinct origins, with ``*`` only alone."""
    if ANY_ORIGIN in origins and len(origins) > 1:
        index = origins.index(ANY_ORIGIN)
        raise ValueError(f"'*' (item {index}) allows every origin, so it must be the only one")
    if len(set(origins)) != len(origins):
        raise ValueError("must not repeat an origin")
    return origins


Origin = Annotated[
    str, Field(min_length=1, max_length=MAX_ORIGIN_LENGTH), AfterValidator(check_origin)
]
Origins = Annotated[list[Origin], Field(max_length=MAX_ORIGINS), AfterValidator(check_origin_list)]


class CorsSettings(BaseModel):
    """The browser origins that may call the built-in APIs and the gateway's token, revoke,
    metadata and JWKS endpoints (``STRATA_CORS__ORIGINS='["https://app.example"]'``); none by
    default: no cross-origin access. ``*`` alone allows every origin, never with credentials."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    origins: Origins = []


def _joined(names: Iterable[str]) -> bytes:
    return ", ".join(names).encode("latin-1")


_ALLOW_HEADERS = (b"access-control-allow-headers", _joined(ALLOWED_HEADERS))
_EXPOSE_HEADERS = (b"access-control-expose-headers", _joined(EXPOSED_HEADERS))
_MAX_AGE = (b"access-control-max-age", b"%d" % MAX_AGE_SECONDS)


def is_preflight(method: str, headers: RawHeaders) -> bool:
    """A CORS preflight: ``OPTIONS`` naming the method the browser means to send."""
    return method == "OPTIONS" and header(headers, b"access-control-request-method") is not None


async def refuse_origin(send: Send, origin: bytes, path: str, where_listed: str) -> int:
    """The 403 for a preflight from an origin that is not allowed, without CORS headers."""
    return await send_problem(
        send,
        403,
        "Origin not allowed",
        f"Cross-origin requests from {origin.decode('latin-1')!r} are not allowed here; "
        f"{where_listed}.",
        kind="cors-origin-not-allowed",
        instance=path,
        origin=origin.decode("latin-1"),
    )


@dataclass(frozen=True, slots=True)
class CorsPolicy:
    """One route's cross-origin access, precomputed: which origins, and the headers of a
    preflight's answer and of every other answer to one of them."""

    origins: frozenset[bytes]
    any_origin: bool
    allow_methods: tuple[bytes, bytes]

    @classmethod
    def of(cls, origins: Iterable[str], *, writable: bool) -> CorsPolicy:
        """``writable``: some method besides the read methods can be granted on the route."""
        listed = tuple(origins)
        methods = READ_METHODS + WRITE_METHODS if writable else READ_METHODS
        return cls(
            origins=frozenset(origin.encode("latin-1") for origin in listed),
            any_origin=ANY_ORIGIN in listed,
            allow_methods=(b"access-control-allow-methods", _joined(methods)),
        )

    def allows(self, origin: bytes) -> bool:
        return self.any_origin or origin in self.origins

    def _allow_origin(self, origin: bytes) -> list[tuple[bytes, bytes]]:
        # Echoing the origin makes the answer differ by origin, hence Vary; "*" is the same
        # for all (and a browser never pairs it with credentials).
        if self.any_origin:
            return [(b"access-control-allow-origin", b"*")]
        return [(b"access-control-allow-origin", origin), _VARY_ORIGIN]

    def response_headers(self, origin: bytes) -> list[tuple[bytes, bytes]]:
        """The headers an answer to ``origin`` carries (none when it is not allowed)."""
        if not self.allows(origin):
            return []
        return [*self._allow_origin(origin), _EXPOSE_HEADERS]

    async def answer_preflight(self, origin: bytes, path: str, send: Send) -> int:
        """204 with what ``origin`` may send; a 403 without CORS headers (so the browser
        blocks the request) when the route does not serve that origin."""
        if not self.allows(origin):
            return await refuse_origin(
                send, origin, path, "this API's registration lists those it serves (cors_origins)"
            )
        headers = [*self._allow_origin(origin), self.allow_methods, _ALLOW_HEADERS, _MAX_AGE]
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return 204

    def sending(self, origin: bytes, send: Send) -> Send:
        """``send`` for an answer to a request from ``origin``: whatever CORS headers the
        upstream set are dropped (the registration decides), the route's own added."""
        added = self.response_headers(origin)

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [
                    (name, value)
                    for name, value in message.get("headers", ())
                    if not name.lower().startswith(_ACCESS_CONTROL)
                ]
                message = {**message, "headers": [*kept, *added]}
            await send(message)

        return send_with_cors
