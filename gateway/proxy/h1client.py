"""A lean HTTP/1.1 client for the data path: asyncio protocols, httptools' llhttp parser, and
a keep-alive pool per target.

A proxy needs little of a general HTTP client: no cookies, redirects, decoding, URL objects
or per-request option merging. What remains is writing the request's bytes in one go,
parsing the answer with llhttp (the parser Node.js and uvicorn use) and handing the body on
as it arrives, with backpressure. That is a tenth of aiohttp's CPU per request.

One request at a time per connection (no pipelining). A connection returns to its pool
only when its answer was read to the end and both sides keep it alive; an answer the
gateway stops reading (the client left) closes the connection. An idle connection is kept
``keepalive_seconds`` and checked before reuse; when the upstream closed it at the very
moment the gateway sent on it, the send fails as ``disconnected``, which the forwarding
code may retry for idempotent methods.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections import deque
from typing import TYPE_CHECKING, cast

import httptools

from gateway.proxy.client import RawHeaders, UpstreamError
from gateway.proxy.config import ProxySettings

if TYPE_CHECKING:
    from gateway.proxy.upstream import Remote

_NO_BODY_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE", "TRACE"})
_INLINE_BODY_BYTES = 65536


def request_bytes(
    method: str, path: bytes, host: bytes, headers: RawHeaders, body: bytes | None
) -> list[bytes]:
    """The request as bytes to write (head and body). Every name and value comes from the
    ASGI server's parser or from the gateway itself, so none can hold a line break."""
    parts = [method.encode("ascii"), b" ", path, b" HTTP/1.1\r\nhost: ", host, b"\r\n"]
    for name, value in headers:
        parts += (name, b": ", value, b"\r\n")
    if body is not None:
        parts += (b"content-length: ", str(len(body)).encode("ascii"), b"\r\n\r\n")
        if len(body) > _INLINE_BODY_BYTES:
            return [b"".join(parts), body]
        parts.append(body)
    elif method in _NO_BODY_METHODS:
        parts.append(b"\r\n")
    else:
        parts.append(b"content-length: 0\r\n\r\n")
    return [b"".join(parts)]


