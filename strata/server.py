"""The HTTP server under ``strata serve``: uvicorn's httptools protocol, bounded.

The httptools protocol keeps llhttp (a C parser) on the data path, but on its own it bounds
nothing a client sends before its request reaches the app: header bytes pile up in the parser,
a connection that never finishes its headers is held forever, and connections are not
counted. :class:`LimitedHttpToolsProtocol` adds, per connection (:class:`ServerSettings`):

- header bytes, counted as they arrive and before the parser buffers them: past the cap the
  answer is 431 and the connection is closed;
- header time, from the connection's start or the request's first byte: 408, closed (a
  connection that sent nothing is closed without an answer);
- body time, from the end of the headers to the end of the body: 408, closed;
- connections: one past the cap gets 503 to its first request, which never reaches the app.

Timers are armed only when a read leaves a request unfinished, so a request that arrives in
one read costs a counter and two flags. A refusal is written, the write side shut, and what
the client still sends is read and dropped for a moment (a lingering close), so the client
reads the answer rather than a connection reset.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from ipaddress import IPv4Network, IPv6Network
from typing import Any, ClassVar

import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from strata.errors import PROBLEM_JSON, ConfigurationError, problem_body
from strata.server_settings import ServerSettings

# Long enough for the client to read the refusal, short enough that refused connections
# do not pile up.
LINGER_SECONDS = 2.0


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """One HTTP/1.1 connection with the limits of ``limits`` (see :func:`protocol_class`)."""

    limits: ClassVar[ServerSettings] = ServerSettings()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_headers = True  # awaiting or reading a request's headers (else its body)
        self._header_bytes = 0
        self._timer: asyncio.TimerHandle | None = None
        self._over_capacity = False
        self._lingering = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._over_capacity = len(self.connections) > self.limits.max_connections
        self._arm(self.limits.header_timeout_seconds)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._lingering:
            return
        if self._in_headers:
            self._feed_headers(data)
        else:
            super().data_received(data)
        if self._timer is None and not self._lingering and not self.transport.is_closing():
            if not self._in_headers:
                self._arm(self.limits.body_timeout_seconds)
            elif self._header_bytes:
                self._arm(self.limits.header_timeout_seconds)

    def _feed_headers(self, data: bytes) -> None:
        """Feeds the parser no more header bytes than the cap allows."""
        limit = self.limits.max_header_bytes
        while data:
            if not self._in_headers:
                super().data_received(data)
                return
            room = limit - self._header_bytes
            chunk, data = (data, b"") if len(data) <= room else (data[:room], data[room:])
            self._header_bytes += len(chunk)
            super().data_received(chunk)
            if self.transport.is_closing():
                return
            if self._in_headers and self._header_bytes >= limit:
                self._headers_too_large()
                return

    def on_headers_complete(self) -> None:
        self._in_headers = False
        self._disarm()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_headers = True
        self._header_bytes = 0
        self._disarm()

    def _start_asgi_task(self, cycle: Any, app: Any) -> None:
        if self._over_capacity:
            self._refuse(
                503,
                "Server busy",
                f"The server holds its limit of {self.limits.max_connections} connections; "
                "try again shortly.",
                kind="server-busy",
                extra_headers=(b"retry-after: 1\r\n",),
            )
            return
        super()._start_asgi_task(cycle, app)

    def _headers_too_large(self) -> None:
        self._refuse(
            431,
            "Request headers too large",
            "The request line and headers are larger than the limit of "
            f"{self.limits.max_header_bytes} bytes.",
            kind="headers-too-large",
            limit_bytes=self.limits.max_header_bytes,
        )

    def _expired(self) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        if self._in_headers:
            if self._header_bytes == 0:
                self.transport.close()  # an idle connection: there is no request to answer
                return
            what, seconds = "headers", self.limits.header_timeout_seconds
        else:
            what, seconds = "body", self.limits.body_timeout_seconds
        self._refuse(
            408,
            "Request timeout",
            f"The request {what} did not arrive within {seconds:g} seconds.",
            kind="request-timeout",
            limit_seconds=seconds,
        )

    def _refuse(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        kind: str,
        extra_headers: tuple[bytes, ...] = (),
        **extensions: Any,
    ) -> None:
        """Answers ``status`` as problem+json and closes, unless an answer already began."""
        cycle = self.cycle
        if self._in_headers:
            answering = cycle is not None and not cycle.response_complete
        else:
            answering = cycle is None or cycle.response_started
        if answering:
            # The client already has (part of) an answer, or waits for one to a request
            # before this: a second answer cannot be framed, so the connection is cut.
            self.transport.close()
            return
        if cycle is not None and not self._in_headers:
            cycle.disconnected = True  # the app sees the client leave; its answer is dropped
            cycle.message_event.set()
        body = json.dumps(problem_body(status, title, detail, kind=kind, **extensions)).encode()
        head = [STATUS_LINE[status]]
        head.extend(b"%s: %s\r\n" % pair for pair in self.server_state.default_headers)
        head.extend(extra_headers)
        head.append(b"content-type: %s\r\n" % PROBLEM_JSON.encode())
        head.append(b"content-length: %d\r\nconnection: close\r\n\r\n" % len(body))
        self.transport.write(b"".join(head) + body)
        self._linger()

    def _linger(self) -> None:
        self._lingering = True
        self._disarm()
        if not self.transport.can_write_eof():
            self.transport.close()
            return
        self.transport.write_eof()
        self.flow.resume_reading()
        self._timer = self.loop.call_later(LINGER_SECONDS, self.transport.close)

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


def protocol_class(limits: ServerSettings) -> type[LimitedHttpToolsProtocol]:
    """The protocol uvicorn builds for each connection, bound to ``limits``."""
    return type(LimitedHttpToolsProtocol.__name__, (LimitedHttpToolsProtocol,), {"limits": limits})


def server_config(
    app: ASGIApp,
    host: str,
    port: int,
    limits: ServerSettings,
    trusted_proxies: Sequence[IPv4Network | IPv6Network] = (),
) -> uvicorn.Config:
    """uvicorn's configuration for ``app``: the bounded protocol, no WebSockets (nothing in
    Strata speaks them), and proxy headers only from ``trusted_proxies``.

    Behind those proxies the client is the right-most X-Forwarded-For address that is not a
    trusted proxy itself (each proxy appends the peer it saw, so entries to its left are the
    client's own claims), and the scheme comes from X-Forwarded-Proto; uvicorn's
    ProxyHeadersMiddleware does exactly that. With none trusted, proxy headers are off
    altogether: uvicorn would otherwise trust 127.0.0.1 (or $FORWARDED_ALLOW_IPS).
    """
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=protocol_class(limits),
        ws="none",
        timeout_keep_alive=limits.keep_alive_seconds,
        log_config=None,
        access_log=False,
        proxy_headers=bool(trusted_proxies),
        forwarded_allow_ips=[str(network) for network in trusted_proxies],
        server_header=False,
    )


def run(
    app: ASGIApp,
    host: str,
    port: int,
    limits: ServerSettings,
    trusted_proxies: Sequence[IPv4Network | IPv6Network] = (),
) -> None:
    """Serves ``app`` until stopped (SIGINT or SIGTERM). A :class:`ConfigurationError` while
    the app starts is raised from here, after uvicorn gave up the start."""
    guard = StartupGuard(app)
    try:
        uvicorn.Server(server_config(guard, host, port, limits, trusted_proxies)).run()
    except SystemExit:
        if guard.error is not None:
            raise guard.error from None
        raise


class StartupGuard:
    """Pure ASGI, outermost: keeps a :class:`ConfigurationError` raised while the app starts
    (its lifespan) for :func:`run`, and tells uvicorn the start failed without the traceback
    it would otherwise log. Any other failure reaches uvicorn as it was."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.error: ConfigurationError | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        held: list[Message] = []

        async def send_or_hold(message: Message) -> None:
            if message["type"] == "lifespan.startup.failed":
                held.append(message)  # its message is the traceback; sent once the cause is known
                return
            await send(message)

        try:
            await self.app(scope, receive, send_or_hold)
        except ConfigurationError as exc:
            if not held:
                raise
            self.error = exc
            await send({"type": "lifespan.startup.failed", "message": ""})
            return
        finally:
            if held and self.error is None:
                await send(held[0])
