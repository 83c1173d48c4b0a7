"""The HTTP client for remote targets, as the forwarding code sees it.

Two implementations share this interface and the test suite:

- ``"httptools"`` (the default, :mod:`gateway.proxy.h1client`): HTTP/1.1 on asyncio
  protocols with httptools' llhttp parser and a keep-alive pool per target. It does only what
  a proxy needs (no cookies, redirects, decoding, or per-request objects beyond the bytes),
  and costs about a tenth of aiohttp's CPU per request.
- ``"aiohttp"`` (:mod:`gateway.proxy.aiohttp_client`): one shared ``ClientSession``.

Failures are raised as :class:`UpstreamError` with a ``reason`` the retry and breaker logic
understands: ``connect`` (no connection could be made), ``timeout``, ``disconnected`` (the
upstream closed the connection before answering), ``protocol`` (an unreadable answer, or
one cut in the middle).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from gateway.proxy.config import ProxySettings

if TYPE_CHECKING:
    from gateway.proxy.upstream import Remote

RawHeaders = Sequence[tuple[bytes, bytes]]


class UpstreamError(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


class UpstreamResponse(Protocol):
    """An upstream's answer: status and headers at once, the body as it arrives."""

    @property
    def status(self) -> int: ...

    @property
    def headers(self) -> RawHeaders: ...

    async def read(self) -> bytes:
        """The next part of the body; ``b""`` once it is complete."""
        ...

    def at_eof(self) -> bool:
        """Whether the body is complete and every part of it was read."""
        ...

    def release(self) -> None:
        """Done with the answer: its connection goes back to the pool if reusable."""
        ...

    def close(self) -> None:
        """Drops the connection (the rest of the body is not wanted)."""
        ...


class UpstreamClient(Protocol):
    async def start(self) -> None: ...

    async def aclose(self) -> None: ...

    @property
    def is_open(self) -> bool: ...

    async def send(
        self,
        remote: Remote,
        method: str,
        path: bytes,
        headers: RawHeaders,
        body: bytes | None,
        wait_seconds: float,
    ) -> UpstreamResponse:
        """Sends one request; returns once the status and headers are in. ``path`` is the
        percent-encoded path with its query; ``wait_seconds`` bounds getting a connection and
        each wait for the upstream."""
        ...


def build_client(settings: ProxySettings) -> UpstreamClient:
    if settings.client == "aiohttp":
        from gateway.proxy.aiohttp_client import AiohttpClient

        return AiohttpClient(settings)
    from gateway.proxy.h1client import H1Client

    return H1Client(settings)