class H1Connection(asyncio.Protocol):
    """One upstream connection; while a request is in flight it is also its response."""

    def __init__(self, pool: H1Pool) -> None:
        self._pool = pool
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._waiter: asyncio.Future[None] | None = None
        self._closed = False
        self._chunks: deque[bytes] = deque()
        self.idle_since = 0.0
        self._begin(False, 0.0)
        self._in_flight = False  # _begin set up the per-request state; none is in flight yet

    def _begin(self, head: bool, wait_seconds: float) -> None:
        self._in_flight = True
        self._head = head
        self._wait_seconds = wait_seconds
        self._status = 0
        self._headers: list[tuple[bytes, bytes]] = []
        self._headers_done = False
        self._chunks.clear()
        self._buffered = 0
        self._paused = False
        self._eof = False
        self._error: UpstreamError | None = None
        self._got_bytes = False
        self._reusable = True
        self._released = False

    # ---------------------------------------------------------------- the pool's side

    def usable(self, now: float, keepalive: float) -> bool:
        transport = self._transport
        return (
            not self._closed
            and transport is not None
            and not transport.is_closing()
            and now - self.idle_since < keepalive
        )

    def send_request(self, data: list[bytes], *, head: bool, wait_seconds: float) -> None:
        assert self._transport is not None
        self._begin(head, wait_seconds)
        if len(data) == 1:
            self._transport.write(data[0])
        else:
            self._transport.writelines(data)

    async def wait_headers(self) -> None:
        while not self._headers_done:
            if self._error is not None:
                raise self._error
            await self._wait()

    def abort(self) -> None:
        self._reusable = False
        if self._transport is not None:
            self._transport.abort()

    # ---------------------------------------------------------------- UpstreamResponse

    @property
    def status(self) -> int:
        return self._status

    @property
    def headers(self) -> RawHeaders:
        return self._headers

    async def read(self) -> bytes:
        while True:
            chunks = self._chunks
            if chunks:
                data = chunks.popleft() if len(chunks) == 1 else b"".join(chunks)
                chunks.clear()
                self._buffered = 0
                if self._paused and self._transport is not None:
                    self._paused = False
                    self._transport.resume_reading()
                return data
            if self._eof:
                return b""
            if self._error is not None:
                raise self._error
            await self._wait()

    def at_eof(self) -> bool:
        return self._eof and not self._chunks

    def release(self) -> None:
        if self._released:
            return
        self._released = True
        self._in_flight = False
        if self._eof and not self._chunks and self._reusable and self._error is None:
            self._pool.put_back(self)
        else:
            self.abort()

    def close(self) -> None:
        self.abort()
        if self._error is None and not self._eof:
            self._error = UpstreamError("disconnected", "the connection was closed")
        self._wake()

    # ---------------------------------------------------------------- waiting

    async def _wait(self) -> None:
        waiter = self._waiter = self._loop.create_future()
        timer = self._loop.call_later(self._wait_seconds, self._expire, waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            self._waiter = None

    def _expire(self, waiter: asyncio.Future[None]) -> None:
        if not waiter.done():
            what = "answer" if not self._headers_done else "rest of its answer"
            waiter.set_exception(
                UpstreamError("timeout", f"no {what} within {self._wait_seconds:g} s")
            )
            self.abort()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _fail(self, reason: str, detail: str) -> None:
        if self._error is None:
            self._error = UpstreamError(reason, detail)
        self._reusable = False
        self._wake()

    # ---------------------------------------------------------------- asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # asyncio's or uvloop's TCP transport (uvloop's does not subclass asyncio's)
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if not self._in_flight:
            # Bytes nobody asked for: the connection's state is unknown, drop it.
            self.abort()
            return
        self._got_bytes = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail("protocol", "the upstream switched protocols")
            self.abort()
        except httptools.HttpParserError as exc:
            self._fail("protocol", f"the upstream's answer is not valid HTTP ({exc})")
            self.abort()

    def eof_received(self) -> bool:
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        self._reusable = False
        if self._in_flight and not self._eof:
            if self._headers_done and not self._delimited():
                self._eof = True  # a body that ends when the connection does
                self._wake()
            elif self._got_bytes:
                self._fail("protocol", "the upstream closed the connection mid-answer")
            else:
                self._fail("disconnected", "the upstream closed the connection")
        self._pool.forget(self)

    # ---------------------------------------------------------------- llhttp callbacks

    def _delimited(self) -> bool:
        """Whether the answer says where its body ends (else the body ends with the
        connection, as HTTP/1.0 servers may do)."""
        if self._head or self._status in (204, 304):
            return True
        return any(
            name.lower() in (b"content-length", b"transfer-encoding") for name, _ in self._headers
        )

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        if status < 200:
            self._headers = []  # an interim answer (100 Continue, 103 Early Hints)
            return
        self._status = status
        self._headers_done = True
        if self._head:
            # llhttp cannot be told the answer to HEAD has no body, so this connection's
            # parser would wait for one: the answer ends here and the connection with it.
            self._eof = True
            self._reusable = False
        self._wake()

    def on_body(self, body: bytes) -> None:
        if self._eof:
            return
        self._chunks.append(body)
        self._buffered += len(body)
        if self._buffered >= self._pool.high_water and not self._paused:
            self._paused = True
            assert self._transport is not None
            self._transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        if not self._headers_done or self._eof:
            return
        self._eof = True
        if not self._parser.should_keep_alive():
            self._reusable = False
        self._wake()


class H1Pool:
    """Keep-alive connections to one origin, at most ``limit`` open or opening (0: no limit).

    ``_count`` counts slots: connections open or being opened. A freed slot goes straight to
    the first waiter, so the count never passes the limit.
    """

    def __init__(
        self, remote: Remote, settings: ProxySettings, ssl_context: ssl.SSLContext | None
    ) -> None:
        self._remote = remote
        self._ssl = ssl_context if remote.scheme == "https" else None
        self._limit = settings.max_connections_per_target
        self._keepalive = settings.keepalive_seconds
        self.high_water = settings.read_chunk_bytes * 4
        self._idle: list[H1Connection] = []
        self._open: set[H1Connection] = set()
        self._count = 0
        self._waiters: deque[asyncio.Future[H1Connection | None]] = deque()
        self._closed = False

    async def acquire(self, wait_seconds: float) -> H1Connection:
        now = time.monotonic()
        idle = self._idle
        while idle:
            connection = idle.pop()  # the most recently used: warm, least likely closed
            if connection.usable(now, self._keepalive):
                return connection
            connection.abort()
        if self._limit and self._count >= self._limit:
            handed = await self._wait_for_connection(wait_seconds)
            if handed is not None:
                return handed
        else:
            self._count += 1
        try:
            return await self._connect(wait_seconds)
        except BaseException:
            self._free_slot()
            raise

    def put_back(self, connection: H1Connection) -> None:
        if self._closed:
            connection.abort()
            return
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return
        connection.idle_since = time.monotonic()
        self._idle.append(connection)

    def forget(self, connection: H1Connection) -> None:
        if connection in self._idle:
            self._idle.remove(connection)
        if connection in self._open:
            self._open.discard(connection)
            self._free_slot()

    def close(self) -> None:
        self._closed = True
        for connection in [*self._idle, *self._open]:
            connection.abort()
        self._idle.clear()

    def _free_slot(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot passes to that waiter, which connects
                return
        self._count -= 1

    async def _wait_for_connection(self, wait_seconds: float) -> H1Connection | None:
        waiter: asyncio.Future[H1Connection | None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(wait_seconds):
                return await waiter
        except TimeoutError:
            self._give_back(waiter)
            detail = f"no free connection within {wait_seconds:g} s"
            raise UpstreamError("timeout", detail) from None
        except asyncio.CancelledError:
            self._give_back(waiter)
            raise

    def _give_back(self, waiter: asyncio.Future[H1Connection | None]) -> None:
        """What was handed to a waiter that stopped waiting in the same instant."""
        if waiter.done() and not waiter.cancelled():
            handed = waiter.result()
            if handed is None:
                self._free_slot()
            else:
                self.put_back(handed)
        else:
            waiter.cancel()

    async def _connect(self, wait_seconds: float) -> H1Connection:
        remote = self._remote
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(wait_seconds):
                _, connection = await loop.create_connection(
                    lambda: H1Connection(self),
                    remote.host,
                    remote.port,
                    ssl=self._ssl,
                    server_hostname=remote.host if self._ssl is not None else None,
                )
        except TimeoutError:
            detail = f"no connection within {wait_seconds:g} s"
            raise UpstreamError("timeout", detail) from None
        except OSError as exc:
            raise UpstreamError("connect", str(exc) or type(exc).__name__) from exc
        if self._closed:
            connection.abort()
            raise UpstreamError("connect", "the client is closed")
        self._open.add(connection)
        return connection


class H1Client:
    """Pools by origin; ``send`` writes the request and waits for the status and headers."""

    def __init__(self, settings: ProxySettings) -> None:
        self._settings = settings
        self._pools: dict[str, H1Pool] = {}
        self._ssl: ssl.SSLContext | None = None
        self._open = False

    async def start(self) -> None:
        self._open = True

    @property
    def is_open(self) -> bool:
        return self._open

    async def aclose(self) -> None:
        self._open = False
        for pool in self._pools.values():
            pool.close()
        self._pools.clear()

    async def send(
        self,
        remote: Remote,
        method: str,
        path: bytes,
        headers: RawHeaders,
        body: bytes | None,
        wait_seconds: float,
    ) -> H1Connection:
        pool = self._pools.get(remote.origin)
        if pool is None:
            pool = self._pools[remote.origin] = self._new_pool(remote)
        self._open = True
        connection = await pool.acquire(wait_seconds)
        try:
            connection.send_request(
                request_bytes(method, path, remote.host_header, headers, body),
                head=method == "HEAD",
                wait_seconds=wait_seconds,
            )
            await connection.wait_headers()
        except BaseException:
            connection.abort()
            raise
        return connection

    def _new_pool(self, remote: Remote) -> H1Pool:
        if remote.scheme == "https" and self._ssl is None:
            self._ssl = ssl.create_default_context()
        return H1Pool(remote, self._settings, self._ssl)
