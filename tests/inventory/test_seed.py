"""Seeding the demo world into the store: once, completely, with the same ids every time."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from inventory.support import all_levels, assert_balanced
from strata.db import Base, Database
from system_apis.backends.inventory import seed
from system_apis.backends.inventory.models import (
    InventoryItem,
    InventoryLocation,
    InventoryProduct,
    InventoryVariant,
)
from system_apis.backends.inventory.seed import inventory_item_id, location_id, variant_id
from system_apis.demo import DemoWorld


async def _count(database: Database, model: type[Base]) -> int:
    async with database.session() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


def _expected_rows(world: DemoWorld) -> int:
    # A product, its variant and its inventory item per world product; locations; levels.
    return 3 * len(world.products) + len(world.locations) + len(world.stock)


async def test_seed_writes_the_world_once(database: Database, world: DemoWorld) -> None:
    assert await seed(database, world) == _expected_rows(world)
    assert await seed(database, world) == 0

    assert await _count(database, InventoryProduct) == len(world.products) == 36
    assert await _count(database, InventoryVariant) == len(world.products)
    assert await _count(database, InventoryItem) == len(world.products)
    assert await _count(database, InventoryLocation) == len(world.locations) == 4
    assert len(await all_levels(database)) == len(world.stock) == 36 * 4


async def test_seeded_levels_match_the_world_stock(database: Database, world: DemoWorld) -> None:
    await seed(database, world)
    items = {p.sku: inventory_item_id(n) for n, p in enumerate(world.products, start=1)}
    locations = {loc.code: location_id(n) for n, loc in enumerate(world.locations, start=1)}
    levels = {(lv.inventory_item_id, lv.location_id): lv for lv in await all_levels(database)}
    for stock in world.stock:
        level = levels[(items[stock.sku], locations[stock.location_code])]
        assert level.on_hand == level.available == stock.on_hand
        assert level.committed == level.reserved == level.damaged == level.incoming == 0
        assert_balanced(level)


async def test_seed_gives_the_same_ids_every_time(database: Database, world: DemoWorld) -> None:
    await seed(database, world)
    async with database.session() as session:
        variants = (await session.scalars(select(InventoryVariant))).all()
    by_sku = {variant.sku: variant for variant in variants}
    for number, product in enumerate(world.products, start=1):
        variant = by_sku[product.sku]
        assert variant.id == variant_id(number)
        assert variant.inventory_item_id == inventory_item_id(number)
        assert variant.price == product.price


async def test_seeding_at_once_from_two_processes_writes_once(
    database: Database, world: DemoWorld
) -> None:
    written = await asyncio.gather(seed(database, world), seed(database, world))
    assert sorted(written) == [0, _expected_rows(world)]
    assert await _count(database, InventoryProduct) == len(world.products)
