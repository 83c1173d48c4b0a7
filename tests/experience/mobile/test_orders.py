"""Placing, reading and paying the signed-in customer's orders, compactly; nobody else's."""

from __future__ import annotations

from decimal import Decimal

from experience.mobile.helpers import PROBLEM_JSON, assert_no_nulls, place, signed_in, stocked
from experience.support import ExperienceStack

DETAIL_KEYS = {
    "id",
    "status",
    "placed_at",
    "total",
    "currency",
    "items",
    "invoice",
    "due",
    "location_id",
    "lines",
}


async def test_an_order_placed_from_the_phone_is_compact_and_real(stack: ExperienceStack) -> None:
    dana = await signed_in(stack, "dana")
    location = await stocked(dana, "FUR-001-SIL", 3)
    body = {"location_id": location, "items": [{"sku": "FUR-001-SIL", "qty": 3}]}

    placed = await dana.post("/me/orders", body, key="phone-1")
    replayed = await dana.post("/me/orders", body, key="phone-1")
    read = await dana.get(f"/me/orders/{placed.json()['id']}")
    async with stack.below("process", "orders") as orders:
        below = await orders.get(f"/orders/{placed.json()['id']}", headers=dana.headers)

    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert set(order) == DETAIL_KEYS
    assert_no_nulls(order)
    assert placed.headers["location"] == f"/me/orders/{order['id']}"
    assert order["status"] == "confirmed"
    assert order["items"] == 3
    assert order["lines"] == [
        {"sku": "FUR-001-SIL", "name": "Ergonomic Chair (Silver)", "qty": 3, "price": "100.00"}
    ]
    truth = below.json()
    assert truth["customer_id"] == dana.customer_id
    assert truth["lines"] == [{**truth["lines"][0], "sku": "FUR-001-SIL", "quantity": 3}]
    assert order["total"] == truth["total"]["amount"] == "300.00"
    assert order["invoice"] == truth["invoice"]["number"]
    assert order["due"] == "300.00"
    assert replayed.status_code == 201
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json() == order
    assert read.status_code == 200 and read.json() == order


async def test_order_input_problems_name_the_field(stack: ExperienceStack) -> None:
    dana = await signed_in(stack, "dana")
    location = await stocked(dana)
    good = {"location_id": location, "items": [{"sku": "FUR-001-SIL", "qty": 1}]}
    malformed = await dana.api.post(
        "/me/orders",
        content=b'{"location_id": ',
        headers={**dana.headers, "Idempotency-Key": "m", "Content-Type": "application/json"},
    )
    no_key = await dana.post("/me/orders", good)
    cases = {
        "items.0.qty": {**good, "items": [{"sku": "FUR-001-SIL", "qty": "1"}]},
        "items": {**good, "items": [{"sku": "FUR-001-SIL", "qty": 1}] * 2},
        "location_id": {"items": good["items"]},
        "customer_id": {**good, "customer_id": "001Dn0000000002IAA"},
    }

    assert malformed.status_code == 422
    assert malformed.headers["content-type"] == PROBLEM_JSON
    assert "malformed JSON" in malformed.json()["errors"][0]["message"]
    assert no_key.status_code == 400
    assert no_key.headers["content-type"] == PROBLEM_JSON
    assert no_key.json()["errors"][0]["field"] == "Idempotency-Key"
    for field, body in cases.items():
        answer = await dana.post("/me/orders", body, key=f"bad-{field}")
        assert answer.status_code == 422, (field, answer.text)
        assert answer.headers["content-type"] == PROBLEM_JSON
        assert answer.json()["errors"][0]["field"] == field
    assert (await dana.get("/me/orders")).json()["items"] == []


async def test_the_orders_process_refusals_pass_through_in_this_apis_words(
    stack: ExperienceStack,
) -> None:
    dana = await signed_in(stack, "dana")
    location = await stocked(dana)
    product = (await dana.get("/products/FUR-001-SIL")).json()
    here = next(loc["available"] for loc in product["locations"] if loc["id"] == location)

    too_many = await dana.post(
        "/me/orders",
        {"location_id": location, "items": [{"sku": "FUR-001-SIL", "qty": here + 1}]},
        key="too-many",
    )
    unknown = await dana.post(
        "/me/orders", {"location_id": location, "items": [{"sku": "NOPE-000", "qty": 1}]}, key="u"
    )

    assert too_many.status_code == 409
    problem = too_many.json()
    assert too_many.headers["content-type"] == PROBLEM_JSON
    assert problem["sku"] == "FUR-001-SIL" and problem["available"] == here
    assert "trace" not in problem  # a path into the process layer, not the app's to follow
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "items.0.sku"
    assert unknown.json()["detail"].startswith("items.0.sku")


async def test_another_customers_order_is_404_like_an_unknown_one(stack: ExperienceStack) -> None:
    dana, eli = await signed_in(stack, "dana"), await signed_in(stack, "eli")
    elis = await place(eli, "eli-1", qty=2)

    peek = await dana.get(f"/me/orders/{elis['id']}")
    unknown = await dana.get("/me/orders/ord_00000000000000000000000000000000")
    pay = await dana.post(f"/me/orders/{elis['id']}/payments", {})
    listed = await dana.get("/me/orders")
    own = await eli.get(f"/me/orders/{elis['id']}")

    for refused in (peek, unknown, pay):
        assert refused.status_code == 404
        assert refused.headers["content-type"] == PROBLEM_JSON
        problem = refused.json()
        assert problem["type"].endswith("/not-found") and problem["resource"] == "order"
        assert eli.customer_id not in refused.text and elis["invoice"] not in refused.text
    assert {k: v for k, v in peek.json().items() if k not in ("detail", "id", "instance")} == {
        k: v for k, v in unknown.json().items() if k not in ("detail", "id", "instance")
    }
    assert listed.json()["items"] == []
    assert own.status_code == 200
    assert own.json()["due"] == elis["due"] and "paid" not in own.json()  # dana paid nothing


async def test_paying_in_part_then_in_full(stack: ExperienceStack) -> None:
    dana = await signed_in(stack, "dana")
    order = await place(dana, "pay-1", qty=2)

    part = await dana.post(f"/me/orders/{order['id']}/payments", {"amount": "50.5"}, key="p1")
    rest = await dana.post(f"/me/orders/{order['id']}/payments")
    again = await dana.post(f"/me/orders/{order['id']}/payments")
    negative = await dana.post(f"/me/orders/{order['id']}/payments", {"amount": "-1"})
    malformed = await dana.api.post(
        f"/me/orders/{order['id']}/payments",
        content=b"{",
        headers={**dana.headers, "Content-Type": "application/json"},
    )

    assert part.status_code == 200, part.text
    assert part.json()["status"] == "confirmed"
    assert part.json()["paid"] == "50.50"
    assert Decimal(part.json()["due"]) == Decimal(order["total"]) - Decimal("50.50")
    assert rest.status_code == 200
    assert rest.json()["status"] == "paid"
    assert rest.json()["due"] == "0.00" and rest.json()["paid"] == order["total"]
    assert "paid_at" in rest.json()
    assert again.status_code == 409 and again.json()["type"].endswith("/already-paid")
    for bad in (negative, malformed):
        assert bad.status_code == 422 and bad.headers["content-type"] == PROBLEM_JSON
    assert negative.json()["errors"][0]["field"] == "amount"
