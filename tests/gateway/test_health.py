"""Health: /readyz answers from a result at most a second old (one run of the checks at a
time, shared by the callers that arrive during it); /metrics admits only what its guard does."""

from __future__ import annotations

import asyncio

import pytest
from fastapi import FastAPI, Request
from prometheus_client import CollectorRegistry, Counter
from starlette.types import Receive, Scope, Send

from gateway.health import HealthChecks, create_health_router
from strata.db import Database
from strata.errors import Problem, install_problem_handlers
from tests.conftest import asgi_client


class CountingApi:
    """A built-in API's stand-in: counts the readiness checks that reach it and holds each
    one until ``release`` is set."""

    def __init__(self, status: int = 200) -> None:
        self.calls = 0
        self.status = status
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        self.release.set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls += 1
        self.entered.set()
        await self.release.wait()
        await send({"type": "http.response.start", "status": self.status, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def api() -> CountingApi:
    return CountingApi()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def checks(database: Database, api: CountingApi, clock: Clock) -> HealthChecks:
    return HealthChecks(database, builtin_apps={"crm": api}, clock=clock)


async def test_concurrent_callers_share_one_run(checks: HealthChecks, api: CountingApi) -> None:
    api.release.clear()
    callers = [asyncio.create_task(checks.current()) for _ in range(5)]
    await api.entered.wait()
    api.release.set()
    results = await asyncio.gather(*callers)
    assert api.calls == 1
    assert all(result == {"database": "ok", "api:crm": "ok"} for result in results)


async def test_a_result_is_reused_for_a_second(
    checks: HealthChecks, api: CountingApi, clock: Clock
) -> None:
    await checks.current()
    clock.now += 0.9
    await checks.current()
    assert api.calls == 1
    clock.now += 0.1
    await checks.current()
    assert api.calls == 2


async def test_a_caller_that_gives_up_leaves_the_run_to_the_others(
    checks: HealthChecks, api: CountingApi
) -> None:
    api.release.clear()
    impatient = asyncio.create_task(checks.current())
    await api.entered.wait()
    patient = asyncio.create_task(checks.current())
    impatient.cancel()
    api.release.set()
    assert (await patient)["api:crm"] == "ok"
    assert api.calls == 1


async def test_a_failing_check_is_reported_and_retried_after_a_second(
    database: Database, clock: Clock
) -> None:
    failing = CountingApi(status=500)
    checks = HealthChecks(database, builtin_apps={"crm": failing}, clock=clock)
    assert (await checks.current())["api:crm"] == "failed: RuntimeError"
    clock.now += 1.0
    await checks.current()
    assert failing.calls == 2


async def scraper_only(request: Request) -> None:
    if request.headers.get("authorization") != "Bearer scraper":
        raise Problem(401, "Unauthorized", "a metrics:read token is needed", kind="unauthorized")


async def test_metrics_need_the_guard_and_readiness_does_not(checks: HealthChecks) -> None:
    registry = CollectorRegistry()
    Counter("strata_upstream_requests", "Requests", registry=registry).inc()
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(create_health_router(checks, registry, metrics_guard=scraper_only))
    async with asgi_client(app) as http:
        refused = await http.get("/metrics")
        scraped = await http.get("/metrics", headers={"Authorization": "Bearer scraper"})
        ready = await http.get("/readyz")
    assert refused.status_code == 401
    assert "strata_upstream" not in refused.text
    assert scraped.status_code == 200 and "strata_upstream_requests_total 1.0" in scraped.text
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
