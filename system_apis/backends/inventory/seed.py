"""The demo world as this store holds it: each product with one variant and its inventory item,
each location, and a level per SKU per location (everything on hand is available at first).

Ids are fixed numbers in Shopify's ranges, so the same world always gets the same ids.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import escape
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from strata.db import Base, Database
from system_apis.backends.inventory.models import (
    InventoryItem,
    InventoryLevel,
    InventoryLocation,
    InventoryProduct,
    InventoryVariant,
)

if TYPE_CHECKING:
    from system_apis.demo import DemoLocation, DemoProduct, DemoWorld

PRODUCT_ID_BASE = 8_421_730_000_000
VARIANT_ID_BASE = 44_217_300_000_000
INVENTORY_ITEM_ID_BASE = 46_317_300_000_000
LOCATION_ID_BASE = 71_043_000_000
VENDOR = "Strata Office Supply"
# When the shop opened its locations, listed its catalog and last counted its stock.
LOCATIONS_OPENED = datetime(2024, 1, 7, 9, tzinfo=UTC)
CATALOG_LISTED = datetime(2024, 10, 8, 16, tzinfo=UTC)
STOCK_COUNTED = datetime(2025, 1, 6, 9, tzinfo=UTC)
# Any fixed number: held while one process seeds so that two starting at once take turns.
_SEED_LOCK_ID = 0x1A7E4105


def product_id(number: int) -> int:
    return PRODUCT_ID_BASE + number


def variant_id(number: int) -> int:
    return VARIANT_ID_BASE + number


def inventory_item_id(number: int) -> int:
    return INVENTORY_ITEM_ID_BASE + number


def location_id(number: int) -> int:
    return LOCATION_ID_BASE + number


def _handle(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def _product_rows(number: int, product: DemoProduct) -> list[Base]:
    created = CATALOG_LISTED + timedelta(hours=(number - 1) * 7)
    return [
        InventoryItem(
            id=inventory_item_id(number),
            tracked=True,
            requires_shipping=True,
            cost=(product.price * 45 / 100).quantize(product.price),
            country_code_of_origin=None,
            created_at=created,
            updated_at=created,
        ),
        InventoryProduct(
            id=product_id(number),
            title=product.name,
            body_html=f"<p>{escape(product.description, quote=False)}</p>",
            vendor=VENDOR,
            product_type=product.category,
            handle=_handle(product.name),
            status="active",
            tags=product.category,
            created_at=created,
            updated_at=created,
        ),
        InventoryVariant(
            id=variant_id(number),
            product_id=product_id(number),
            inventory_item_id=inventory_item_id(number),
            title="Default Title",
            sku=product.sku,
            price=product.price,
            compare_at_price=None,
            position=1,
            barcode=None,
            inventory_policy="deny",
            taxable=True,
            created_at=created,
            updated_at=created,
        ),
    ]


def _location_row(number: int, location: DemoLocation) -> InventoryLocation:
    created = LOCATIONS_OPENED
    return InventoryLocation(
        id=location_id(number),
        name=location.name,
        code=location.code,
        address1=location.street,
        address2=None,
        city=location.city,
        province=location.state,
        province_code=location.state,
        zip=location.postal_code,
        country_code=location.country,
        phone=None,
        latitude=location.latitude,
        longitude=location.longitude,
        active=True,
        created_at=created,
        updated_at=created,
    )


def world_rows(world: DemoWorld) -> list[Base]:
    """Every record the world becomes in this store, parents before children."""
    rows: list[Base] = []
    items: dict[str, int] = {}
    for number, product in enumerate(world.products, start=1):
        rows.extend(_product_rows(number, product))
        items[product.sku] = inventory_item_id(number)
    locations: dict[str, int] = {}
    for number, location in enumerate(world.locations, start=1):
        rows.append(_location_row(number, location))
        locations[location.code] = location_id(number)
    for stock in world.stock:
        rows.append(
            InventoryLevel(
                inventory_item_id=items[stock.sku],
                location_id=locations[stock.location_code],
                available=stock.on_hand,
                committed=0,
                reserved=0,
                damaged=0,
                incoming=0,
                on_hand=stock.on_hand,
                updated_at=STOCK_COUNTED,
            )
        )
    return rows


async def _is_empty(session: AsyncSession) -> bool:
    count = await session.execute(select(func.count()).select_from(InventoryProduct))
    return count.scalar_one() == 0


async def seed(database: Database, world: DemoWorld) -> int:
    """Writes the world into an empty store; returns the records written (0 if not empty)."""
    async with database.session() as session:
        if not database.is_sqlite:
            await session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _SEED_LOCK_ID})
        if not await _is_empty(session):
            return 0
        rows = world_rows(world)
        by_kind: dict[type[Base], list[dict[str, Any]]] = {}
        for row in rows:
            values = {c.key: getattr(row, c.key) for c in row.__table__.columns}
            by_kind.setdefault(type(row), []).append(values)
        for kind in (
            InventoryItem,
            InventoryProduct,
            InventoryVariant,
            InventoryLocation,
            InventoryLevel,
        ):
            if by_kind.get(kind):
                await session.execute(insert(kind), by_kind[kind])
        return len(rows)
