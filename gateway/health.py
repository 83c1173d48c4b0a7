"""Liveness, readiness and metrics of a gateway process.

``/readyz`` is public and may be polled by anyone, so it answers from a result at most
:data:`READY_MAX_AGE_SECONDS` old: one run of the checks at a time, and callers that arrive
while one runs wait for it. ``/metrics`` names upstream URLs: it needs a token with
``metrics:read``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx
import redis.asyncio as redis
from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from sqlalchemy import text
from starlette.types import ASGIApp

from strata.db import Database
from strata.http import in_process
from strata.json_body import StrictJsonRoute

CHECK_TIMEOUT_SECONDS = 2.0
READY_MAX_AGE_SECONDS = 1.0
Clock = Callable[[], float]


class HealthChecks:
    """What ``/readyz`` checks: the database, Redis when configured, and that every built-in
    API answers (its OpenAPI document, in process)."""

    def __init__(
        self,
        database: Database,
        redis_url: str | None = None,
        builtin_apps: Mapping[str, ASGIApp] | None = None,
        *,
        max_age_seconds: float = READY_MAX_AGE_SECONDS,
        clock: Clock = time.monotonic,
    ) -> None:
        self.database = database
        self.redis_url = redis_url
        self.builtin_apps = dict(builtin_apps or {})
        self.max_age_seconds = max_age_seconds
        self._clock = clock
        self._latest: tuple[float, dict[str, str]] | None = None
        self._running: asyncio.Task[dict[str, str]] | None = None

    async def current(self) -> dict[str, str]:
        """The results of a run that started at most ``max_age_seconds`` ago: the latest, or
        the one in flight, or a new one."""
        latest = self._latest
        if latest is not None and self._clock() - latest[0] < self.max_age_seconds:
            return latest[1]
        if self._running is None:
            self._running = asyncio.create_task(self._run_and_keep())
        # Shielded: a caller that gives up does not cancel the run the others wait for.
        return await asyncio.shield(self._running)

    async def _run_and_keep(self) -> dict[str, str]:
        started = self._clock()
        try:
            results = await self.run()
        finally:
            self._running = None
        self._latest = (started, results)
        return results

    async def run(self) -> dict[str, str]:
        checks: dict[str, Any] = {"database": self._database()}
        if self.redis_url:
            checks["redis"] = self._redis()
        for name, app in self.builtin_apps.items():
            checks[f"api:{name}"] = self._api(app)
        names = list(checks)
        results = await asyncio.gather(
            *(self._timed(check) for check in checks.values()),
            return_exceptions=False,
        )
        return dict(zip(names, results, strict=True))

    async def _timed(self, check: Any) -> str:
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
                await check
        except TimeoutError:
            return "timeout"
        except Exception as exc:
            return f"failed: {type(exc).__name__}"
        return "ok"

    async def _database(self) -> None:
        async with self.database.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def _redis(self) -> None:
        assert self.redis_url is not None
        client = redis.Redis.from_url(self.redis_url)
        try:
            await client.ping()
        finally:
            await client.aclose()

    async def _api(self, app: ASGIApp) -> None:
        async with httpx.AsyncClient(transport=in_process(app), base_url="http://api") as http:
            response = await http.get("/openapi.json")
        if response.status_code != 200:
            raise RuntimeError(f"answered {response.status_code}")


def create_health_router(
    checks: HealthChecks,
    metrics: CollectorRegistry,
    *,
    metrics_guard: Callable[..., Awaitable[Any]],
) -> APIRouter:
    """``metrics_guard`` is the dependency that admits a scraper (a ``metrics:read`` token)."""
    router = APIRouter(route_class=StrictJsonRoute, tags=["operations"])

    @router.get("/healthz", summary="Alive: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="Ready: the database, Redis (when configured) and the built-in APIs answer",
        responses={503: {"description": "Something the gateway needs is not ready"}},
    )
    async def readyz() -> JSONResponse:
        results = await checks.current()
        ready = all(result == "ok" for result in results.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": results},
            status_code=200 if ready else 503,
        )

    @router.get(
        "/metrics",
        summary="Prometheus metrics",
        include_in_schema=False,
        dependencies=[Depends(metrics_guard)],
    )
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(metrics), media_type=CONTENT_TYPE_LATEST)

    return router
