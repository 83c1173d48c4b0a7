"""``inventory_levels``: read levels, adjust them by a delta, set them (optionally compare-and-set).

Adjusting or setting ``available`` counts units in or out, so ``on_hand`` moves by the same
amount. Each write is one conditional UPDATE: a delta that would make ``available`` negative,
or a ``compare_quantity`` that no longer matches, changes nothing and is refused with 422.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import ColumnElement, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from strata.db import Database
from system_apis.backends.inventory import render
from system_apis.backends.inventory.errors import bad_request, unprocessable
from system_apis.backends.inventory.models import InventoryLevel as Level
from system_apis.backends.inventory.models import InventoryReservation as Reservation
from system_apis.backends.inventory.paging import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    fetch_page,
    page_request,
    set_link_header,
)
from system_apis.backends.inventory.schemas import AdjustLevel, SetLevel
from system_apis.backends.inventory.shop import MAX_QUANTITY
from system_apis.backends.inventory.stock import expire_due, level_is, unknown_reference
from system_apis.backends.inventory.store import StoreDep, id_list

MAX_IDS = 50


async def _level(session: AsyncSession, item_id: int, location_id: int) -> Level | None:
    return await session.get(Level, (item_id, location_id), populate_existing=True)


async def adjust(database: Database, change: AdjustLevel, now: datetime) -> Level:
    item_id, location_id, delta = (
        change.inventory_item_id,
        change.location_id,
        change.available_adjustment,
    )
    async with database.session() as session:
        result = await session.execute(
            update(Level)
            .where(
                level_is(item_id, location_id),
                Level.available + delta >= 0,
                Level.on_hand + delta <= MAX_QUANTITY,
            )
            .values(
                available=Level.available + delta, on_hand=Level.on_hand + delta, updated_at=now
            )
            .execution_options(synchronize_session=False)
        )
        level = await _level(session, item_id, location_id)
        if result.rowcount == 1 and level is not None:  # type: ignore[attr-defined]
            return level
        unknown = await unknown_reference(session, item_id, location_id)
        if unknown is not None:
            raise unknown
        if level is None:
            raise unprocessable(
                "base",
                f"Inventory item {item_id} is not stocked at location {location_id}",
            )
        if level.available + delta < 0:
            raise unprocessable(
                "available_adjustment",
                f"would make the available quantity ({level.available}) negative",
            )
        raise unprocessable(
            "available_adjustment", f"would make the on-hand quantity exceed {MAX_QUANTITY}"
        )


async def _connect(session: AsyncSession, item_id: int, location_id: int, now: datetime) -> None:
    """Stocks the item at the location with nothing yet (a no-op if it already is)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    await session.execute(
        dialect.insert(Level)
        .values(
            inventory_item_id=item_id,
            location_id=location_id,
            available=0,
            committed=0,
            reserved=0,
            damaged=0,
            incoming=0,
            on_hand=0,
            updated_at=now,
        )
        .on_conflict_do_nothing()
    )


async def set_available(database: Database, change: SetLevel, now: datetime) -> Level:
    item_id, location_id, target = (change.inventory_item_id, change.location_id, change.available)
    async with database.session() as session:
        unknown = await unknown_reference(session, item_id, location_id)
        if unknown is not None:
            raise unknown
        await _connect(session, item_id, location_id, now)
        condition = [
            level_is(item_id, location_id),
            Level.on_hand - Level.available + target <= MAX_QUANTITY,
        ]
        if change.compare_quantity is not None:
            condition.append(Level.available == change.compare_quantity)
        result = await session.execute(
            update(Level)
            .where(*condition)
            .values(
                on_hand=Level.on_hand - Level.available + target, available=target, updated_at=now
            )
            .execution_options(synchronize_session=False)
        )
        level = await _level(session, item_id, location_id)
        assert level is not None, "connected just above"
        if result.rowcount == 1:  # type: ignore[attr-defined]
            return level
        # Raising inside the transaction also undoes the connection made above.
        if change.compare_quantity is not None and level.available != change.compare_quantity:
            raise unprocessable(
                "compare_quantity",
                f"no longer matches the persisted quantity ({level.available})",
            )
        raise unprocessable("available", f"would make the on-hand quantity exceed {MAX_QUANTITY}")


def _where(
    filters: dict[str, str],
    item: Any,
    location: Any,
) -> list[ColumnElement[bool]]:
    """The filters as conditions on the given item and location columns."""
    items = id_list("inventory_item_ids", filters.get("inventory_item_ids"), MAX_IDS)
    locations = id_list("location_ids", filters.get("location_ids"), MAX_IDS)
    conditions = []
    if items is not None:
        conditions.append(item.in_(items))
    if locations is not None:
        conditions.append(location.in_(locations))
    return conditions


def _key(level: Level) -> tuple[int, int]:
    return (level.inventory_item_id, level.location_id)


def levels_router() -> APIRouter:
    router = APIRouter(tags=["inventory levels"])

    @router.get("/inventory_levels.json", summary="Inventory levels of items at locations")
    async def list_levels(
        request: Request,
        response: Response,
        store: StoreDep,
        inventory_item_ids: str | None = None,
        location_ids: str | None = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
        page_info: str | None = None,
    ) -> dict[str, Any]:
        asked = {"inventory_item_ids": inventory_item_ids, "location_ids": location_ids}
        cursor = page_request(page_info, asked)
        filters = cursor.filters if cursor else {k: v for k, v in asked.items() if v}
        if not filters:
            raise bad_request(
                "inventory_item_ids", "inventory_item_ids or location_ids must be given"
            )
        conditions = _where(filters, Level.inventory_item_id, Level.location_id)
        # Reading a level settles the holds on it that have run out.
        expiring = _where(filters, Reservation.inventory_item_id, Reservation.location_id)
        now = store.clock()
        async with store.database.session() as session:
            await expire_due(session, now, *expiring)
            page = await fetch_page(
                session,
                select(Level).where(*conditions),
                [Level.inventory_item_id, Level.location_id],
                _key,
                limit,
                cursor,
                filters,
            )
        set_link_header(response, request, page, limit)
        return {"inventory_levels": [render.inventory_level(level) for level in page.rows]}

    @router.post("/inventory_levels/adjust.json", summary="Adjust the available units")
    async def adjust_level(change: AdjustLevel, store: StoreDep) -> dict[str, Any]:
        level = await adjust(store.database, change, store.clock())
        return {"inventory_level": render.inventory_level(level)}

    @router.post("/inventory_levels/set.json", summary="Set the available units")
    async def set_level(change: SetLevel, store: StoreDep) -> dict[str, Any]:
        level = await set_available(store.database, change, store.clock())
        return {"inventory_level": render.inventory_level(level)}

    return router
