"""The customer's orders: their list, one order with its trace, and paying it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from experience.support import ExperienceStack
from experience.web.shop import assert_problem, field_names, placed_order, signed_in

CHAIR = "FUR-001-GRA"


async def process_order(stack: ExperienceStack, order_id: str, token: dict[str, str]) -> dict:
    async with stack.below("process", "orders") as below:
        answer = await below.get(f"/orders/{order_id}", headers=token)
    assert answer.status_code == 200, answer.text
    body: dict = answer.json()
    return body


async def process_trace(stack: ExperienceStack, order_id: str, token: dict[str, str]) -> dict:
    async with stack.below("process", "orders") as below:
        answer = await below.get(f"/orders/{order_id}/trace", headers=token)
    assert answer.status_code == 200, answer.text
    body: dict = answer.json()
    return body


def amount(money: dict[str, str] | None) -> Decimal:
    assert money is not None
    return Decimal(money["amount"])


async def test_orders_list_the_customers_own_newest_first(stack: ExperienceStack) -> None:
    dana = await signed_in(stack, "dana")
    async with stack.api("web") as web:
        placed = [await placed_order(web, dana, CHAIR, qty) for qty in (1, 2, 3)]
        elis = await placed_order(web, await signed_in(stack, "eli"), CHAIR, 1)
        first = await web.get("/orders", params={"limit": 2}, headers=dana)
        second = await web.get(
            "/orders", params={"limit": 2, "cursor": first.json()["next_cursor"]}, headers=dana
        )
        everything = await web.get("/orders", headers=dana)

    assert first.status_code == second.status_code == 200, second.text
    assert [o["id"] for o in first.json()["items"]] == placed[::-1][:2]
    assert [o["id"] for o in second.json()["items"]] == placed[:1]
    assert second.json()["next_cursor"] is None
    assert elis not in {o["id"] for o in everything.json()["items"]}
    newest = first.json()["items"][0]
    source = await process_order(stack, placed[-1], dana)
    assert newest["status"] == "confirmed"
    assert newest["item_count"] == 3
    assert newest["total"] == source["total"]
    assert newest["placed_at"].startswith(source["created_at"][:19])
    assert newest["invoice_number"] == source["invoice"]["number"]
    assert newest["invoice_status"] == "open"
    assert newest["amount_due"] == source["invoice"]["amount_due"]


async def test_bad_order_list_requests_are_422(stack: ExperienceStack) -> None:
    dana = await signed_in(stack, "dana")
    async with stack.api("web") as web:
        bad_cursor = await web.get("/orders", params={"cursor": "bm90IGEgY3Vyc29y"}, headers=dana)
        bad_limit = await web.get("/orders", params={"limit": 0}, headers=dana)

    assert field_names(assert_problem(bad_cursor, 422, "validation")) == {"cursor"}
    assert field_names(assert_problem(bad_limit, 422, "validation")) == {"limit"}


async def test_an_order_shows_its_lines_invoice_and_trace(stack: ExperienceStack) -> None:
    dana = await signed_in(stack, "dana")
    async with stack.api("web") as web:
        order_id = await placed_order(web, dana, CHAIR, 2)
        answer = await web.get(f"/orders/{order_id}", headers=dana)

    assert answer.status_code == 200, answer.text
    order = answer.json()
    source = await process_order(stack, order_id, dana)
    trace = await process_trace(stack, order_id, dana)
    assert order["id"] == order_id
    assert order["status"] == source["status"] == "confirmed"
    assert order["lines"] == [
        {k: line[k] for k in ("sku", "name", "quantity", "unit_price", "amount")}
        for line in source["lines"]
    ]
    assert order["total"] == source["total"]
    assert order["sales_order"] == {
        "number": source["sales_order"]["number"],
        "status": source["sales_order"]["status"],
    }
    assert order["invoice"] == {
        k: source["invoice"][k] for k in ("number", "status", "total", "amount_due", "due_date")
    }
    assert order["can_pay"] is True
    assert [step["step"] for step in order["trace"]] == [s["name"] for s in trace["steps"]]
    assert len(order["trace"]) == 7
    for step in order["trace"]:
        assert step["status"] == "succeeded"
        assert step["attempts"] == 1
        assert step["started_at"] and step["finished_at"]
        assert step["error"] is None


async def test_another_customers_order_is_not_there(stack: ExperienceStack) -> None:
    eli = await signed_in(stack, "eli")
    dana = await signed_in(stack, "dana")
    async with stack.api("web") as web:
        elis = await placed_order(web, eli, CHAIR, 1)
        read = await web.get(f"/orders/{elis}", headers=dana)
        pay = await web.post(f"/orders/{elis}/payments", json={}, headers=dana)
        unknown_id = "ord_00000000000000000000000000000000"
        unknown = await web.get(f"/orders/{unknown_id}", headers=dana)
        unknown_pay = await web.post(f"/orders/{unknown_id}/payments", json={}, headers=dana)
        own = await web.get(f"/orders/{elis}", headers=eli)

    def without_id(answer: Any) -> dict:
        body: dict = assert_problem(answer, 404, "not-found")
        return {k: v for k, v in body.items() if k not in ("id", "instance", "detail")}

    assert without_id(read) == without_id(unknown) == without_id(pay) == without_id(unknown_pay)
    assert read.json()["detail"].replace(elis, unknown_id) == unknown.json()["detail"]
    assert own.status_code == 200
    assert (await process_order(stack, elis, eli))["status"] == "confirmed"  # not paid


async def test_paying_in_full_makes_the_order_paid(stack: ExperienceStack) -> None:
    dana = await signed_in(stack, "dana")
    async with stack.api("web") as web:
        order_id = await placed_order(web, dana, CHAIR, 2)
        paid = await web.post(f"/orders/{order_id}/payments", json={}, headers=dana)
        again = await web.post(f"/orders/{order_id}/payments", headers=dana)
        shown = await web.get(f"/orders/{order_id}", headers=dana)

    assert paid.status_code == 200, paid.text
    order = paid.json()
    assert order["status"] == "paid"
    assert order["amount_paid"] == order["total"]  # in cents, as the total is
    assert order["invoice"]["status"] == "paid"
    assert amount(order["invoice"]["amount_due"]) == 0
    assert order["can_pay"] is False
    assert len(order["trace"]) == 7
    assert_problem(again, 409, "already-paid")
    assert shown.json()["status"] == "paid"
    assert (await process_order(stack, order_id, dana))["status"] == "paid"


async def test_a_partial_payment_leaves_the_rest_due(stack: ExperienceStack) -> None:
    dana = await signed_in(stack, "dana")
    part = {"amount": {"amount": "10.00", "currency": "USD"}}
    key = {"Idempotency-Key": "pay-part-1"}
    async with stack.api("web") as web:
        order_id = await placed_order(web, dana, CHAIR, 1)
        first = await web.post(f"/orders/{order_id}/payments", json=part, headers={**dana, **key})
        retried = await web.post(f"/orders/{order_id}/payments", json=part, headers={**dana, **key})
        rest = await web.post(f"/orders/{order_id}/payments", json={}, headers=dana)

    assert first.status_code == retried.status_code == 200, retried.text
    order = retried.json()
    assert order["status"] == "confirmed"
    assert amount(order["amount_paid"]) == Decimal("10.00")  # the retry paid nothing more
    assert amount(order["invoice"]["amount_due"]) == amount(order["total"]) - Decimal("10.00")
    assert order["can_pay"] is True
    assert rest.json()["status"] == "paid"


async def test_bad_payments_are_refused(stack: ExperienceStack) -> None:
    dana = await signed_in(stack, "dana")
    async with stack.api("web") as web:
        order_id = await placed_order(web, dana, CHAIR, 1)
        path = f"/orders/{order_id}/payments"
        negative = await web.post(
            path, json={"amount": {"amount": "-5.00", "currency": "USD"}}, headers=dana
        )
        extra = await web.post(path, json={"amount": None, "order_id": "x"}, headers=dana)
        wrong_type = await web.post(path, json={"amount": "10"}, headers=dana)
        malformed = await web.post(
            path, content=b"{", headers={**dana, "content-type": "application/json"}
        )
        read_only = await web.post(
            path, json={}, headers=await signed_in(stack, "dana", scopes=("me:read",))
        )
        still = await web.get(f"/orders/{order_id}", headers=dana)

    assert "amount" in field_names(assert_problem(negative, 422, "validation"))
    assert "order_id" in field_names(assert_problem(extra, 422, "validation"))
    assert "amount" in field_names(assert_problem(wrong_type, 422, "validation"))
    assert "malformed JSON" in assert_problem(malformed, 422, "validation")["detail"]
    assert read_only.status_code == 403
    assert still.json()["status"] == "confirmed"
    assert still.json()["amount_paid"] is None


async def test_an_order_that_cannot_be_paid_is_409(stack: ExperienceStack) -> None:
    dana = await signed_in(stack, "dana")
    async with stack.api("web") as web:
        stock = (await web.get(f"/products/{CHAIR}", headers=dana)).json()["locations"][-1]
        refused = await web.post(
            "/checkout",
            json={
                "lines": [{"sku": CHAIR, "quantity": stock["available"] + 1}],
                "location_id": stock["location_id"],
            },
            headers={**dana, "Idempotency-Key": "too-many"},
        )
        rejected_id = refused.json()["order_id"]
        pay = await web.post(f"/orders/{rejected_id}/payments", json={}, headers=dana)

    assert refused.status_code == 409
    problem = assert_problem(pay, 409, "order-not-payable")
    assert problem["order_status"] == "rejected"
