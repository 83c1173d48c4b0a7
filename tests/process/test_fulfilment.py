"""Where a cart can be fulfilled from: every line at one location, the most units first."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from process.support import Stack, location_ids, set_available
from process_apis.inventory.app import create_api
from strata.http import in_process, layer_client

BASE = "/process/availability/v1"
GRAPHITE, SILVER = "FUR-001-GRA", "FUR-001-SIL"


@pytest.fixture
async def availability(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    root = FastAPI()
    root.mount(BASE, create_api(stack.clients, stack.database))
    async with layer_client("http://process.test", in_process(root)) as client:
        yield client


async def stock_everywhere(stack: Stack, sku: str, units: dict[str, int]) -> None:
    locations = await location_ids(stack)
    for code, location_id in locations.items():
        await set_available(stack, sku, location_id, units.get(code, 0))


async def options(client: httpx.AsyncClient, *lines: tuple[str, int]) -> httpx.Response:
    body = {"lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines]}
    return await client.post(f"{BASE}/fulfilment", json=body)


async def test_the_best_location_has_every_line_and_the_most_units(
    stack: Stack, availability: httpx.AsyncClient
) -> None:
    await stock_everywhere(stack, GRAPHITE, {"SFO-1": 5, "OAK-1": 2, "SJC-1": 9, "WH-SAC": 30})
    await stock_everywhere(stack, SILVER, {"SFO-1": 4, "OAK-1": 8, "SJC-1": 1, "WH-SAC": 0})
    locations = await location_ids(stack)

    answer = await options(availability, (GRAPHITE, 2), (SILVER, 2))

    assert answer.status_code == 200, answer.text
    body = answer.json()
    rows = {row["code"]: row for row in body["locations"]}
    assert {code for code, row in rows.items() if row["fulfils_all"]} == {"SFO-1", "OAK-1"}
    assert rows["SFO-1"]["units"] == 9 and rows["OAK-1"]["units"] == 10
    assert body["best"] == locations["OAK-1"]  # both lines, and the most units
    assert [row["fulfils_all"] for row in body["locations"]] == [True, True, False, False]
    assert body["shortfalls"] == []


async def test_without_one_location_for_the_whole_cart_each_line_says_how_short(
    stack: Stack, availability: httpx.AsyncClient
) -> None:
    await stock_everywhere(stack, GRAPHITE, {"SFO-1": 5, "WH-SAC": 1})
    await stock_everywhere(stack, SILVER, {"OAK-1": 3})
    locations = await location_ids(stack)

    answer = await options(availability, (GRAPHITE, 3), (SILVER, 3))

    body = answer.json()
    assert answer.status_code == 200 and body["best"] is None
    assert body["shortfalls"] == [
        {
            "sku": GRAPHITE,
            "quantity": 3,
            "total_available": 6,
            "best_location_available": 5,
            "locations_with_enough": [locations["SFO-1"]],
        },
        {
            "sku": SILVER,
            "quantity": 3,
            "total_available": 3,
            "best_location_available": 3,
            "locations_with_enough": [locations["OAK-1"]],
        },
    ]


async def test_bad_carts_are_refused_naming_the_line(availability: httpx.AsyncClient) -> None:
    unknown = await options(availability, (GRAPHITE, 1), ("NOPE-404", 1))
    repeated = await options(availability, (GRAPHITE, 1), (GRAPHITE, 2))
    zero = await options(availability, (GRAPHITE, 0))
    empty = await availability.post(f"{BASE}/fulfilment", json={"lines": []})

    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "lines.1.sku"
    for refused in (repeated, zero, empty):
        assert refused.status_code == 422
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["errors"][0]["field"].startswith("lines")
