"""How units move between a level's quantity states, safely under concurrency.

The invariant ``on_hand = available + committed + reserved + damaged`` holds after every write
(the database checks it, and no quantity may go negative):

- reserving moves units from ``available`` to ``reserved``; committing a reservation moves them
  on to ``committed`` (kept for an order, never expiring); releasing or expiring moves them back
  to ``available``. ``on_hand`` does not change: the units are still on the shelf.
- adjusting or setting ``available`` changes ``on_hand`` by the same amount (units counted in or
  out).

Every move is one conditional UPDATE whose row count says whether it happened (``... SET
available = available - :q WHERE available >= :q``), and every status change of a reservation
is conditional on the status it leaves, so two requests racing can never take the same unit or
give the same units back twice, on SQLite or PostgreSQL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from strata.db import Database, utcnow
from system_apis.backends.inventory.errors import ShopifyError, not_found, unprocessable
from system_apis.backends.inventory.models import (
    InventoryItem,
    InventoryLevel,
    InventoryLocation,
    InventoryReservation,
)
from system_apis.backends.inventory.schemas import MAX_HOLD_SECONDS, NewReservation

Clock = Callable[[], datetime]
Reservation = InventoryReservation
Level = InventoryLevel
DEFAULT_HOLD_SECONDS = 15 * 60


def shop_clock() -> datetime:
    """Now, to the second, as the store records times."""
    return utcnow().replace(microsecond=0)


def level_is(item_id: int, location_id: int) -> ColumnElement[bool]:
    return and_(Level.inventory_item_id == item_id, Level.location_id == location_id)


async def move_units(
    session: AsyncSession,
    item_id: int,
    location_id: int,
    quantity: int,
    source: str,
    target: str,
    now: datetime,
) -> None:
    """Moves units between two states that both count as on hand (so on_hand stays)."""
    await session.execute(
        update(Level)
        .where(level_is(item_id, location_id))
        .values(
            {
                source: getattr(Level, source) - quantity,
                target: getattr(Level, target) + quantity,
                "updated_at": now,
            }
        )
        .execution_options(synchronize_session=False)
    )


async def expire_due(session: AsyncSession, now: datetime, *where: ColumnElement[bool]) -> int:
    """Expires the open reservations past their expiry (among those ``where`` selects) and
    gives their units back; returns how many expired."""
    expired = await session.execute(
        update(Reservation)
        .where(Reservation.status == "open", Reservation.expires_at <= now, *where)
        .values(status="expired", updated_at=now)
        .returning(Reservation.inventory_item_id, Reservation.location_id, Reservation.quantity)
        .execution_options(synchronize_session=False)
    )
    rows = expired.all()
    totals: dict[tuple[int, int], int] = defaultdict(int)
    for item_id, location_id, quantity in rows:
        totals[(item_id, location_id)] += quantity
    # A fixed order of level locks, so two sweeps cannot deadlock on PostgreSQL.
    for item_id, location_id in sorted(totals):
        await move_units(
            session,
            item_id,
            location_id,
            totals[(item_id, location_id)],
            "reserved",
            "available",
            now,
        )
    return len(rows)


async def sweep_expired_reservations(database: Database, clock: Clock = shop_clock) -> int:
    """Expires every open reservation past its expiry; returns how many expired."""
    async with database.session() as session:
        return await expire_due(session, clock())


async def unknown_reference(
    session: AsyncSession,
    item_id: int,
    location_id: int,
) -> ShopifyError | None:
    """The 422 for an inventory item or location that does not exist, if one doesn't."""
    if await session.get(InventoryItem, item_id) is None:
        return unprocessable("inventory_item_id", "does not exist")
    if await session.get(InventoryLocation, location_id) is None:
        return unprocessable("location_id", "does not exist")
    return None


def _expiry(request: NewReservation, now: datetime) -> datetime:
    if request.expires_at is not None and request.expires_in is not None:
        raise unprocessable("base", "give expires_at or expires_in, not both")
    if request.expires_at is None:
        return now + timedelta(seconds=request.expires_in or DEFAULT_HOLD_SECONDS)
    if request.expires_at <= now:
        raise unprocessable("expires_at", "must be in the future")
    if request.expires_at > now + timedelta(seconds=MAX_HOLD_SECONDS):
        raise unprocessable("expires_at", "must be within 30 days")
    # The store keeps whole seconds; rounding up never shortens the hold asked for.
    whole = request.expires_at.replace(microsecond=0)
    return whole if whole == request.expires_at else whole + timedelta(seconds=1)


def _same_request(existing: Reservation, request: NewReservation) -> Reservation | ShopifyError:
    if (existing.inventory_item_id, existing.location_id, existing.quantity) == (
        request.inventory_item_id,
        request.location_id,
        request.quantity,
    ):
        return existing
    return unprocessable(
        "external_id",
        f"has already been taken by reservation {existing.id} for another item, location or "
        "quantity",
    )


async def _by_external_id(
    session: AsyncSession, external_id: str, now: datetime
) -> Reservation | None:
    await expire_due(session, now, Reservation.external_id == external_id)
    found = await session.scalars(
        select(Reservation)
        .where(Reservation.external_id == external_id)
        .execution_options(populate_existing=True)
    )
    return found.first()


