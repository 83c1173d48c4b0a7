"""Behind a reverse proxy: the data path limits each client by its own address, taken from
X-Forwarded-For only when the TCP peer is a trusted proxy (the server configuration
``strata serve`` runs, loaded as uvicorn loads it)."""

from __future__ import annotations

from ipaddress import ip_network
from typing import Any

import httpx

from gateway.app import rate_limit_hook
from gateway.ratelimit.config import RateLimitSettings
from gateway.ratelimit.limiter import RateLimiter
from gateway.ratelimit.memory import MemoryStore
from strata.server import server_config
from strata.server_settings import ServerSettings

PROXY = ("10.0.0.7", 41_000)
TRUSTED = (ip_network("10.0.0.0/24"),)
# Anonymous callers get one read each, so a second read in one bucket is refused.
ONE_READ = RateLimitSettings(tiers={"free": {"read": "1/hour burst 1", "write": "1/hour burst 1"}})


def limiter() -> Any:
    return rate_limit_hook(RateLimiter(ONE_READ, MemoryStore(), clock=lambda: 1_000.0))


def served(app: Any, trusted: Any, peer: tuple[str, int] = PROXY) -> httpx.AsyncClient:
    config = server_config(app, "127.0.0.1", 0, ServerSettings(), trusted)
    config.load()
    transport = httpx.ASGITransport(app=config.loaded_app, client=peer)
    return httpx.AsyncClient(transport=transport, base_url="http://gateway.test")


async def read_as(client: httpx.AsyncClient, forwarded_for: str) -> int:
    answer = await client.get("/system/open/v1/x", headers={"X-Forwarded-For": forwarded_for})
    return answer.status_code


async def test_two_callers_behind_a_trusted_proxy_have_buckets_of_their_own(
    upstreams: Any, gateway: Any, make_route: Any
) -> None:
    (a,) = await upstreams("a")
    gw = gateway([make_route("open", [a.url], public=True)], limit=limiter())

    async with served(gw.data_path, TRUSTED) as client:
        first = await read_as(client, "198.51.100.1")
        second = await read_as(client, "198.51.100.2")
        first_again = await read_as(client, "198.51.100.1")

    assert (first, second, first_again) == (200, 200, 429)


async def test_the_client_is_the_right_most_address_that_is_not_a_trusted_proxy(
    upstreams: Any, gateway: Any, make_route: Any
) -> None:
    (a,) = await upstreams("a")
    gw = gateway([make_route("open", [a.url], public=True)], limit=limiter())

    async with served(gw.data_path, TRUSTED) as client:
        # The left-most entries are whatever the client sent; the proxies appended the rest.
        first = await read_as(client, "203.0.113.50, 198.51.100.1, 10.0.0.3")
        forged = await read_as(client, "203.0.113.51, 198.51.100.1, 10.0.0.3")

    assert (first, forged) == (200, 429)


async def test_an_untrusted_peer_cannot_pick_its_address(
    upstreams: Any, gateway: Any, make_route: Any
) -> None:
    (a,) = await upstreams("a")
    gw = gateway([make_route("open", [a.url], public=True)], limit=limiter())

    async with served(gw.data_path, TRUSTED, peer=("192.0.2.9", 40_000)) as client:
        first = await read_as(client, "198.51.100.1")
        spoofed = await read_as(client, "198.51.100.2")

    assert (first, spoofed) == (200, 429)


async def test_by_default_no_proxy_is_trusted_not_even_loopback(
    upstreams: Any, gateway: Any, make_route: Any
) -> None:
    (a,) = await upstreams("a")
    gw = gateway([make_route("open", [a.url], public=True)], limit=limiter())

    async with served(gw.data_path, (), peer=("127.0.0.1", 40_000)) as client:
        first = await read_as(client, "198.51.100.1")
        spoofed = await read_as(client, "198.51.100.2")

    assert (first, spoofed) == (200, 429)


def test_the_server_turns_proxy_headers_on_only_for_trusted_proxies() -> None:
    default = server_config(None, "127.0.0.1", 0, ServerSettings())  # type: ignore[arg-type]
    trusted = server_config(None, "127.0.0.1", 0, ServerSettings(), TRUSTED)  # type: ignore[arg-type]

    assert default.proxy_headers is False
    assert (trusted.proxy_headers, trusted.forwarded_allow_ips) == (True, ["10.0.0.0/24"])
