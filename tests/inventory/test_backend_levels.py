"""Inventory levels in the store: named quantities, adjust, compare-and-set, and refusals."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from inventory.support import (
    API,
    ITEM,
    SKU,
    WAREHOUSE,
    all_levels,
    assert_balanced,
    read_level,
    stock_in,
)
from strata.db import Database
from system_apis.backends.inventory.models import InventoryLevel, InventoryLocation
from system_apis.backends.inventory.seed import inventory_item_id
from system_apis.demo import DemoWorld

ADJUST = f"{API}/inventory_levels/adjust.json"
SET = f"{API}/inventory_levels/set.json"


async def _new_location(database: Database) -> int:
    """A location that stocks nothing yet (the store has no endpoint to open one)."""
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    async with database.session() as session:
        session.add(
            InventoryLocation(
                id=71_043_000_099,
                name="Pop-up Store",
                code="POP-1",
                country_code="US",
                active=True,
                created_at=moment,
                updated_at=moment,
            )
        )
    return 71_043_000_099


async def test_levels_answer_named_quantities(shop: httpx.AsyncClient, world: DemoWorld) -> None:
    response = await shop.get(
        f"{API}/inventory_levels.json", params={"inventory_item_ids": str(ITEM)}
    )
    assert response.status_code == 200
    levels = response.json()["inventory_levels"]
    assert len(levels) == 4
    warehouse = next(level for level in levels if level["location_id"] == WAREHOUSE)
    quantities = {q["name"]: q["quantity"] for q in warehouse["quantities"]}
    expected = stock_in(world, SKU, "WH-SAC")
    assert quantities == {
        "available": expected,
        "committed": 0,
        "damaged": 0,
        "incoming": 0,
        "on_hand": expected,
        "reserved": 0,
    }
    assert warehouse["available"] == expected


async def test_levels_page_and_filter_by_location(shop: httpx.AsyncClient) -> None:
    seen: list[int] = []
    params: dict[str, str | int] | None = {"location_ids": str(WAREHOUSE), "limit": 7}
    url = f"{API}/inventory_levels.json"
    while True:
        response = await shop.get(url, params=params)
        seen.extend(level["inventory_item_id"] for level in response.json()["inventory_levels"])
        link = response.links.get("next")
        if link is None:
            break
        url, params = link["url"], None
    assert seen == [inventory_item_id(n) for n in range(1, 37)]


async def test_levels_need_items_or_locations(shop: httpx.AsyncClient) -> None:
    response = await shop.get(f"{API}/inventory_levels.json")
    assert response.status_code == 400
    bad = await shop.get(f"{API}/inventory_levels.json", params={"location_ids": "x"})
    assert bad.status_code == 400
    assert "location_ids" in bad.json()["errors"]


async def test_adjust_counts_units_in_and_out(
    shop: httpx.AsyncClient, seeded: Database, world: DemoWorld
) -> None:
    start = stock_in(world, SKU, "WH-SAC")
    body = {"inventory_item_id": ITEM, "location_id": WAREHOUSE, "available_adjustment": 5}
    response = await shop.post(ADJUST, json=body)
    assert response.status_code == 200
    assert response.json()["inventory_level"]["available"] == start + 5

    response = await shop.post(ADJUST, json={**body, "available_adjustment": -(start + 5)})
    assert response.json()["inventory_level"]["available"] == 0
    level = await read_level(seeded)
    assert (level.available, level.on_hand) == (0, 0)
    assert_balanced(level)


async def test_adjust_never_makes_available_negative(
    shop: httpx.AsyncClient, seeded: Database, world: DemoWorld
) -> None:
    start = stock_in(world, SKU, "WH-SAC")
    response = await shop.post(
        ADJUST,
        json={
            "inventory_item_id": ITEM,
            "location_id": WAREHOUSE,
            "available_adjustment": -(start + 1),
        },
    )
    assert response.status_code == 422
    assert response.json() == {
        "errors": {
            "available_adjustment": [f"would make the available quantity ({start}) negative"]
        }
    }
    assert (await read_level(seeded)).available == start


async def test_set_with_a_matching_compare_quantity(
    shop: httpx.AsyncClient, seeded: Database, world: DemoWorld
) -> None:
    start = stock_in(world, SKU, "WH-SAC")
    response = await shop.post(
        SET,
        json={
            "inventory_item_id": ITEM,
            "location_id": WAREHOUSE,
            "available": 7,
            "compare_quantity": start,
        },
    )
    assert response.status_code == 200
    level = await read_level(seeded)
    assert (level.available, level.on_hand) == (7, 7)


async def test_a_stale_compare_quantity_is_refused(
    shop: httpx.AsyncClient, seeded: Database, world: DemoWorld
) -> None:
    start = stock_in(world, SKU, "WH-SAC")
    response = await shop.post(
        SET,
        json={
            "inventory_item_id": ITEM,
            "location_id": WAREHOUSE,
            "available": 7,
            "compare_quantity": start + 1,
        },
    )
    assert response.status_code == 422
    assert response.json() == {
        "errors": {"compare_quantity": [f"no longer matches the persisted quantity ({start})"]}
    }
    assert (await read_level(seeded)).available == start


async def test_set_stocks_an_item_at_a_new_location(
    shop: httpx.AsyncClient, seeded: Database
) -> None:
    pop_up = await _new_location(seeded)
    body = {"inventory_item_id": ITEM, "location_id": pop_up, "available_adjustment": 1}
    not_stocked = await shop.post(ADJUST, json=body)
    assert not_stocked.status_code == 422
    assert "not stocked" in not_stocked.json()["errors"]["base"][0]

    stale = await shop.post(
        SET,
        json={
            "inventory_item_id": ITEM,
            "location_id": pop_up,
            "available": 3,
            "compare_quantity": 2,
        },
    )
    assert stale.status_code == 422
    assert len(await all_levels(seeded)) == 144  # refused whole: no level was left behind

    response = await shop.post(
        SET,
        json={
            "inventory_item_id": ITEM,
            "location_id": pop_up,
            "available": 3,
            "compare_quantity": 0,
        },
    )
    assert response.status_code == 200
    level = await read_level(seeded, ITEM, pop_up)
    assert (level.available, level.on_hand, level.committed) == (3, 3, 0)


async def test_unknown_items_and_locations_are_named(shop: httpx.AsyncClient) -> None:
    for body, field in (
        ({"inventory_item_id": 1, "location_id": WAREHOUSE}, "inventory_item_id"),
        ({"inventory_item_id": ITEM, "location_id": 1}, "location_id"),
    ):
        for url, extra in ((ADJUST, {"available_adjustment": 1}), (SET, {"available": 1})):
            response = await shop.post(url, json={**body, **extra})
            assert response.status_code == 422
            assert response.json() == {"errors": {field: ["does not exist"]}}


@pytest.mark.parametrize(
    ("body", "status", "errors"),
    [
        (
            {"inventory_item_id": ITEM, "location_id": WAREHOUSE, "available_adjustment": "5"},
            422,
            {"available_adjustment": ["must be an integer"]},
        ),
        (
            {"inventory_item_id": ITEM, "location_id": WAREHOUSE, "available_adjustment": 1.5},
            422,
            {"available_adjustment": ["must be an integer"]},
        ),
        (
            {"inventory_item_id": ITEM, "location_id": WAREHOUSE},
            422,
            {"available_adjustment": ["can't be blank"]},
        ),
        (
            {"inventory_item_id": 2**70, "location_id": WAREHOUSE, "available_adjustment": 1},
            422,
            {"inventory_item_id": [f"must be less than or equal to {2**63 - 1}"]},
        ),
        (
            {"inventory_item_id": ITEM, "location_id": WAREHOUSE, "available_adjustment": 10**12},
            422,
            {"available_adjustment": ["must be less than or equal to 1000000000"]},
        ),
        (
            {
                "inventory_item_id": ITEM,
                "location_id": WAREHOUSE,
                "available_adjustment": 1,
                "colour": "red",
            },
            422,
            {"colour": ["is not a known parameter"]},
        ),
        ([1, 2], 400, {"body": "Required parameter missing or invalid"}),
    ],
)
async def test_wrong_bodies_are_refused_in_shopify_style(
    shop: httpx.AsyncClient,
    seeded: Database,
    body: object,
    status: int,
    errors: object,
) -> None:
    before = await read_level(seeded)
    response = await shop.post(ADJUST, json=body)
    assert response.status_code == status
    assert response.json() == {"errors": errors}
    assert (await read_level(seeded)).available == before.available


async def test_malformed_json_is_400(shop: httpx.AsyncClient) -> None:
    response = await shop.post(
        ADJUST, content=b'{"inventory_item_id": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert "Invalid JSON" in response.json()["errors"]


async def test_quantities_stay_within_shopify_limits(
    shop: httpx.AsyncClient, seeded: Database
) -> None:
    await shop.post(
        SET, json={"inventory_item_id": ITEM, "location_id": WAREHOUSE, "available": 1_000_000_000}
    )
    response = await shop.post(
        ADJUST,
        json={"inventory_item_id": ITEM, "location_id": WAREHOUSE, "available_adjustment": 1},
    )
    assert response.status_code == 422
    assert "exceed" in response.json()["errors"]["available_adjustment"][0]
    assert (await read_level(seeded)).on_hand == 1_000_000_000


async def test_the_database_itself_keeps_the_invariant(seeded: Database) -> None:
    with pytest.raises(IntegrityError):
        async with seeded.session() as session:
            await session.execute(
                update(InventoryLevel)
                .where(InventoryLevel.inventory_item_id == ITEM)
                .values(on_hand=InventoryLevel.on_hand + 1),
            )
    with pytest.raises(IntegrityError):
        async with seeded.session() as session:
            await session.execute(
                update(InventoryLevel)
                .where(InventoryLevel.inventory_item_id == ITEM)
                .values(
                    available=-1, on_hand=InventoryLevel.on_hand - InventoryLevel.available - 1
                ),
            )