async def _refusal(session: AsyncSession, request: NewReservation) -> ShopifyError:
    item_id, location_id = request.inventory_item_id, request.location_id
    unknown = await unknown_reference(session, item_id, location_id)
    if unknown is not None:
        return unknown
    level = await session.get(Level, (item_id, location_id), populate_existing=True)
    available = level.available if level is not None else 0
    return unprocessable(
        "quantity",
        f"is greater than the available quantity ({available}) of inventory item {item_id} "
        f"at location {location_id}",
    )


async def _reserve_in(
    session: AsyncSession,
    request: NewReservation,
    expires_at: datetime,
    now: datetime,
) -> tuple[Reservation, bool] | ShopifyError:
    if request.external_id is not None:
        existing = await _by_external_id(session, request.external_id, now)
        if existing is not None:
            same = _same_request(existing, request)
            return same if isinstance(same, ShopifyError) else (same, False)
    item_id, location_id, quantity = (
        request.inventory_item_id,
        request.location_id,
        request.quantity,
    )
    await expire_due(
        session,
        now,
        Reservation.inventory_item_id == item_id,
        Reservation.location_id == location_id,
    )
    taken = await session.execute(
        update(Level)
        .where(level_is(item_id, location_id), Level.available >= quantity)
        .values(
            available=Level.available - quantity, reserved=Level.reserved + quantity, updated_at=now
        )
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return await _refusal(session, request)
    reservation = Reservation(
        inventory_item_id=item_id,
        location_id=location_id,
        quantity=quantity,
        status="open",
        external_id=request.external_id,
        expires_at=expires_at,
        created_at=now,
        updated_at=now,
    )
    session.add(reservation)
    await session.flush()
    return reservation, True


async def reserve(
    database: Database,
    request: NewReservation,
    now: datetime,
) -> tuple[Reservation, bool]:
    """Holds units; returns the reservation and whether it is new (an ``external_id`` seen
    before returns the reservation made then)."""
    expires_at = _expiry(request, now)
    try:
        async with database.session() as session:
            outcome = await _reserve_in(session, request, expires_at, now)
    except IntegrityError:
        if request.external_id is None:
            raise
        # Another request with the same external_id won the race: answer with its reservation.
        async with database.session() as session:
            existing = await _by_external_id(session, request.external_id, now)
        if existing is None:
            raise
        same = _same_request(existing, request)
        outcome = same if isinstance(same, ShopifyError) else (same, False)
    if isinstance(outcome, ShopifyError):
        raise outcome
    return outcome


async def _reload(session: AsyncSession, reservation_id: int) -> Reservation | None:
    return await session.get(Reservation, reservation_id, populate_existing=True)


async def _transition(
    session: AsyncSession,
    reservation_id: int,
    now: datetime,
    *,
    leaving: str,
    status: str,
    target: str,
    stamp: str,
) -> bool:
    """Moves a reservation out of ``leaving`` (an open one only while unexpired) into
    ``status`` and its units into ``target``; False when it was not in ``leaving``."""
    condition = [Reservation.id == reservation_id, Reservation.status == leaving]
    if leaving == "open":
        condition.append(Reservation.expires_at > now)
    changed = await session.execute(
        update(Reservation)
        .where(*condition)
        .values({"status": status, stamp: now, "updated_at": now})
        .returning(Reservation.inventory_item_id, Reservation.location_id, Reservation.quantity)
        .execution_options(synchronize_session=False)
    )
    row = changed.first()
    if row is None:
        return False
    source = "reserved" if leaving == "open" else "committed"
    await move_units(
        session, row.inventory_item_id, row.location_id, row.quantity, source, target, now
    )
    return True


async def _commit_in(
    session: AsyncSession, reservation_id: int, now: datetime
) -> Reservation | ShopifyError:
    moved = await _transition(
        session,
        reservation_id,
        now,
        leaving="open",
        status="committed",
        target="committed",
        stamp="committed_at",
    )
    if not moved:
        await expire_due(session, now, Reservation.id == reservation_id)
    reservation = await _reload(session, reservation_id)
    if reservation is None:
        return not_found()
    if reservation.status != "committed":
        return unprocessable(
            "base",
            f"Reservation {reservation_id} is {reservation.status} and cannot be committed",
        )
    return reservation


async def commit(database: Database, reservation_id: int, now: datetime) -> Reservation:
    """Keeps the units for an order; committing again changes nothing."""
    async with database.session() as session:
        outcome = await _commit_in(session, reservation_id, now)
    if isinstance(outcome, ShopifyError):
        raise outcome
    return outcome


async def release(database: Database, reservation_id: int, now: datetime) -> Reservation:
    """Gives the units back, whether held or committed; releasing again changes nothing."""
    async with database.session() as session:
        for leaving in ("open", "committed"):
            if await _transition(
                session,
                reservation_id,
                now,
                leaving=leaving,
                status="released",
                target="available",
                stamp="released_at",
            ):
                break
        else:
            await expire_due(session, now, Reservation.id == reservation_id)
        reservation = await _reload(session, reservation_id)
    if reservation is None:
        raise not_found()
    return reservation


async def find(database: Database, reservation_id: int, now: datetime) -> Reservation:
    async with database.session() as session:
        await expire_due(session, now, Reservation.id == reservation_id)
        reservation = await _reload(session, reservation_id)
    if reservation is None:
        raise not_found()
    return reservation
