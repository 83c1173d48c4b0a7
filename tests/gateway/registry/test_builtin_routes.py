"""The built-in APIs through the gateway, now that a method without a scope is refused:
each answers its scope's holders as before, the availability API's POST /fulfilment (a
query) is granted by availability:read, and the read-only customers API takes no writes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from strata.app import Strata, create_strata
from strata.db import Database
from strata.http import in_process
from strata.settings import load_settings

ISSUER = "http://127.0.0.1:8000"
BACK_OFFICE_READS = "crm:read erp:read inventory:read orders:read customers:read availability:read"


@pytest.fixture
async def strata(database: Database) -> AsyncIterator[Strata]:
    settings = load_settings(
        redis_url=None,
        seed_demo_data=True,
        oauth={
            "issuer": ISSUER,
            "secret_key": "built-in-route-tests-key-long-enough-x-x-x-x",
            "password_hash_time_cost": 1,
            "password_hash_memory_kib": 64,
        },
    )
    strata = create_strata(settings, database)
    await strata.start()
    try:
        yield strata
    finally:
        await strata.stop()


@pytest.fixture
async def gateway(strata: Strata) -> AsyncIterator[httpx.AsyncClient]:
    client, secret = await strata.gateway.oauth.create_client("reader", BACK_OFFICE_READS)
    assert secret is not None
    transport = in_process(strata.gateway.data_path)
    async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as http:
        issued = await http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "scope": BACK_OFFICE_READS},
            auth=(client.id, secret),
        )
        assert issued.status_code == 200, issued.text
        http.headers["Authorization"] = f"Bearer {issued.json()['access_token']}"
        yield http


READS = [
    "/system/crm/v1/customers",
    "/system/erp/v1/orders",
    "/system/inventory/v1/products",
    "/process/orders/v1/orders",
    "/process/availability/v1/availability/FUR-001-GRA",
]


async def test_every_built_in_api_answers_its_readers(gateway: httpx.AsyncClient):
    for path in READS:
        answer = await gateway.get(path)
        assert answer.status_code == 200, (path, answer.text)


async def test_fulfilment_is_granted_by_reading_and_customers_take_no_writes(
    gateway: httpx.AsyncClient,
):
    cart = {"lines": [{"sku": "FUR-001-GRA", "quantity": 1}]}
    fulfilment = await gateway.post("/process/availability/v1/fulfilment", json=cart)
    assert fulfilment.status_code == 200, fulfilment.text
    assert fulfilment.json()["locations"]

    write = await gateway.post("/process/customers/v1/customers", json={})
    assert write.status_code == 403
    assert write.json()["type"].endswith("/not-granted")
