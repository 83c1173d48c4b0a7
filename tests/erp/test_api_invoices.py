"""The ERP system API's invoices and payments."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from erp.api import (
    CUSTOMER,
    assert_problem,
    create_invoice,
    create_order,
    error_fields,
    put_customer,
)


async def _billed(api: httpx.AsyncClient) -> tuple[dict[str, Any], dict[str, Any]]:
    await put_customer(api)
    order = await create_order(api)
    return order, await create_invoice(api, str(order["id"]))


async def test_invoicing_an_order(api: httpx.AsyncClient) -> None:
    await put_customer(api)
    order = await create_order(api)
    response = await api.post(
        "/invoices",
        json={"order_id": order["id"], "external_id": "inv-1", "due_date": "2031-01-31"},
    )
    assert response.status_code == 201
    invoice = response.json()
    assert invoice["order_id"] == order["id"]
    assert invoice["customer_id"] == CUSTOMER
    assert invoice["status"] == "open"
    assert invoice["total"] == order["total"]
    assert invoice["amount_due"] == order["total"]
    assert invoice["due_date"] == "2031-01-31T00:00:00Z"
    assert invoice["number"].startswith("INV-")
    assert (await api.get(f"/orders/{order['id']}")).json()["status"] == "billed"
    assert (await api.get(f"/invoices/{invoice['id']}")).json() == invoice


async def test_the_same_external_id_returns_the_existing_invoice(api: httpx.AsyncClient) -> None:
    await put_customer(api)
    order = await create_order(api)
    request = {"order_id": order["id"], "external_id": "inv-1"}
    responses = await asyncio.gather(*(api.post("/invoices", json=request) for _ in range(4)))
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 201]
    assert len({r.json()["id"] for r in responses}) == 1


async def test_an_order_that_cannot_be_billed_is_409(api: httpx.AsyncClient) -> None:
    await put_customer(api)
    order = await create_order(api)
    await api.post(f"/orders/{order['id']}/status", json={"status": "cancelled"})
    body = assert_problem(
        await api.post("/invoices", json={"order_id": order["id"], "external_id": "inv-1"}),
        409,
    )
    assert body["current_status"] == "cancelled"
    assert "cannot" in body["detail"]
    missing = assert_problem(
        await api.post("/invoices", json={"order_id": "424242", "external_id": "x"}),
        404,
    )
    assert (missing["resource"], missing["id"]) == ("order", "424242")


async def test_payments_reduce_what_is_due_and_close_the_order(api: httpx.AsyncClient) -> None:
    order, invoice = await _billed(api)
    partial = await api.post(
        f"/invoices/{invoice['id']}/payments",
        json={"amount": {"amount": "70.49", "currency": "USD"}},
    )
    assert partial.status_code == 200
    assert partial.json()["amount_due"] == {"amount": "200.00", "currency": "USD"}
    assert partial.json()["status"] == "open"

    paid = await api.post(
        f"/invoices/{invoice['id']}/payments",
        json={"amount": {"amount": "200", "currency": "USD"}, "external_id": "pay-2"},
    )
    assert paid.json()["status"] == "paid"
    assert paid.json()["amount_due"] == {"amount": "0.00", "currency": "USD"}
    assert (await api.get(f"/orders/{order['id']}")).json()["status"] == "closed"
    account = (await api.get(f"/customers/{CUSTOMER}")).json()
    assert account["balance"]["amount"] == "0.00"


async def test_payment_errors(api: httpx.AsyncClient) -> None:
    _, invoice = await _billed(api)
    url = f"/invoices/{invoice['id']}/payments"
    too_much = assert_problem(
        await api.post(url, json={"amount": {"amount": "270.50", "currency": "USD"}}),
        422,
    )
    assert error_fields(too_much) == ["amount.amount"]
    wrong_currency = assert_problem(
        await api.post(url, json={"amount": {"amount": "1", "currency": "EUR"}}),
        422,
    )
    assert error_fields(wrong_currency) == ["amount.currency"]
    for amount in ("0", "-5", "1e20"):
        assert_problem(
            await api.post(url, json={"amount": {"amount": amount, "currency": "USD"}}), 422
        )
    await api.post(url, json={"amount": {"amount": "270.49", "currency": "USD"}})
    paid = assert_problem(
        await api.post(url, json={"amount": {"amount": "1", "currency": "USD"}}),
        409,
    )
    assert paid["current_status"] == "paid"
    missing = assert_problem(
        await api.post(
            "/invoices/424242/payments", json={"amount": {"amount": "1", "currency": "USD"}}
        ),
        404,
    )
    assert missing["resource"] == "invoice"


async def test_a_payment_with_an_external_id_is_applied_once(api: httpx.AsyncClient) -> None:
    _, invoice = await _billed(api)
    request = {"amount": {"amount": "100.00", "currency": "USD"}, "external_id": "pay-1"}
    for _ in range(3):
        response = await api.post(f"/invoices/{invoice['id']}/payments", json=request)
        assert response.json()["amount_due"]["amount"] == "170.49"


async def test_cancelling_an_invoice(api: httpx.AsyncClient) -> None:
    order, invoice = await _billed(api)
    cancelled = await api.post(f"/invoices/{invoice['id']}/status", json={"status": "cancelled"})
    assert cancelled.json()["status"] == "cancelled"
    assert (await api.get(f"/orders/{order['id']}")).json()["status"] == "pending_billing"
    again = await create_invoice(api, str(order["id"]), "inv-2")
    await api.post(
        f"/invoices/{again['id']}/payments", json={"amount": {"amount": "1", "currency": "USD"}}
    )
    refused = assert_problem(
        await api.post(f"/invoices/{again['id']}/status", json={"status": "cancelled"}),
        409,
    )
    assert refused["current_status"] == "open"
    assert "payments" in refused["reason"]
    assert_problem(await api.post(f"/invoices/{again['id']}/status", json={"status": "paid"}), 422)


async def test_list_invoices_by_customer_order_and_status(api: httpx.AsyncClient) -> None:
    order, invoice = await _billed(api)
    other = await create_order(api, "web-2")
    await create_invoice(api, str(other["id"]), "inv-2")
    by_customer = (await api.get("/invoices", params={"customer_id": CUSTOMER})).json()
    assert by_customer["total"] == 2
    by_order = (await api.get("/invoices", params={"order_id": order["id"]})).json()
    assert [i["id"] for i in by_order["items"]] == [invoice["id"]]
    assert (await api.get("/invoices", params={"status": "paid"})).json()["total"] == 0
    assert (await api.get("/invoices", params={"order_id": "x"})).json()["total"] == 0
