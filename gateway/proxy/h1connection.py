"""One upstream HTTP/1.1 connection: an asyncio protocol feeding httptools' llhttp parser.

While a request is in flight the connection is also its response (status, headers, the body
as it arrives); see :mod:`gateway.proxy.h1client` for the pool and the client around it.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING, cast

import httptools

from gateway.proxy.client import RawHeaders, UpstreamError

if TYPE_CHECKING:
    from gateway.proxy.h1client import H1Pool

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
