"""Backend failures seen through the inventory system API: each fault mode, faults set at run
time, and retries (idempotent calls only)."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager

import httpx
import pytest
import stamina
from conftest import asgi_client
from starlette.types import ASGIApp

from inventory.support import (
    API,
    BACKEND_URL,
    SKU,
    SYSTEM_URL,
    WAREHOUSE_ID,
    read_level,
    set_available,
)
from strata.db import Database
from strata.http import in_process, layer_client
from strata.settings import FaultSettings
from system_apis.backends.faults import FaultState
from system_apis.common.backend_client import BackendClient
from system_apis.inventory.app import create_api


@pytest.fixture(autouse=True)
def _retry_counts_as_configured() -> Iterator[None]:
    """The shared test set-up makes every retry context try 3 times; capping instead keeps
    each call's own attempts (1 for a call that must not be repeated), still without waits."""
    with stamina.set_testing(True, attempts=3, cap=True):
        yield


class ScriptedRandom(random.Random):
    """Rolls given in advance (a roll below the rate is a fault), then never a fault."""

    def __init__(self, rolls: Sequence[float]) -> None:
        super().__init__(0)
        self.rolls = list(rolls)

    def random(self) -> float:
        return self.rolls.pop(0) if self.rolls else 0.99


class CountingTransport(httpx.AsyncBaseTransport):
    """Passes requests to the backend app and remembers each one."""

    def __init__(self, app: ASGIApp) -> None:
        self.inner = in_process(app)
        self.calls: list[tuple[str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls.append((request.method, request.url.path.removeprefix(API)))
        return await self.inner.handle_async_request(request)

    def count(self, method: str, path: str) -> int:
        return self.calls.count((method, path))


@asynccontextmanager
async def system_api(
    backend_app: ASGIApp,
    *,
    seconds: float = 5.0,
    retries: int = 2,
) -> AsyncIterator[tuple[httpx.AsyncClient, CountingTransport]]:
    transport = CountingTransport(backend_app)
    async with layer_client(BACKEND_URL, transport) as http:
        backend = BackendClient("inventory", http, timeout=seconds, retries=retries)
        async with asgi_client(create_api(backend), SYSTEM_URL) as client:
            yield client, transport


def _problem(response: httpx.Response, status: int, kind: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = response.json()
    assert str(body["type"]).endswith(f"/{kind}")
    return body


async def test_latency_beyond_the_timeout_is_504(backend_app: ASGIApp, faults: FaultState) -> None:
    faults.set(FaultSettings(latency_ms=5_000))
    async with system_api(backend_app, seconds=0.05, retries=0) as (api, _):
        response = await api.get(f"/products/{SKU}")
    body = _problem(response, 504, "backend-timeout")
    assert body["system"] == "inventory"


async def test_an_outage_is_503_after_retrying(backend_app: ASGIApp, faults: FaultState) -> None:
    faults.set(FaultSettings(outage=True))
    async with system_api(backend_app) as (api, calls):
        response = await api.get(f"/products/{SKU}")
    _problem(response, 503, "backend-unavailable")
    assert response.headers["retry-after"]
    assert calls.count("GET", "/products.json") == 3  # a read is tried three times


async def test_backend_errors_are_502(backend_app: ASGIApp, faults: FaultState) -> None:
    faults.set(FaultSettings(error_rate=1.0))
    async with system_api(backend_app) as (api, _):
        response = await api.get("/stock", params={"sku": SKU})
    body = _problem(response, 502, "backend-error")
    assert body["backend_status"] == 500


async def test_junk_from_the_backend_is_502_invalid_response(
    backend_app: ASGIApp, faults: FaultState
) -> None:
    faults.set(FaultSettings(junk_rate=1.0))
    async with system_api(backend_app) as (api, _):
        for response in (await api.get("/locations"), await api.get(f"/products/{SKU}")):
            body = _problem(response, 502, "backend-invalid-response")
            assert body["title"] == "Invalid backend response"
            assert "not JSON" in str(body["detail"])


async def test_faults_are_set_and_cleared_at_run_time(backend_app: ASGIApp) -> None:
    async with system_api(backend_app) as (api, _), asgi_client(backend_app, BACKEND_URL) as admin:
        assert (await api.get("/locations")).status_code == 200
        set_faults = await admin.put("/_admin/faults", json={"outage": True})
        assert set_faults.status_code == 200
        assert (await admin.get("/_admin/faults")).json()["outage"] is True
        assert (await api.get("/locations")).status_code == 503

        await admin.put("/_admin/faults", json={"error_rate": 1.0})
        assert (await api.get("/locations")).status_code == 502

        assert (await admin.delete("/_admin/faults")).json()["error_rate"] == 0.0
        assert (await api.get("/locations")).status_code == 200


async def test_a_read_is_retried_after_a_transient_failure(
    backend_app: ASGIApp, faults: FaultState
) -> None:
    faults.set(FaultSettings(error_rate=0.5))
    faults.rng = ScriptedRandom([0.0])  # the first call fails, the rest succeed
    async with system_api(backend_app) as (api, calls):
        response = await api.get(f"/products/{SKU}")
    assert response.status_code == 200
    assert response.json()["sku"] == SKU
    assert calls.count("GET", "/products.json") == 2


async def test_an_adjustment_is_not_retried(
    backend_app: ASGIApp, faults: FaultState, shop: httpx.AsyncClient, seeded: Database
) -> None:
    await set_available(shop, 10)
    faults.set(FaultSettings(error_rate=0.5))
    faults.rng = ScriptedRandom([0.99, 0.0])  # the SKU lookup succeeds, the adjustment fails
    async with system_api(backend_app) as (api, calls):
        response = await api.post(
            "/stock/adjustments", json={"sku": SKU, "location_id": WAREHOUSE_ID, "delta": 1}
        )
    _problem(response, 502, "backend-error")
    assert calls.count("POST", "/inventory_levels/adjust.json") == 1
    assert (await read_level(seeded)).available == 10


async def test_a_reservation_without_external_id_is_not_retried(
    backend_app: ASGIApp,
    faults: FaultState,
    shop: httpx.AsyncClient,
    seeded: Database,
) -> None:
    await set_available(shop, 10)
    faults.set(FaultSettings(error_rate=0.5))
    faults.rng = ScriptedRandom([0.99, 0.0])
    async with system_api(backend_app) as (api, calls):
        response = await api.post(
            "/reservations", json={"sku": SKU, "location_id": WAREHOUSE_ID, "quantity": 2}
        )
    _problem(response, 502, "backend-error")
    assert calls.count("POST", "/reservations.json") == 1
    assert (await read_level(seeded)).available == 10


async def test_a_reservation_with_external_id_is_retried(
    backend_app: ASGIApp,
    faults: FaultState,
    shop: httpx.AsyncClient,
    seeded: Database,
) -> None:
    await set_available(shop, 10)
    faults.set(FaultSettings(error_rate=0.5))
    faults.rng = ScriptedRandom([0.99, 0.0])
    async with system_api(backend_app) as (api, calls):
        response = await api.post(
            "/reservations",
            json={"sku": SKU, "location_id": WAREHOUSE_ID, "quantity": 2, "external_id": "cart-1"},
        )
    assert response.status_code == 201
    assert calls.count("POST", "/reservations.json") == 2
    level = await read_level(seeded)
    assert (level.available, level.reserved) == (8, 2)


async def test_commit_is_retried(
    backend_app: ASGIApp, faults: FaultState, shop: httpx.AsyncClient
) -> None:
    await set_available(shop, 10)
    async with system_api(backend_app) as (api, calls):
        created = await api.post(
            "/reservations", json={"sku": SKU, "location_id": WAREHOUSE_ID, "quantity": 2}
        )
        reservation_id = created.json()["id"]
        faults.set(FaultSettings(error_rate=0.5))
        faults.rng = ScriptedRandom([0.0])
        response = await api.post(f"/reservations/{reservation_id}/commit")
    assert response.status_code == 200
    assert response.json()["status"] == "committed"
    assert calls.count("POST", f"/reservations/{reservation_id}/commit.json") == 2


def _store_answering(routes: dict[str, object]) -> httpx.MockTransport:
    """A stand-in backend that answers fixed JSON per path (200), 404 for anything else."""

    def answer(request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix(API)
        if path in routes:
            return httpx.Response(200, json=routes[path])
        return httpx.Response(404, json={"errors": "Not Found"})

    return httpx.MockTransport(answer)


@asynccontextmanager
async def api_over(transport: httpx.MockTransport) -> AsyncIterator[httpx.AsyncClient]:
    async with layer_client(BACKEND_URL, transport) as http:
        backend = BackendClient("inventory", http, timeout=5.0, retries=0)
        async with asgi_client(create_api(backend), SYSTEM_URL) as client:
            yield client


async def test_a_record_missing_fields_is_502_naming_the_field() -> None:
    product = {
        "id": 1,
        "title": "Desk",
        "body_html": None,
        "product_type": "furniture",
        "status": "active",
        "created_at": "2025-01-06T01:00:00-08:00",
        "updated_at": "2025-01-06T01:00:00-08:00",
        "variants": [{"id": 2, "title": "Default Title", "sku": SKU, "inventory_item_id": 3}],
    }  # no price
    transport = _store_answering(
        {
            "/products.json": {"products": [product]},
            "/shop.json": {"shop": {"id": 9, "currency": "USD"}},
        }
    )
    async with api_over(transport) as api:
        response = await api.get(f"/products/{SKU}")
    body = _problem(response, 502, "backend-invalid-response")
    assert "variants.0.price" in str(body["detail"])


async def test_levels_that_do_not_add_up_are_502() -> None:
    product = {
        "id": 1,
        "title": "Desk",
        "body_html": None,
        "product_type": "furniture",
        "status": "active",
        "created_at": "2025-01-06T01:00:00-08:00",
        "updated_at": "2025-01-06T01:00:00-08:00",
        "variants": [
            {"id": 2, "title": "Default Title", "sku": SKU, "price": "9.00", "inventory_item_id": 3}
        ],
    }
    quantities = [
        {"name": name, "quantity": 5}
        for name in ("available", "committed", "damaged", "incoming", "on_hand", "reserved")
    ]
    level = {
        "inventory_item_id": 3,
        "location_id": 4,
        "available": 5,
        "quantities": quantities,
        "updated_at": "2025-01-06T01:00:00-08:00",
    }
    transport = _store_answering(
        {
            "/products.json": {"products": [product]},
            "/inventory_levels.json": {"inventory_levels": [level]},
            "/locations.json": {
                "locations": [
                    {
                        "id": 4,
                        "name": "Store",
                        "code": "S-4",
                        "address1": None,
                        "address2": None,
                        "city": None,
                        "province_code": None,
                        "zip": None,
                        "country_code": "US",
                        "active": True,
                    }
                ]
            },
        }
    )
    async with api_over(transport) as api:
        response = await api.get("/stock", params={"sku": SKU})
    body = _problem(response, 502, "backend-invalid-response")
    assert "on_hand" in str(body["detail"])


async def test_an_answer_that_is_not_an_object_is_502() -> None:
    transport = _store_answering({"/locations.json": ["not", "an", "object"]})
    async with api_over(transport) as api:
        response = await api.get("/locations")
    _problem(response, 502, "backend-invalid-response")
