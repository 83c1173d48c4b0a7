"""How many rate limit decisions per second each store makes, through ``RateLimiter.check``.

    python bench/ratelimit.py [--redis-url redis://127.0.0.1:6379/0] [--memory-n 200000]

Runs each store sequentially and with 50 concurrent tasks, spread over 1,000 clients, and
prints one table. Redis rows are skipped (with the reason) when the server is unreachable;
the keys written are deleted afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from redis.asyncio import Redis

from gateway.ratelimit import RateLimiter, RateLimitSettings, StoreUnavailable, build_limiter

CLIENTS = 1_000
CONCURRENCY = 50


@dataclass
class Row:
    store: str
    mode: str
    decisions: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.decisions / self.seconds

    @property
    def microseconds(self) -> float:
        return self.seconds / self.decisions * 1e6


async def sequential(limiter: RateLimiter, n: int) -> None:
    for i in range(n):
        await limiter.check("GET", client_id=f"client-{i % CLIENTS}")


async def concurrent(limiter: RateLimiter, n: int) -> None:
    per_task = n // CONCURRENCY

    async def worker(offset: int) -> None:
        for i in range(per_task):
            await limiter.check("GET", client_id=f"client-{(offset + i) % CLIENTS}")

    await asyncio.gather(*(worker(task * 7) for task in range(CONCURRENCY)))


async def measure(
    store: str,
    mode: str,
    run: Callable[[RateLimiter, int], Awaitable[None]],
    limiter: RateLimiter,
    n: int,
) -> Row:
    n -= n % CONCURRENCY
    await run(limiter, min(n, 1_000))  # warm up: connections, script load, caches
    started = time.perf_counter()
    await run(limiter, n)
    return Row(store, mode, n, time.perf_counter() - started)


async def bench_store(name: str, limiter: RateLimiter, n: int) -> list[Row]:
    return [
        await measure(name, "sequential", sequential, limiter, n),
        await measure(name, f"{CONCURRENCY} concurrent", concurrent, limiter, n),
    ]


async def redis_reason(url: str) -> str | None:
    client = Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        await client.ping()
    except Exception as exc:  # any failure means: no Redis rows, say why
        return f"{type(exc).__name__}: {exc}"
    finally:
        await client.aclose()
    return None


async def delete_keys(url: str, prefix: str) -> None:
    client = Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=prefix + "*", count=1000)]
        for start in range(0, len(keys), 1000):
            await client.delete(*keys[start : start + 1000])
    finally:
        await client.aclose()


def print_table(rows: list[Row], notes: list[str]) -> None:
    header = (
        f"{'store':<8} {'mode':<15} {'decisions':>10} {'seconds':>8} "
        f"{'decisions/s':>12} {'µs each':>8}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row.store:<8} {row.mode:<15} {row.decisions:>10} {row.seconds:>8.2f} "
            f"{row.per_second:>12,.0f} {row.microseconds:>8.1f}"
        )
    for note in notes:
        print(note)


async def main(redis_url: str, memory_n: int, redis_n: int) -> None:
    # Generous limits, so the benchmark measures deciding, not refusing.
    settings = RateLimitSettings(key_prefix=f"strata-bench:{secrets.token_hex(4)}:")
    rows: list[Row] = []
    notes: list[str] = []

    memory = build_limiter(settings, None)
    rows += await bench_store("memory", memory, memory_n)
    await memory.aclose()

    reason = await redis_reason(redis_url)
    if reason is None:
        redis = build_limiter(settings, redis_url)
        try:
            rows += await bench_store("redis", redis, redis_n)
        except StoreUnavailable as exc:
            notes.append(f"redis: failed during the run ({exc})")
        finally:
            await redis.aclose()
            await delete_keys(redis_url, settings.key_prefix)
    else:
        notes.append(f"redis: skipped, {redis_url} is unreachable ({reason})")
    print_table(rows, notes)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("STRATA_REDIS_URL", "redis://127.0.0.1:6379/0"),
    )
    parser.add_argument("--memory-n", type=int, default=200_000, help="decisions per memory run")
    parser.add_argument("--redis-n", type=int, default=20_000, help="decisions per Redis run")
    return parser.parse_args()


if __name__ == "__main__":
    args = parse_args()
    asyncio.run(main(args.redis_url, args.memory_n, args.redis_n))
