"""Headers across the proxy: hop-by-hop ones dropped both ways, forwarding ones added.

A remote upstream never receives the caller's credentials for the gateway: no
``Authorization`` (the gateway's own access token, which the upstream could replay against
any API the token opens), no ``Proxy-Authorization``, no gateway cookie. It receives what
its registration says instead (the credentials passed to :func:`upstream_headers`).

Header names in ASGI scopes are lowercase bytes and stay bytes all the way to the upstream.
Every name set below is precomputed so a request costs one pass and set lookups.
"""

from __future__ import annotations

from collections.abc import Iterable

from gateway.proxy.hooks import RawHeaders
from gateway.routes import IDENTITY_HEADER

# RFC 9110 §7.6.1, plus the Proxy-* family (matched by prefix) and the obsolete Trailers.
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"te",
        b"trailer",
        b"trailers",
        b"transfer-encoding",
        b"upgrade",
    }
)
_PROXY_PREFIX = b"proxy-"

# Replaced by the gateway: the upstream's Host comes from its URL, the body's length from
# the (buffered) body, and the forwarding and tracing headers from what the gateway saw.
_REPLACED_ON_REQUEST = frozenset(
    {
        b"host",
        b"content-length",
        b"expect",
        b"x-forwarded-for",
        b"x-forwarded-host",
        b"x-forwarded-proto",
        b"x-forwarded-prefix",
        b"x-request-id",
        b"traceparent",
    }
)
# The caller's credentials for the gateway; the identity assertion header is the gateway's
# own to set, so a client cannot send one of its making along.
_CREDENTIALS = frozenset({b"authorization", IDENTITY_HEADER.lower().encode("ascii")})
_DROPPED_ON_REQUEST = HOP_BY_HOP | _REPLACED_ON_REQUEST | _CREDENTIALS | {b"cookie"}
# Every cookie the gateway sets is named strata_... (the sign-in form's browser binding).
_GATEWAY_COOKIE_PREFIX = b"strata_"

# Like nginx, the gateway answers with its own Date and Server.
_DROPPED_ON_RESPONSE = HOP_BY_HOP | {b"date", b"server"}


_PLAIN_CONNECTION = frozenset({b"keep-alive", b"close", b"Keep-Alive", b"Close"})


def connection_tokens(value: bytes) -> frozenset[bytes]:
    """The header names a Connection header lists (they are hop-by-hop too)."""
    if value in _PLAIN_CONNECTION:  # by far the most common; names no other header
        return frozenset()
    return frozenset(token.strip().lower() for token in value.split(b",") if token.strip())


def upstream_headers(
    headers: RawHeaders,
    *,
    client_ip: str,
    scheme: str,
    prefix: str,
    request_id: str,
    traceparent: str,
    credentials: RawHeaders = (),
) -> list[tuple[bytes, bytes]]:
    """The request headers to send to a remote upstream; ``credentials`` (lowercase names)
    replace any header of the same name the client sent."""
    kept: list[tuple[bytes, bytes]] = []
    forwarded_for: list[bytes] = []
    host = b""
    named: frozenset[bytes] = frozenset()
    for name, value in headers:
        if name in _DROPPED_ON_REQUEST or name.startswith(_PROXY_PREFIX):
            if name == b"x-forwarded-for":
                forwarded_for.append(value)
            elif name == b"host":
                host = value
            elif name == b"connection":
                named |= connection_tokens(value)
            elif name == b"cookie":
                cookies = without_gateway_cookies(value)
                if cookies:
                    kept.append((name, cookies))
            continue
        kept.append((name, value))
    forwarded_for.append(client_ip.encode("latin-1"))
    if credentials:
        named |= {name for name, _ in credentials}
    if named:
        kept = [(name, value) for name, value in kept if name not in named]
    if credentials:
        kept.extend(credentials)
    kept.append((b"x-forwarded-for", b", ".join(forwarded_for)))
    kept.append((b"x-forwarded-proto", scheme.encode("latin-1")))
    if host:
        kept.append((b"x-forwarded-host", host))
    kept.append((b"x-forwarded-prefix", prefix.encode("latin-1")))
    kept.append((b"x-request-id", request_id.encode("latin-1")))
    kept.append((b"traceparent", traceparent.encode("latin-1")))
    return kept


def without_gateway_cookies(value: bytes) -> bytes:
    """A ``Cookie`` header without the gateway's own cookies (empty when none is left)."""
    if _GATEWAY_COOKIE_PREFIX not in value:
        return value
    pairs = [pair.strip() for pair in value.split(b";")]
    return b"; ".join(
        pair for pair in pairs if pair and not pair.startswith(_GATEWAY_COOKIE_PREFIX)
    )


def downstream_headers(
    headers: Iterable[tuple[bytes, bytes]], extra: RawHeaders = ()
) -> list[tuple[bytes, bytes]]:
    """The upstream's response headers to pass to the client, plus ``extra``."""
    kept: list[tuple[bytes, bytes]] = []
    named: frozenset[bytes] = frozenset()
    for raw_name, value in headers:
        name = raw_name.lower()
        if name in _DROPPED_ON_RESPONSE or name.startswith(_PROXY_PREFIX):
            if name == b"connection":
                named |= connection_tokens(value)
            continue
        kept.append((name, value))
    if named:
        kept = [(name, value) for name, value in kept if name not in named]
    if extra:
        kept.extend(extra)
    return kept


def header(headers: RawHeaders, name: bytes) -> bytes | None:
    for key, value in headers:
        if key == name:
            return value
    return None
