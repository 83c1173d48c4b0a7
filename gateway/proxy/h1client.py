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
from typing import TYPE_CHECKING

from gateway.proxy.client import RawHeaders, UpstreamError
from gateway.proxy.config import ProxySettings
from gateway.proxy.h1connection import H1Connection, request_bytes

if TYPE_CHECKING:
    from gateway.proxy.upstream import Remote


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
