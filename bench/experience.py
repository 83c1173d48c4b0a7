"""What composing costs: experience-API reads against the system-API read they build on.

    python bench/experience.py [--requests 200] [--concurrency 4]

Everything runs in this process through the gateway, as in the embedded default (SQLite in a
temporary folder, seeded with the demo world), with one signed-in demo user's real token.
The baseline is the inventory system API's page of 12 products; the experience answers
compose it with an availability look-up per product (web and mobile), the customer 360
(dashboard, /me), and the order list. A mobile revalidation (If-None-Match, 304) is timed
too. Each line prints requests per second and p50/p99 latency, and its cost relative to
the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import select

# Python puts this script's folder first on the path, and it holds a ``gateway.py`` script
# that would hide the ``gateway`` package.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]

from gateway.oauth.models import OAuthClient, OAuthUser  # noqa: E402
from strata.app import Strata, create_strata  # noqa: E402
from strata.http import in_process  # noqa: E402
from strata.settings import load_settings  # noqa: E402

BASELINE = ("system products page (baseline)", "/system/inventory/v1/products?limit=12")
READS = (
    BASELINE,
    ("mobile products page", "/experience/mobile/v1/products?limit=12"),
    ("web products page", "/experience/web/v1/products?limit=12"),
    ("mobile /me", "/experience/mobile/v1/me"),
    ("web dashboard", "/experience/web/v1/dashboard"),
    ("mobile /me/orders", "/experience/mobile/v1/me/orders?limit=20"),
)


async def user_token(strata: Strata, username: str) -> str:
    """A real token the authorization server issues when ``username`` approves the web app."""
    oauth = strata.gateway.oauth
    signer = await oauth.tokens.signer()
    async with strata.layers.database.session() as session:
        user = (
            await session.execute(select(OAuthUser).where(OAuthUser.username == username))
        ).scalar_one()
        client = await session.get(OAuthClient, "strata-web")
        assert client is not None
        scopes = ["me:read", "me:write", "inventory:read", "availability:read"]
        issued = await oauth.tokens.issue(
            session,
            signer=signer,
            client=client,
            scopes=scopes,
            audience=oauth.audiences.of_scopes(scopes),
            user=user,
        )
    return issued.access_token


async def timed(
    http: httpx.AsyncClient, path: str, headers: dict[str, str], requests: int, concurrency: int
) -> tuple[float, list[float]]:
    latencies: list[float] = []
    queue = iter(range(requests))

    async def worker() -> None:
        for _ in queue:
            started = time.perf_counter()
            response = await http.get(path, headers=headers)
            latencies.append(time.perf_counter() - started)
            if response.status_code not in (200, 304):
                raise SystemExit(f"{path} answered {response.status_code}: {response.text}")

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies


def report(name: str, elapsed: float, latencies: list[float], baseline_p50: float | None) -> float:
    ordered = sorted(latencies)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    relative = f"{p50 / baseline_p50:5.1f}x" if baseline_p50 else "  1.0x"
    print(
        f"{name:34} {len(latencies) / elapsed:8.1f} req/s   p50 {p50 * 1000:7.1f} ms"
        f"   p99 {p99 * 1000:7.1f} ms   {relative} the baseline's p50"
    )
    return p50


async def run(requests: int, concurrency: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(
            database_url=f"sqlite+aiosqlite:///{folder}/bench.db",
            redis_url=None,
            seed_demo_data=True,
            log_level="warning",
            # The rate limiter stays on (it is part of every call) but never refuses here.
            rate_limits={"tiers": {"standard": {"read": "1000000/s", "write": "1000000/s"}}},
        )
        strata = create_strata(settings)
        await strata.start()
        try:
            auth = {"Authorization": f"Bearer {await user_token(strata, 'dana')}"}
            async with httpx.AsyncClient(
                transport=in_process(strata.asgi), base_url=settings.oauth.issuer
            ) as http:
                await place_orders(http, auth, 5)
                baseline_p50 = None
                for name, path in READS:
                    await timed(http, path, auth, 10, 1)  # warm up
                    elapsed, latencies = await timed(http, path, auth, requests, concurrency)
                    p50 = report(name, elapsed, latencies, baseline_p50)
                    baseline_p50 = baseline_p50 or p50
                path = "/experience/mobile/v1/me/orders?limit=20"
                etag = (await http.get(path, headers=auth)).headers["etag"]
                revalidate = {**auth, "If-None-Match": etag}
                elapsed, latencies = await timed(http, path, revalidate, requests, concurrency)
                report("mobile /me/orders, 304", elapsed, latencies, baseline_p50)
        finally:
            await strata.stop()


async def place_orders(http: httpx.AsyncClient, auth: dict[str, str], count: int) -> None:
    """A few orders, so the order list and the dashboard have something to show."""
    for number in range(count):
        answer = await http.post(
            "/experience/web/v1/checkout",
            json={"lines": [{"sku": "FUR-001-GRA", "quantity": 1}]},
            headers={**auth, "Idempotency-Key": f"bench-{number}"},
        )
        if answer.status_code != 201:
            raise SystemExit(f"checkout answered {answer.status_code}: {answer.text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    options = parser.parse_args()
    asyncio.run(run(options.requests, options.concurrency))


if __name__ == "__main__":
    main()
