"""Liveness, readiness and metrics of a gateway process."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import httpx
import redis.asyncio as redis
from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from sqlalchemy import text
from starlette.types import ASGIApp

from strata.db import Database
from strata.http import in_process

CHECK_TIMEOUT_SECONDS = 2.0


class HealthChecks:
    """What ``/readyz`` checks: the database, Redis when configured, and that every built-in
    API answers (its OpenAPI document, in process)."""

    def __init__(
        self,
        database: Database,
        redis_url: str | None = None,
        builtin_apps: Mapping[str, ASGIApp] | None = None,
    ) -> None:
        self.database = database
        self.redis_url = redis_url
        self.builtin_apps = dict(builtin_apps or {})

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


def create_health_router(checks: HealthChecks, metrics: CollectorRegistry) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Alive: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="Ready: the database, Redis (when configured) and the built-in APIs answer",
        responses={503: {"description": "Something the gateway needs is not ready"}},
    )
    async def readyz() -> JSONResponse:
        results = await checks.run()
        ready = all(result == "ok" for result in results.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": results},
            status_code=200 if ready else 503,
        )

    @router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(metrics), media_type=CONTENT_TYPE_LATEST)

    return router
