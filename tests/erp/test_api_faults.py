"""A failing ERP, as the ERP system API reports it: timeouts, outages, errors, junk, and
retries only where repeating a call is safe."""

from __future__ import annotations

import random
import time

import httpx
from conftest import asgi_client

from erp.api import assert_problem, create_invoice, create_order, order_request, put_customer
from erp.conftest import make_api
from strata.settings import FaultSettings
from system_apis.backends.faults import FaultState
from system_apis.common.backend_client import BackendClient
from system_apis.erp.app import create_api


class ScriptedRandom(random.Random):
    """Answers ``random()`` from a script: 0.0 makes a fault roll hit, 0.99 makes it miss."""

    def __init__(self, *rolls: float) -> None:
        super().__init__(0)
        self.rolls = list(rolls)
        self.calls = 0

    def random(self) -> float:
        self.calls += 1
        return self.rolls.pop(0) if self.rolls else 0.99


async def test_latency_beyond_the_timeout_is_504(backend_app: object, faults: FaultState) -> None:
    faults.set(FaultSettings(latency_ms=5_000))
    async with make_api(backend_app, timeout=0.1, retries=1) as api:
        started = time.monotonic()
        body = assert_problem(await api.get("/orders/1"), 504)
    assert time.monotonic() - started < 2
    assert body["system"] == "erp"


async def test_an_outage_is_503(api: httpx.AsyncClient, faults: FaultState) -> None:
    faults.set(FaultSettings(outage=True))
    response = await api.get("/invoices")
    body = assert_problem(response, 503)
    assert body["system"] == "erp"
    assert response.headers["retry-after"]


async def test_server_errors_are_502(api: httpx.AsyncClient, faults: FaultState) -> None:
    faults.set(FaultSettings(error_rate=1.0))
    body = assert_problem(await api.get("/customers/C-1"), 502)
    assert body["backend_status"] == 500


async def test_junk_bodies_are_502_invalid_backend_response(
    api: httpx.AsyncClient,
    faults: FaultState,
) -> None:
    await put_customer(api)
    faults.set(FaultSettings(junk_rate=1.0))
    for response in (await api.get("/orders"), await api.post("/orders", json=order_request())):
        body = assert_problem(response, 502)
        assert body["title"] == "Invalid backend response"
        assert "malformed XML" in body["detail"]


async def test_faults_set_at_run_time_through_the_admin_endpoint(
    api: httpx.AsyncClient,
    erp: httpx.AsyncClient,
) -> None:
    assert (await api.get("/orders")).status_code == 200
    set_outage = await erp.put("/_admin/faults", json={"outage": True})
    assert set_outage.json()["outage"] is True
    assert (await erp.get("/_admin/faults")).json()["outage"] is True
    assert_problem(await api.get("/orders"), 503)
    await erp.delete("/_admin/faults")
    assert (await api.get("/orders")).status_code == 200
    bad = await erp.put("/_admin/faults", json={"error_rate": 7})
    assert bad.status_code == 400
    assert b"<error>" in bad.content


async def test_a_transient_failure_is_retried_for_a_safe_call(
    api: httpx.AsyncClient,
    faults: FaultState,
) -> None:
    await put_customer(api)
    rng = ScriptedRandom(0.0, 0.99)
    faults.rng = rng
    faults.set(FaultSettings(error_rate=0.5))
    # Creating an order carries its external id, so a repeat returns the same order.
    response = await api.post("/orders", json=order_request("web-retry"))
    assert response.status_code == 201
    assert rng.calls == 2
    faults.clear()
    page = (await api.get("/orders")).json()
    assert [order["external_id"] for order in page["items"]] == ["web-retry"]


async def test_a_payment_without_an_external_id_is_never_retried(
    api: httpx.AsyncClient,
    faults: FaultState,
) -> None:
    await put_customer(api)
    order = await create_order(api)
    invoice = await create_invoice(api, order["id"])
    rng = ScriptedRandom(0.0, 0.99)
    faults.rng = rng
    faults.set(FaultSettings(error_rate=0.5))
    response = await api.post(
        f"/invoices/{invoice['id']}/payments",
        json={"amount": {"amount": "10.00", "currency": "USD"}},
    )
    assert_problem(response, 502)
    assert rng.calls == 1
    faults.clear()
    unchanged = (await api.get(f"/invoices/{invoice['id']}")).json()
    assert unchanged["amount_due"] == invoice["amount_due"]


def mock_api(status: int, content: bytes, content_type: str) -> httpx.AsyncClient:
    """The system API over an ERP that always answers with this response."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=content, headers={"content-type": content_type})

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="http://erp")
    return asgi_client(create_api(BackendClient("erp", http, retries=0)))


async def test_an_answer_that_is_not_xml_is_502() -> None:
    async with mock_api(200, b"<html>Session expired, please log in</html>", "text/html") as api:
        body = assert_problem(await api.get("/orders/1"), 502)
    assert "instead of XML" in body["detail"]


async def test_an_error_that_is_not_an_erp_fault_is_502() -> None:
    async with mock_api(400, b"Bad Request", "text/plain") as api:
        body = assert_problem(await api.get("/orders/1"), 502)
    assert "not an ERP fault" in body["detail"]


async def test_records_missing_fields_are_502_naming_what_was_wrong() -> None:
    record = (
        b'<salesOrder internalId="1"><tranId>SO-1</tranId><currency>USD</currency>'
        b"<status>B</status></salesOrder>"
    )
    async with mock_api(200, record, "application/xml") as api:
        body = assert_problem(await api.get("/orders/1"), 502)
    assert "entity" in body["detail"]


async def test_values_outside_the_canonical_model_are_502() -> None:
    record = (
        b'<salesOrder internalId="1"><tranId>SO-1</tranId><entity internalId="4"/>'
        b"<currency>USD</currency><status>Z</status><total>1.00</total>"
        b"<createdDate>2026-01-01T00:00:00Z</createdDate>"
        b"<lastModifiedDate>2026-01-01T00:00:00Z</lastModifiedDate></salesOrder>"
    )
    async with mock_api(200, record, "application/xml") as api:
        body = assert_problem(await api.get("/orders/1"), 502)
    assert "status code 'Z'" in body["detail"]
