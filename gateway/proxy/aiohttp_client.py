"""The upstream client on aiohttp: one shared ``ClientSession`` and keep-alive connector."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aiohttp
from yarl import URL

from gateway.proxy.client import RawHeaders, UpstreamError
from gateway.proxy.config import ProxySettings

if TYPE_CHECKING:
    from gateway.proxy.upstream import Remote

# A transparent proxy adds nothing of its own: with these skipped, aiohttp sends exactly the
# headers the client sent (an Accept-Encoding the client never asked for would make the
# upstream compress a body the client cannot read, as bodies pass through undecoded).
_NO_AUTO_HEADERS = ("User-Agent", "Accept", "Accept-Encoding", "Content-Type")


def _error(exc: BaseException) -> UpstreamError:
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, TimeoutError):
        return UpstreamError("timeout", detail)
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return UpstreamError("disconnected", detail)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return UpstreamError("connect", detail)
    if isinstance(exc, aiohttp.ClientConnectionError | ConnectionError):
        return UpstreamError("disconnected", detail)
    return UpstreamError("protocol", detail)


_FAILURES = (aiohttp.ClientError, OSError, TimeoutError)


class AiohttpResponse:
    __slots__ = ("_response",)

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    @property
    def status(self) -> int:
        return self._response.status

    @property
    def headers(self) -> RawHeaders:
        return self._response.raw_headers

    async def read(self) -> bytes:
        try:
            return await self._response.content.readany()
        except _FAILURES as exc:
            raise _error(exc) from exc

    def at_eof(self) -> bool:
        return self._response.content.is_eof()

    def release(self) -> None:
        self._response.release()

    def close(self) -> None:
        self._response.close()


class AiohttpClient:
    def __init__(self, settings: ProxySettings) -> None:
        self._settings = settings
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[float, aiohttp.ClientTimeout] = {}

    async def start(self) -> None:
        self._get_session()

    @property
    def is_open(self) -> bool:
        return self._session is not None and not self._session.closed

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(
        self,
        remote: Remote,
        method: str,
        path: bytes,
        headers: RawHeaders,
        body: bytes | None,
        wait_seconds: float,
    ) -> AiohttpResponse:
        try:
            response = await self._get_session().request(
                method,
                # Already percent-encoded as the client sent it: yarl must neither decode
                # nor re-encode it (``%2F`` in an id stays one path segment).
                URL(remote.origin + path.decode("latin-1"), encoded=True),
                headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers],
                data=body,
                allow_redirects=False,
                timeout=self._timeout(wait_seconds),
            )
        except _FAILURES as exc:
            raise _error(exc) from exc
        return AiohttpResponse(response)

    def _timeout(self, seconds: float) -> aiohttp.ClientTimeout:
        """For getting a connection, and for each read from the upstream (a long download
        that keeps flowing is not cut, a stalled one is)."""
        timeout = self._timeouts.get(seconds)
        if timeout is None:
            timeout = aiohttp.ClientTimeout(total=None, connect=seconds, sock_read=seconds)
            self._timeouts[seconds] = timeout
        return timeout

    def _get_session(self) -> aiohttp.ClientSession:
        session = self._session
        if session is None or session.closed:
            session = self._session = self._new_session()
        return session

    def _new_session(self) -> aiohttp.ClientSession:
        settings = self._settings
        connector = aiohttp.TCPConnector(
            limit=0,
            limit_per_host=settings.max_connections_per_target,
            keepalive_timeout=settings.keepalive_seconds,
            ttl_dns_cache=60,
        )
        return aiohttp.ClientSession(
            connector=connector,
            # Cookies set by one upstream answer must never ride along on another
            # client's request.
            cookie_jar=aiohttp.DummyCookieJar(),
            skip_auto_headers=_NO_AUTO_HEADERS,
            auto_decompress=False,
            trust_env=False,
            raise_for_status=False,
            read_bufsize=settings.read_chunk_bytes,
        )
