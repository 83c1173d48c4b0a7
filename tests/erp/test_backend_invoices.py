"""Invoices made from sales orders, customer payments, and what they do to the order."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from erp.native import (
    RECORDS,
    fault_code,
    make_customer,
    make_invoice,
    make_order,
    parse,
    pay,
    send,
)
from strata.db import Database
from system_apis.backends.erp.models import ErpCustomerPayment, ErpInvoice


async def _order(erp: httpx.AsyncClient, external_id: str = "web-1", **kwargs: Any) -> str:
    await make_customer(erp)
    return parse(await make_order(erp, external_id, **kwargs)).get("internalId") or ""


async def _order_status(erp: httpx.AsyncClient, order_id: str) -> str:
    return parse(await erp.get(f"{RECORDS}/salesOrder/{order_id}")).findtext("status") or ""


async def test_billing_an_order_makes_an_open_invoice(erp: httpx.AsyncClient) -> None:
    order_id = await _order(erp, lines=(("A-1", "3", "10.50"),))
    response = await make_invoice(erp, order_id, "inv-1")
    assert response.status_code == 201
    invoice = parse(response)
    assert invoice.findtext("tranId") == "INV-10001"
    assert invoice.find("createdFrom").get("internalId") == order_id  # type: ignore[union-attr]
    assert invoice.find("entity").get("externalId") == "C-1"  # type: ignore[union-attr]
    assert invoice.findtext("status") == "A"
    assert invoice.findtext("total") == "31.50"
    assert invoice.findtext("amountRemaining") == "31.50"
    tran_date = date.fromisoformat(invoice.findtext("tranDate") or "")
    assert invoice.findtext("dueDate") == (tran_date + timedelta(days=30)).isoformat()
    assert await _order_status(erp, order_id) == "G"

    customer = parse(await erp.get(f"{RECORDS}/customer/eid:C-1"))
    assert customer.findtext("balance") == "31.50"
    assert customer.findtext("currencyList/currency/openInvoices") == "1"


async def test_the_same_external_id_returns_the_first_invoice(erp: httpx.AsyncClient) -> None:
    order_id = await _order(erp)
    first = await make_invoice(erp, order_id, "inv-1")
    again = await make_invoice(erp, order_id, "inv-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert parse(first).get("internalId") == parse(again).get("internalId")


async def test_concurrent_billing_with_one_external_id_makes_one_invoice(
    erp: httpx.AsyncClient,
    database: Database,
) -> None:
    order_id = await _order(erp)
    responses = await asyncio.gather(*(make_invoice(erp, order_id, "inv-race") for _ in range(8)))
    assert sorted(r.status_code for r in responses) == [200] * 7 + [201]
    assert len({parse(r).get("internalId") for r in responses}) == 1
    async with database.session() as session:
        assert await session.scalar(select(func.count()).select_from(ErpInvoice)) == 1


async def test_an_order_is_billed_once(erp: httpx.AsyncClient, database: Database) -> None:
    order_id = await _order(erp)
    responses = await asyncio.gather(*(make_invoice(erp, order_id, f"inv-{n}") for n in range(6)))
    assert sorted(r.status_code for r in responses) == [201] + [409] * 5
    refused = next(r for r in responses if r.status_code == 409)
    assert parse(refused).findtext("detail/currentStatus") == "G"
    async with database.session() as session:
        assert await session.scalar(select(func.count()).select_from(ErpInvoice)) == 1


async def test_cancelled_closed_and_unapproved_orders_cannot_be_billed(
    erp: httpx.AsyncClient,
) -> None:
    await make_customer(erp)
    for external_id, status in (("c", "C"), ("h", "H")):
        order_id = parse(await make_order(erp, external_id)).get("internalId") or ""
        await send(
            erp,
            "PATCH",
            f"/salesOrder/{order_id}",
            f"<salesOrder><status>{status}</status></salesOrder>",
        )
        refused = await make_invoice(erp, order_id, f"inv-{external_id}")
        assert refused.status_code == 409
        assert fault_code(refused) == "INVALID_STATUS_CHANGE"
        assert parse(refused).findtext("detail/currentStatus") == status
    pending = parse(await make_order(erp, "a", extra="<status>A</status>")).get("internalId")
    assert (await make_invoice(erp, pending or "")).status_code == 409
    assert (await make_invoice(erp, "9999")).status_code == 404


async def test_an_external_id_of_another_orders_invoice_is_a_conflict(
    erp: httpx.AsyncClient,
) -> None:
    first = await _order(erp, "web-1")
    second = parse(await make_order(erp, "web-2")).get("internalId") or ""
    await make_invoice(erp, first, "inv-1")
    response = await make_invoice(erp, second, "inv-1")
    assert response.status_code == 409
    assert fault_code(response) == "DUP_RCRD"


async def test_due_date_cannot_precede_the_invoice(erp: httpx.AsyncClient) -> None:
    order_id = await _order(erp)
    response = await send(
        erp,
        "POST",
        f"/salesOrder/{order_id}/!transform/invoice",
        "<invoice><tranDate>2026-01-10</tranDate><dueDate>2026-01-01</dueDate></invoice>",
    )
    assert parse(response).findtext("field") == "invoice.dueDate"


async def test_payments_reduce_the_balance_and_full_payment_closes_the_order(
    erp: httpx.AsyncClient,
) -> None:
    order_id = await _order(erp, lines=(("A-1", "1", "100.00"),))
    invoice_id = parse(await make_invoice(erp, order_id)).get("internalId") or ""

    partial = await pay(erp, invoice_id, "30.25")
    assert partial.status_code == 201
    assert parse(partial).findtext("tranId") == "PYMT-10001"
    invoice = parse(await erp.get(f"{RECORDS}/invoice/{invoice_id}"))
    assert (invoice.findtext("status"), invoice.findtext("amountRemaining")) == ("A", "69.75")
    assert await _order_status(erp, order_id) == "G"

    await pay(erp, invoice_id, "69.75")
    invoice = parse(await erp.get(f"{RECORDS}/invoice/{invoice_id}"))
    assert invoice.findtext("status") == "B"
    assert invoice.find("status").get("name") == "paidInFull"  # type: ignore[union-attr]
    assert invoice.findtext("amountPaid") == "100.00"
    assert invoice.findtext("amountRemaining") == "0.00"
    assert await _order_status(erp, order_id) == "H"
    assert parse(await erp.get(f"{RECORDS}/customer/eid:C-1")).findtext("balance") == "0.00"


async def test_overpaying_or_paying_a_paid_invoice_is_refused(erp: httpx.AsyncClient) -> None:
    order_id = await _order(erp, lines=(("A-1", "1", "10.00"),))
    invoice_id = parse(await make_invoice(erp, order_id)).get("internalId") or ""
    too_much = await pay(erp, invoice_id, "10.01")
    assert too_much.status_code == 400
    assert parse(too_much).findtext("field") == "customerPayment.payment"
    assert "10.00" in (parse(too_much).findtext("message") or "")

    await pay(erp, invoice_id, "10.00")
    again = await pay(erp, invoice_id, "1.00")
    assert again.status_code == 409
    assert parse(again).findtext("detail/currentStatus") == "B"
    for amount in ("0", "-1", "abc"):
        assert (await pay(erp, invoice_id, amount)).status_code == 400
    assert fault_code(await pay(erp, "777", "1.00")) == "INVALID_KEY_OR_REF"


async def test_a_payment_external_id_applies_once(
    erp: httpx.AsyncClient,
    database: Database,
) -> None:
    order_id = await _order(erp, lines=(("A-1", "1", "50.00"),))
    invoice_id = parse(await make_invoice(erp, order_id)).get("internalId") or ""
    responses = await asyncio.gather(*(pay(erp, invoice_id, "20.00", "pay-1") for _ in range(5)))
    assert sorted(r.status_code for r in responses) == [200] * 4 + [201]
    invoice = parse(await erp.get(f"{RECORDS}/invoice/{invoice_id}"))
    assert invoice.findtext("amountRemaining") == "30.00"
    different = await pay(erp, invoice_id, "5.00", "pay-1")
    assert fault_code(different) == "DUP_RCRD"
    async with database.session() as session:
        assert await session.scalar(select(func.count()).select_from(ErpCustomerPayment)) == 1


async def test_concurrent_payments_never_overdraw_an_invoice(erp: httpx.AsyncClient) -> None:
    order_id = await _order(erp, lines=(("A-1", "1", "100.00"),))
    invoice_id = parse(await make_invoice(erp, order_id)).get("internalId") or ""
    responses = await asyncio.gather(*(pay(erp, invoice_id, "40.00") for _ in range(5)))
    assert sorted(r.status_code for r in responses) == [201, 201, 400, 400, 400]
    invoice = parse(await erp.get(f"{RECORDS}/invoice/{invoice_id}"))
    assert (invoice.findtext("amountPaid"), invoice.findtext("amountRemaining")) == (
        "80.00",
        "20.00",
    )


async def test_voiding_an_unpaid_invoice_lets_the_order_be_billed_again(
    erp: httpx.AsyncClient,
) -> None:
    order_id = await _order(erp)
    invoice_id = parse(await make_invoice(erp, order_id, "inv-1")).get("internalId") or ""
    voided = await send(
        erp, "PATCH", f"/invoice/{invoice_id}", "<invoice><status>V</status></invoice>"
    )
    assert parse(voided).findtext("status") == "V"
    assert parse(voided).findtext("amountRemaining") == "0.00"
    assert await _order_status(erp, order_id) == "F"
    assert (await make_invoice(erp, order_id, "inv-2")).status_code == 201
    assert (await pay(erp, invoice_id, "1.00")).status_code == 409


async def test_an_invoice_with_payments_cannot_be_voided(erp: httpx.AsyncClient) -> None:
    order_id = await _order(erp)
    invoice_id = parse(await make_invoice(erp, order_id)).get("internalId") or ""
    await pay(erp, invoice_id, "1.00")
    refused = await send(
        erp, "PATCH", f"/invoice/{invoice_id}", "<invoice><status>V</status></invoice>"
    )
    assert refused.status_code == 409
    assert "payments" in (parse(refused).findtext("message") or "")
    paid_in_full = await send(
        erp, "PATCH", f"/invoice/{invoice_id}", "<invoice><status>B</status></invoice>"
    )
    assert parse(paid_in_full).findtext("field") == "invoice.status"


async def test_search_invoices_by_customer_order_and_status(erp: httpx.AsyncClient) -> None:
    first = await _order(erp, "web-1")
    second = parse(await make_order(erp, "web-2")).get("internalId") or ""
    paid = parse(await make_invoice(erp, first)).get("internalId") or ""
    await make_invoice(erp, second)
    await pay(erp, paid, "258.00")

    def ids(page: httpx.Response) -> list[str | None]:
        return [i.get("internalId") for i in parse(page).findall("recordList/invoice")]

    everything = await erp.get(f"{RECORDS}/invoice", params={"entity": "eid:C-1"})
    assert len(ids(everything)) == 2
    assert ids(await erp.get(f"{RECORDS}/invoice", params={"status": "B"})) == [paid]
    by_order = await erp.get(f"{RECORDS}/invoice", params={"createdFrom": first})
    assert ids(by_order) == [paid]
    payment = parse(await erp.get(f"{RECORDS}/customerPayment/1"))
    assert payment.find("invoice").get("internalId") == paid  # type: ignore[union-attr]
