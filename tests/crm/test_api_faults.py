"""CRM failures through the CRM system API: each fault mode of the stand-in becomes a clear
problem, faults set at run time through the admin endpoint take effect, idempotent calls are
retried past a transient failure and the others are not."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
from conftest import asgi_client

from crm.support import BACKEND_URL, GLOBEX, SYSTEM_URL, ScriptedRandom, count_accounts
from strata.db import Database
from strata.settings import FaultSettings
from system_apis.backends.crm import create_backend
from system_apis.backends.faults import FaultState
from system_apis.common.backend_client import BackendClient
from system_apis.crm.app import create_api

ApiFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def api_over(seeded: Database) -> ApiFactory:
    """The system API over a CRM with the given fault state and client timeout."""

    @asynccontextmanager
    async def build(
        faults: FaultState, client_timeout: float = 5.0
    ) -> AsyncIterator[httpx.AsyncClient]:
        backend_app = create_backend(seeded, faults)
        async with asgi_client(backend_app, BACKEND_URL) as http:
            backend = BackendClient("crm", http, timeout=client_timeout, retries=2)
            async with asgi_client(create_api(backend), SYSTEM_URL) as client:
                yield client

    return build


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["system"] == "crm"
    return body


async def test_latency_beyond_the_timeout_is_504(api_over: ApiFactory) -> None:
    faults = FaultState(FaultSettings(latency_ms=300))
    async with api_over(faults, client_timeout=0.05) as api:
        body = problem(await api.get(f"/customers/{GLOBEX}"), 504)
    assert body["title"] == "Backend timeout"


async def test_an_outage_is_503_with_retry_after(api_over: ApiFactory) -> None:
    async with api_over(FaultState(FaultSettings(outage=True))) as api:
        response = await api.get("/customers")
        problem(response, 503)
    assert response.headers["retry-after"] == "5"


async def test_server_errors_are_502(api_over: ApiFactory) -> None:
    async with api_over(FaultState(FaultSettings(error_rate=1.0))) as api:
        body = problem(await api.get(f"/customers/{GLOBEX}/activities"), 502)
    assert body["title"] == "Backend error" and body["backend_status"] == 500


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/customers", None),
        ("GET", f"/customers/{GLOBEX}", None),
        ("POST", "/customers", {"name": "Junk Co"}),
        ("PUT", "/customers/by-external-id/J-1", {"name": "Junk Co"}),
        ("POST", f"/customers/{GLOBEX}/activities", {"kind": "call", "subject": "x"}),
    ],
)
async def test_junk_answers_are_502_invalid_backend_response(
    api_over: ApiFactory, method: str, path: str, body: dict[str, Any] | None
) -> None:
    async with api_over(FaultState(FaultSettings(junk_rate=1.0))) as api:
        response = await api.request(method, path, json=body)
    assert problem(response, 502)["title"] == "Invalid backend response"


async def test_junk_instead_of_an_update_answer_is_502(api_over: ApiFactory) -> None:
    # The read before the update goes through; the update itself answers junk.
    faults = FaultState(FaultSettings(junk_rate=0.5), rng=ScriptedRandom(0.9, 0.0, 0.0, 0.0))
    async with api_over(faults) as api:
        response = await api.patch(f"/customers/{GLOBEX}", json={"phone": "1"})
    assert problem(response, 502)["title"] == "Invalid backend response"


async def test_faults_set_at_run_time_through_the_admin_endpoint(
    api_over: ApiFactory, seeded: Database
) -> None:
    faults = FaultState()
    async with (
        asgi_client(create_backend(seeded, faults), BACKEND_URL) as admin,
        api_over(faults) as api,
    ):
        assert (await api.get(f"/customers/{GLOBEX}")).status_code == 200
        response = await admin.put("/_admin/faults", json={"outage": True})
        assert response.status_code == 200 and response.json()["outage"] is True
        assert (await admin.get("/_admin/faults")).json()["outage"] is True
        problem(await api.get(f"/customers/{GLOBEX}"), 503)
        assert (await admin.delete("/_admin/faults")).json()["outage"] is False
        assert (await api.get(f"/customers/{GLOBEX}")).status_code == 200
        bad = await admin.put("/_admin/faults", json={"error_rate": 2})
        assert bad.status_code == 400 and bad.json()[0]["errorCode"] == "JSON_PARSER_ERROR"


async def test_a_read_is_retried_past_a_transient_failure(api_over: ApiFactory) -> None:
    rng = ScriptedRandom(0.0, 0.9)  # the first call fails, the second succeeds
    async with api_over(FaultState(FaultSettings(error_rate=0.5), rng=rng)) as api:
        response = await api.get(f"/customers/{GLOBEX}")
    assert response.status_code == 200 and response.json()["id"] == GLOBEX
    assert rng.drawn == 2


async def test_an_update_is_retried_past_a_transient_failure(api_over: ApiFactory) -> None:
    # read ok, update fails, update again ok, read back ok
    rng = ScriptedRandom(0.9, 0.0, 0.9, 0.9)
    async with api_over(FaultState(FaultSettings(error_rate=0.5), rng=rng)) as api:
        response = await api.patch(f"/customers/{GLOBEX}", json={"phone": "+1-555-0100"})
    assert response.status_code == 200 and response.json()["phone"] == "+1-555-0100"
    assert rng.drawn == 4


async def test_a_create_is_not_retried(api_over: ApiFactory, seeded: Database) -> None:
    rng = ScriptedRandom(0.0)  # only the first call fails; a retry would succeed
    async with api_over(FaultState(FaultSettings(error_rate=0.5), rng=rng)) as api:
        response = await api.post("/customers", json={"name": "Once Only"})
    problem(response, 502)
    assert rng.drawn == 1
    assert await count_accounts(seeded) == 60


async def test_an_activity_with_an_external_id_is_retried(api_over: ApiFactory) -> None:
    rng = ScriptedRandom(0.0, 0.9, 0.9)  # upsert fails, upsert again ok, read back ok
    async with api_over(FaultState(FaultSettings(error_rate=0.5), rng=rng)) as api:
        response = await api.post(
            f"/customers/{GLOBEX}/activities",
            json={"kind": "order", "subject": "Order #1", "external_id": "order-1"},
        )
    assert response.status_code == 201
    assert rng.drawn == 3
