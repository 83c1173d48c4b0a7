"""The HTTP client for remote targets: one aiohttp session and keep-alive pool per process.

aiohttp's pool hands out a connection in constant time, where httpx's scans every pooled
connection per request; on the data path that is the difference between a few thousand and
over ten thousand proxied requests per second on one core.
"""

from __future__ import annotations

import aiohttp

from gateway.proxy.config import ProxySettings

# A transparent proxy adds nothing of its own: with these skipped, aiohttp sends exactly the
# headers the client sent (an Accept-Encoding the client never asked for would make the
# upstream compress a body the client cannot read, as bodies pass through undecoded).
_NO_AUTO_HEADERS = ("User-Agent", "Accept", "Accept-Encoding", "Content-Type")


def route_timeout(seconds: float) -> aiohttp.ClientTimeout:
    """A route's timeout: for getting a connection, and for each read from the upstream
    (so a long download that keeps flowing is not cut, a stalled one is)."""
    return aiohttp.ClientTimeout(total=None, connect=seconds, sock_read=seconds)


class UpstreamClient:
    """Owns the aiohttp session. ``start()``/``aclose()`` belong in the app's lifespan; a
    session is also made on first use so a forgotten ``start()`` costs nothing but order."""

    def __init__(self, settings: ProxySettings) -> None:
        self._settings = settings
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self.session()

    @property
    def is_open(self) -> bool:
        return self._session is not None and not self._session.closed

    def session(self) -> aiohttp.ClientSession:
        session = self._session
        if session is None or session.closed:
            session = self._session = self._new_session()
        return session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _new_session(self) -> aiohttp.ClientSession:
        settings = self._settings
        connector = aiohttp.TCPConnector(
            limit=settings.max_connections,
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
            timeout=route_timeout(10.0),
        )
