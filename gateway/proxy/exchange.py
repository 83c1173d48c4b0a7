"""One proxied request as the forwarding code sees it, once the gateway has admitted it."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from starlette.types import Receive, Scope, Send

from gateway.proxy import headers
from gateway.proxy.hooks import Identity, RawHeaders
from gateway.proxy.upstream import RouteRuntime
from strata import context


@dataclass(slots=True)
class Exchange:
    """The request to forward and the channel back to the client.

    ``rest`` is the path after the route's prefix, decoded but for ``%2F`` and ``%25``;
    ``body`` is the buffered request body (``None`` when the request has none);
    ``extra_headers`` go on every response.
    ``identity`` is the admitted caller (``None`` when anonymous); ``credentials`` are the
    headers a remote target receives in place of the caller's token, set before the first
    remote attempt.
    """

    scope: Scope
    receive: Receive
    send: Send
    runtime: RouteRuntime
    method: str
    rest: str
    client_ip: str
    extra_headers: RawHeaders = ()
    body: bytes | None = None
    identity: Identity | None = None
    credentials: RawHeaders | None = None
    _upstream_headers: list[tuple[bytes, bytes]] | None = None

    @property
    def raw_rest(self) -> bytes:
        """The rest of the path as the client encoded it, with the query string."""
        raw_path: bytes | None = self.scope.get("raw_path")
        prefix = self.runtime.prefix_bytes
        if raw_path and raw_path.startswith(prefix):
            rest = raw_path[len(prefix) :]
        else:
            rest = _quote_path(self.rest).encode("ascii")
        query: bytes = self.scope.get("query_string", b"")
        return rest + b"?" + query if query else rest

    def upstream_headers(self) -> list[tuple[bytes, bytes]]:
        """Request headers for a remote target (built once, reused by retries)."""
        if self._upstream_headers is None:
            self._upstream_headers = headers.upstream_headers(
                self.scope["headers"],
                client_ip=self.client_ip,
                scheme=self.scope.get("scheme", "http"),
                prefix=self.runtime.prefix,
                request_id=context.current_request_id() or context.new_request_id(),
                traceparent=context.current_traceparent()
                or context.new_traceparent(_incoming_traceparent(self.scope)),
                credentials=self.credentials or (),
            )
        return self._upstream_headers


def _quote_path(path: str) -> str:
    # '%' is safe: the escapes left in ``rest`` (%2F, %25) are forwarded as they are.
    return quote(path, safe="/:@!$&'()*+,;=-._~%")


def _incoming_traceparent(scope: Scope) -> str | None:
    value = headers.header(scope["headers"], b"traceparent")
    return value.decode("latin-1") if value is not None else None
