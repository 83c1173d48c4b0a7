"""The catalog: the inventory system's products, paged, with the availability API's numbers."""

from __future__ import annotations

import asyncio
from typing import Any

from experience.support import ExperienceStack
from experience.web.shop import assert_problem, field_names, placed_order, signed_in
from experience_apis.common.bounded import gather_bounded
from strata.settings import FaultSettings


async def system_products(stack: ExperienceStack, token: dict[str, str], **params: Any) -> list:
    async with stack.below("system", "inventory") as inventory:
        answer = await inventory.get("/products", params={"limit": 200, **params}, headers=token)
    assert answer.status_code == 200, answer.text
    assert answer.json()["next_cursor"] is None
    items: list = answer.json()["items"]
    return items


async def availability_of(stack: ExperienceStack, sku: str, token: dict[str, str]) -> dict:
    async with stack.below("process", "availability") as below:
        answer = await below.get(f"/availability/{sku}", headers=token)
    assert answer.status_code == 200, answer.text
    body: dict = answer.json()
    return body


def assert_shows_availability(product: dict[str, Any], stock: dict[str, Any]) -> None:
    assert product["available"] == stock["total_available"]
    assert product["in_stock"] is (stock["total_available"] > 0)
    assert product["locations"] == [
        {key: row[key] for key in ("location_id", "code", "name", "available")}
        for row in stock["locations"]
    ]


async def test_the_catalog_pages_through_every_product(stack: ExperienceStack) -> None:
    dana = await signed_in(stack, "dana")
    expected = await system_products(stack, dana)
    seen: list[dict[str, Any]] = []
    pages = 0
    async with stack.api("web") as web:
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 5, **({"cursor": cursor} if cursor else {})}
            answer = await web.get("/products", params=params, headers=dana)
            assert answer.status_code == 200, answer.text
            page = answer.json()
            assert len(page["items"]) <= 5
            seen.extend(page["items"])
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break

    assert [p["sku"] for p in seen] == [p["sku"] for p in expected]
    assert pages == -(-len(expected) // 5)
    for product, source in zip(seen, expected, strict=True):
        assert product["name"] == source["name"]
        assert product["price"] == source["price"]
        assert product["description"] == source["description"]
        assert product["active"] == source["active"]


async def test_availability_numbers_match_the_availability_api(stack: ExperienceStack) -> None:
    dana = await signed_in(stack, "dana")
    async with stack.api("web") as web:
        # An order moves stock first, so the numbers are live, not seeded ones.
        await placed_order(web, dana, "FUR-001-GRA", 3)
        page = await web.get("/products", params={"limit": 12}, headers=dana)
        one = await web.get("/products/FUR-001-GRA", headers=dana)

    assert page.status_code == 200, page.text
    assert len(page.json()["items"]) == 12
    for product in page.json()["items"]:
        assert_shows_availability(product, await availability_of(stack, product["sku"], dana))
    assert one.status_code == 200, one.text
    assert one.json() == next(p for p in page.json()["items"] if p["sku"] == "FUR-001-GRA")
    assert_shows_availability(one.json(), await availability_of(stack, "FUR-001-GRA", dana))


async def test_a_category_narrows_the_catalog(stack: ExperienceStack) -> None:
    dana = await signed_in(stack, "dana")
    expected = await system_products(stack, dana, category="furniture")
    async with stack.api("web") as web:
        answer = await web.get(
            "/products", params={"limit": 50, "category": "furniture"}, headers=dana
        )

    assert answer.status_code == 200, answer.text
    assert [p["sku"] for p in answer.json()["items"]] == [p["sku"] for p in expected]
    assert {p["category"] for p in answer.json()["items"]} == {"furniture"}
    assert 0 < len(expected) < len(await system_products(stack, dana))


async def test_bad_catalog_requests_are_problems(stack: ExperienceStack) -> None:
    dana = await signed_in(stack, "dana")
    async with stack.api("web") as web:
        unknown = await web.get("/products/NOPE-404", headers=dana)
        malformed_sku = await web.get("/products/no%20such", headers=dana)
        too_many = await web.get("/products", params={"limit": 51}, headers=dana)
        none = await web.get("/products", params={"limit": 0}, headers=dana)
        not_a_number = await web.get("/products", params={"limit": "ten"}, headers=dana)
        bad_cursor = await web.get("/products", params={"cursor": "not-a-cursor"}, headers=dana)

    assert assert_problem(unknown, 404, "not-found")["id"] == "NOPE-404"
    assert field_names(assert_problem(malformed_sku, 422, "validation")) == {"sku"}
    for answer in (too_many, none, not_a_number):
        assert field_names(assert_problem(answer, 422, "validation")) == {"limit"}
    assert field_names(assert_problem(bad_cursor, 422, "validation")) == {"cursor"}


async def test_inventory_down_is_503_not_wrong_numbers(stack: ExperienceStack) -> None:
    dana = await signed_in(stack, "dana")
    stack.layers.fault_states["inventory"].set(FaultSettings(outage=True))
    async with stack.api("web") as web:
        page = await web.get("/products", headers=dana)
        one = await web.get("/products/FUR-001-GRA", headers=dana)

    for answer in (page, one):
        problem = assert_problem(answer, 503, "upstream-unavailable")
        assert problem["system"] in ("inventory", "availability")


async def test_reading_the_catalog_needs_a_customer(stack: ExperienceStack) -> None:
    async with stack.api("web") as web:
        anonymous = await web.get("/products")
        read_only = await web.get(
            "/products", headers=await signed_in(stack, "dana", scopes=("me:read",))
        )

    assert anonymous.status_code == 401
    assert read_only.status_code == 200


async def test_calls_run_concurrently_within_the_bound() -> None:
    in_flight = 0
    most = 0

    async def call(value: int) -> int:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return value * 2

    calls = [lambda value=value: call(value) for value in range(20)]
    answers = await gather_bounded(calls, 4)

    assert answers == [value * 2 for value in range(20)]
    assert most == 4
