"""Checkout: the signed-in customer's cart becomes an order through the orders process API."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from experience.support import ExperienceStack, bearer
from experience.web.shop import (
    PROBLEM_JSON,
    assert_problem,
    cart,
    check_out,
    field_names,
    new_key,
    signed_in,
)
from strata.settings import FaultSettings

CHAIR = "FUR-001-GRA"
CHAIR_SILVER = "FUR-001-SIL"


async def availability(stack: ExperienceStack, sku: str, token: dict[str, str]) -> dict[str, Any]:
    async with stack.below("process", "availability") as below:
        answer = await below.get(f"/availability/{sku}", headers=token)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def units_by_location(stock: dict[str, Any]) -> dict[str, int]:
    return {row["location_id"]: row["available"] for row in stock["locations"]}


async def process_orders(stack: ExperienceStack, customer_id: str, token: dict[str, str]) -> list:
    async with stack.below("process", "orders") as below:
        answer = await below.get(
            "/orders", params={"customer_id": customer_id, "limit": 100}, headers=token
        )
    assert answer.status_code == 200, answer.text
    items: list = answer.json()["items"]
    return items


async def test_checkout_places_the_order_at_the_location_with_the_whole_cart(
    stack: ExperienceStack,
) -> None:
    dana = await signed_in(stack, "dana")
    before = {sku: await availability(stack, sku, dana) for sku in (CHAIR, CHAIR_SILVER)}
    wanted = {CHAIR: 2, CHAIR_SILVER: 1}
    fulfilling = [
        {
            row["location_id"]: row["available"]
            for row in stock["locations"]
            if row["available"] >= wanted[sku]
        }
        for sku, stock in before.items()
    ]
    common = set(fulfilling[0]) & set(fulfilling[1])
    expected_location = max(common, key=lambda loc: (sum(f[loc] for f in fulfilling), loc))

    async with stack.api("web") as web:
        answer = await check_out(web, dana, cart((CHAIR, 2), (CHAIR_SILVER, 1)))

    assert answer.status_code == 201, answer.text
    order = answer.json()
    assert answer.headers["location"] == f"orders/{order['id']}"  # relative to /checkout
    assert answer.url.join(answer.headers["location"]).path == f"/orders/{order['id']}"
    assert "idempotent-replayed" not in answer.headers
    assert order["status"] == "confirmed"
    assert order["location_id"] == expected_location
    prices = {sku: Decimal(stock["product"]["price"]["amount"]) for sku, stock in before.items()}
    expected_total = sum(prices[sku] * qty for sku, qty in wanted.items())
    assert Decimal(order["total"]["amount"]) == expected_total
    assert [(line["sku"], line["quantity"]) for line in order["lines"]] == list(wanted.items())
    for line in order["lines"]:
        assert Decimal(line["unit_price"]["amount"]) == prices[line["sku"]]
        assert line["name"] == before[line["sku"]]["product"]["name"]
    invoice = order["invoice"]
    assert invoice["status"] == "open"
    assert (
        Decimal(invoice["amount_due"]["amount"])
        == expected_total
        == Decimal(invoice["total"]["amount"])
    )
    assert order["sales_order"]["number"].startswith("SO-")
    assert order["can_pay"] is True
    assert [step["status"] for step in order["trace"]] == ["succeeded"] * len(order["trace"])
    assert {"reserve_stock", "create_invoice"} <= {step["step"] for step in order["trace"]}

    # The order is the signed-in customer's, and its stock is gone from that location.
    async with stack.below("process", "orders") as below:
        placed = (await below.get(f"/orders/{order['id']}", headers=dana)).json()
    assert placed["customer_id"] == await stack.customer_id("dana")
    for sku, qty in wanted.items():
        after = units_by_location(await availability(stack, sku, dana))
        assert after[expected_location] == units_by_location(before[sku])[expected_location] - qty


async def test_the_same_key_replays_the_first_answer(stack: ExperienceStack) -> None:
    dana = await signed_in(stack, "dana")
    customer = await stack.customer_id("dana")
    key = new_key()
    async with stack.api("web") as web:
        first = await check_out(web, dana, cart((CHAIR, 1)), key)
        again = await check_out(web, dana, cart((CHAIR, 1)), key)
        other_cart = await check_out(web, dana, cart((CHAIR, 3)), key)

    assert first.status_code == again.status_code == 201, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["location"] == first.headers["location"]
    body = assert_problem(other_cart, 422, "idempotency-key-reused")
    assert field_names(body) == {"Idempotency-Key"}
    assert [o["id"] for o in await process_orders(stack, customer, dana)] == [first.json()["id"]]


async def test_a_replay_finds_the_first_order_after_the_stock_moved(
    stack: ExperienceStack,
) -> None:
    """The location is chosen by stock, which the first order itself changed: the replay must
    still answer the first order, not try to place it elsewhere."""
    dana = await signed_in(stack, "dana")
    key = new_key()
    async with stack.api("web") as web:
        first = await check_out(web, dana, cart((CHAIR, 1)), key)
        chosen = first.json()["location_id"]
        stock = units_by_location(await availability(stack, CHAIR, dana))
        elsewhere = next(loc for loc in sorted(stock) if loc != chosen)
        async with stack.below("system", "inventory") as inventory:
            moved = await inventory.post(
                "/stock/adjustments",
                json={"sku": CHAIR, "location_id": elsewhere, "delta": stock[chosen] + 50},
                headers=dana,
            )
        assert moved.status_code == 200, moved.text
        again = await check_out(web, dana, cart((CHAIR, 1)), key)

    assert first.status_code == 201, first.text
    assert again.status_code == 201, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["location_id"] == chosen


async def test_a_replay_answers_the_first_order_after_the_stock_ran_out(
    stack: ExperienceStack,
) -> None:
    """No location could take the cart now; the replay still answers what the first
    checkout did, since it is found by its key, not placed again."""
    dana = await signed_in(stack, "dana")
    key = new_key()
    async with stack.api("web") as web:
        first = await check_out(web, dana, cart((CHAIR, 1)), key)
        stock = units_by_location(await availability(stack, CHAIR, dana))
        async with stack.below("system", "inventory") as inventory:
            for location, units in stock.items():
                emptied = await inventory.post(
                    "/stock/adjustments",
                    json={"sku": CHAIR, "location_id": location, "delta": -units},
                    headers=dana,
                )
                assert emptied.status_code == 200, emptied.text
        again = await check_out(web, dana, cart((CHAIR, 1)), key)
        fresh = await check_out(web, dana, cart((CHAIR, 1)), new_key())

    assert first.status_code == 201, first.text
    assert again.status_code == 201, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert fresh.status_code == 409  # a new checkout finds no stock anywhere
    assert fresh.json()["type"].endswith("/no-location")


async def test_concurrent_checkouts_with_one_key_place_one_order(stack: ExperienceStack) -> None:
    dana = await signed_in(stack, "dana")
    key = new_key()
    async with stack.api("web") as web:
        # Straight away: the calls also share the token verifier's first load of the keys.
        answers = await asyncio.gather(
            *(check_out(web, dana, cart((CHAIR, 1)), key) for _ in range(4))
        )

    placed = await process_orders(stack, await stack.customer_id("dana"), dana)
    assert len(placed) == 1
    for answer in answers:
        if answer.status_code == 201:
            assert answer.json()["id"] == placed[0]["id"]
        else:
            problem = assert_problem(answer, 409, "idempotency-in-progress")
            assert problem["order_id"] == placed[0]["id"]
            assert answer.headers["retry-after"]
            assert answer.headers["location"] == f"orders/{placed[0]['id']}"
    fresh = [a for a in answers if a.status_code == 201 and "idempotent-replayed" not in a.headers]
    assert len(fresh) == 1


async def test_two_customers_may_use_the_same_key(stack: ExperienceStack) -> None:
    key = new_key()
    async with stack.api("web") as web:
        dana = await check_out(web, await signed_in(stack, "dana"), cart((CHAIR, 1)), key)
        eli = await check_out(web, await signed_in(stack, "eli"), cart((CHAIR, 1)), key)

    assert dana.status_code == eli.status_code == 201
    assert "idempotent-replayed" not in eli.headers
    assert dana.json()["id"] != eli.json()["id"]


async def test_checkout_needs_an_idempotency_key(stack: ExperienceStack) -> None:
    dana = await signed_in(stack, "dana")
    async with stack.api("web") as web:
        missing = await web.post("/checkout", json=cart((CHAIR, 1)), headers=dana)
        blank = await web.post(
            "/checkout", json=cart((CHAIR, 1)), headers={**dana, "Idempotency-Key": " "}
        )
        bad = await web.post(
            "/checkout", json=cart((CHAIR, 1)), headers={**dana, "Idempotency-Key": "x" * 256}
        )

    for answer in (missing, blank):
        assert field_names(assert_problem(answer, 400, "idempotency-key-missing")) == {
            "Idempotency-Key"
        }
    assert_problem(bad, 400, "idempotency-key-invalid")
    assert await process_orders(stack, await stack.customer_id("dana"), dana) == []


async def test_bad_carts_are_refused_naming_the_field(stack: ExperienceStack) -> None:
    dana = await signed_in(stack, "dana")
    someone_else = await stack.customer_id("eli")
    bodies: list[tuple[str, Any]] = [
        ("customer_id", {**cart((CHAIR, 1)), "customer_id": someone_else}),
        ("lines.0.quantity", cart((CHAIR, 0))),
        ("lines.0.quantity", {"lines": [{"sku": CHAIR, "quantity": "2"}]}),
        ("lines.0.quantity", cart((CHAIR, 10_001))),
        ("lines", {"lines": []}),
        ("lines", cart((CHAIR, 1), (CHAIR, 2))),
        ("lines.0.sku", {"lines": [{"sku": "no such/sku", "quantity": 1}]}),
        ("location_id", {**cart((CHAIR, 1)), "location_id": ""}),
    ]
    async with stack.api("web") as web:
        answers = [(field, await check_out(web, dana, body)) for field, body in bodies]
        malformed = await web.post(
            "/checkout",
            content=b'{"lines": [',
            headers={**dana, "Idempotency-Key": new_key(), "content-type": "application/json"},
        )
        not_an_object = await web.post(
            "/checkout", json=["lines"], headers={**dana, "Idempotency-Key": new_key()}
        )

    for field, answer in answers:
        problem = assert_problem(answer, 422, "validation")
        assert field in field_names(problem), (field, problem)
    problem = assert_problem(malformed, 422, "validation")
    assert "malformed JSON" in problem["errors"][0]["message"]
    assert_problem(not_an_object, 422, "validation")
    assert await process_orders(stack, await stack.customer_id("dana"), dana) == []


async def test_an_unknown_sku_is_named_by_its_line(stack: ExperienceStack) -> None:
    dana = await signed_in(stack, "dana")
    async with stack.api("web") as web:
        chosen_here = await check_out(web, dana, cart((CHAIR, 1), ("NOPE-404", 1)))
        at_a_location = await check_out(
            web, dana, cart((CHAIR, 1), ("NOPE-404", 1), location_id="71043000004")
        )

    for answer in (chosen_here, at_a_location):
        assert field_names(assert_problem(answer, 422, "validation")) == {"lines.1.sku"}


async def test_too_little_stock_at_the_location_is_409_naming_the_sku(
    stack: ExperienceStack,
) -> None:
    dana = await signed_in(stack, "dana")
    stock = units_by_location(await availability(stack, CHAIR, dana))
    smallest = min(stock, key=lambda loc: stock[loc])
    async with stack.api("web") as web:
        answer = await check_out(
            web, dana, cart((CHAIR, stock[smallest] + 1), location_id=smallest)
        )
        problem = assert_problem(answer, 409, "out-of-stock")
        rejected = await web.get(f"/orders/{problem['order_id']}", headers=dana)

    assert problem["sku"] == CHAIR
    assert problem["available"] == stock[smallest]
    assert problem["location_id"] == smallest
    assert CHAIR in problem["detail"]
    assert "trace" not in problem  # the process API's own link is not this API's
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["can_pay"] is False
    assert rejected.json()["failure"] == problem["detail"]
    assert units_by_location(await availability(stack, CHAIR, dana)) == stock


async def test_no_location_with_the_whole_cart_is_409_naming_the_lines(
    stack: ExperienceStack,
) -> None:
    dana = await signed_in(stack, "dana")
    stock = await availability(stack, CHAIR, dana)
    most_at_one = max(units_by_location(stock).values())
    assert stock["total_available"] > most_at_one  # spread over locations
    async with stack.api("web") as web:
        answer = await check_out(web, dana, cart((CHAIR, most_at_one + 1), (CHAIR_SILVER, 1)))

    problem = assert_problem(answer, 409, "no-location")
    lines = {line["sku"]: line for line in problem["lines"]}
    assert set(lines) == {CHAIR, CHAIR_SILVER}
    assert lines[CHAIR]["quantity"] == most_at_one + 1
    assert lines[CHAIR]["best_location_available"] == most_at_one
    assert lines[CHAIR]["total_available"] == stock["total_available"]
    assert lines[CHAIR]["locations_with_enough"] == []
    assert lines[CHAIR_SILVER]["locations_with_enough"]
    assert CHAIR in problem["detail"]
    assert await process_orders(stack, await stack.customer_id("dana"), dana) == []


async def test_a_system_down_during_checkout_is_503_and_nothing_stays(
    stack: ExperienceStack,
) -> None:
    dana = await signed_in(stack, "dana")
    before = units_by_location(await availability(stack, CHAIR, dana))
    stack.layers.fault_states["erp"].set(FaultSettings(outage=True))
    async with stack.api("web") as web:
        answer = await check_out(web, dana, cart((CHAIR, 1)))
        problem = assert_problem(answer, 503, "upstream-unavailable")
        stack.layers.fault_states["erp"].clear()
        order = await web.get(f"/orders/{problem['order_id']}", headers=dana)

    assert problem["system"] == "orders"
    assert "erp" in problem["detail"]
    assert problem["failed_step"] == "create_sales_order"
    # The stock hold is released; undoing the ERP order waits for the ERP to come back.
    assert problem["rolled_back"] is False
    shown = order.json()
    assert shown["status"] == "rolling_back"
    assert shown["can_pay"] is False
    assert "erp" in shown["failure"]
    steps = {step["step"]: step for step in shown["trace"]}
    assert steps["reserve_stock"]["undone"] == "compensated"
    assert steps["create_sales_order"]["status"] == "failed"
    assert steps["create_sales_order"]["error"] == shown["failure"]
    assert steps["create_invoice"]["status"] == "pending"
    assert units_by_location(await availability(stack, CHAIR, dana)) == before


async def test_checkout_needs_a_customer_who_may_write(stack: ExperienceStack) -> None:
    read_only = await signed_in(stack, "dana", scopes=("me:read",))
    partner = bearer(await stack.client_token())
    async with stack.api("web") as web:
        cannot_write = await check_out(web, read_only, cart((CHAIR, 1)))
        not_a_customer = await check_out(web, partner, cart((CHAIR, 1)))
        anonymous = await web.post("/checkout", json=cart((CHAIR, 1)))

    assert cannot_write.status_code == 403
    assert 'scope="me:write"' in cannot_write.headers["www-authenticate"]
    assert_problem(not_a_customer, 403, "not-a-customer")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == PROBLEM_JSON
