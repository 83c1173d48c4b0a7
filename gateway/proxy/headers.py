"""Headers across the proxy: hop-by-hop ones dropped both ways, forwarding ones added.

Header names in ASGI scopes are lowercase bytes and stay bytes all the way to the upstream.
Every name set below is precomputed so a request costs one pass and set lookups.
"""

from __future__ import annotations

from collections.abc import Iterable

from gateway.proxy.hooks import RawHeaders

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
_DROPPED_ON_REQUEST = HOP_BY_HOP | _REPLACED_ON_REQUEST

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
) -> list[tuple[bytes, bytes]]:
    """The request headers to send upstream."""
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
            continue
        kept.append((name, value))
    forwarded_for.append(client_ip.encode("latin-1"))
    if named:
        kept = [(name, value) for name, value in kept if name not in named]
    kept.append((b"x-forwarded-for", b", ".join(forwarded_for)))
    kept.append((b"x-forwarded-proto", scheme.encode("latin-1")))
    if host:
        kept.append((b"x-forwarded-host", host))
    kept.append((b"x-forwarded-prefix", prefix.encode("latin-1")))
    kept.append((b"x-request-id", request_id.encode("latin-1")))
    kept.append((b"traceparent", traceparent.encode("latin-1")))
    return kept


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
