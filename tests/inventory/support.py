"""Helpers shared by the inventory tests: the seeded ids, a hand-moved clock, direct reads."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from sqlalchemy import select

from strata.db import Database
from system_apis.backends.inventory.models import InventoryLevel
from system_apis.backends.inventory.seed import inventory_item_id, location_id
from system_apis.demo import DemoWorld

API = "/admin/api/2024-10"
BACKEND_URL = "http://inventory.backend"
SYSTEM_URL = "http://inventory.system"

SKU = "FUR-001-GRA"  # the first product of the demo world
ITEM = inventory_item_id(1)
WAREHOUSE = location_id(4)  # WH-SAC, which stocks every SKU
WAREHOUSE_ID = str(WAREHOUSE)


class FakeClock:
    """The store's clock, moved by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def stock_in(world: DemoWorld, sku: str, code: str) -> int:
    return next(s.on_hand for s in world.stock if s.sku == sku and s.location_code == code)


async def read_level(
    database: Database, item: int = ITEM, location: int = WAREHOUSE
) -> InventoryLevel:
    async with database.session() as session:
        found = await session.scalars(
            select(InventoryLevel).where(
                InventoryLevel.inventory_item_id == item, InventoryLevel.location_id == location
            ),
        )
        return found.one()


async def all_levels(database: Database) -> list[InventoryLevel]:
    async with database.session() as session:
        return list((await session.scalars(select(InventoryLevel))).all())


def assert_balanced(level: InventoryLevel) -> None:
    assert level.on_hand == level.available + level.committed + level.reserved + level.damaged
    assert min(level.available, level.committed, level.reserved, level.damaged) >= 0


async def set_available(
    shop: httpx.AsyncClient, quantity: int, item: int = ITEM, location: int = WAREHOUSE
) -> None:
    response = await shop.post(
        f"{API}/inventory_levels/set.json",
        json={
            "inventory_item_id": item,
            "location_id": location,
            "available": quantity,
        },
    )
    assert response.status_code == 200, response.text
