"""``reservations``: this store's extension for holding stock while an order is placed.

In Shopify's style (root keys, numeric ids, ``{"errors": ...}``):

- ``POST reservations.json`` ``{"reservation": {"inventory_item_id", "location_id", "quantity",
  "external_id"?, "expires_at"? | "expires_in"? (seconds; 15 minutes by default)}}`` holds units
  (201). The same ``external_id`` again answers the reservation made then (200); with another
  item, location or quantity it is refused (422 ``external_id`` "has already been taken").
  Too few units is 422 on ``quantity`` naming the item and the quantity available.
- ``GET reservations.json`` (``ids``, ``external_id``, ``status``, ``inventory_item_id``,
  ``location_id``, paged) and ``GET reservations/{id}.json``.
- ``POST reservations/{id}/commit.json`` keeps the units for an order (never expires);
  ``POST reservations/{id}/release.json`` gives them back. Both may be repeated; committing a
  released or expired reservation is refused (422 ``base``).

An open reservation past its ``expires_at`` expires and gives its units back the next time
anything touches it or its level, or when the app runs the sweep.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import ColumnElement, select

from system_apis.backends.inventory import render, stock
from system_apis.backends.inventory.errors import bad_request, not_found
from system_apis.backends.inventory.models import RESERVATION_STATUSES
from system_apis.backends.inventory.models import InventoryReservation as Reservation
from system_apis.backends.inventory.paging import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    fetch_page,
    page_request,
    set_link_header,
)
from system_apis.backends.inventory.schemas import NewReservationEnvelope
from system_apis.backends.inventory.shop import parse_id
from system_apis.backends.inventory.store import StoreDep, id_list


def _reservation_id(text: str) -> int:
    identifier = parse_id(text)
    if identifier is None:
        raise not_found()
    return identifier


def _conditions(filters: dict[str, str]) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    ids = id_list("ids", filters.get("ids"), 250)
    if ids is not None:
        conditions.append(Reservation.id.in_(ids))
    for name, column in (
        ("inventory_item_id", Reservation.inventory_item_id),
        ("location_id", Reservation.location_id),
    ):
        if name in filters:
            one = id_list(name, filters[name], 1) or []
            conditions.append(column == one[0])
    if "external_id" in filters:
        conditions.append(Reservation.external_id == filters["external_id"])
    if "status" in filters:
        if filters["status"] not in RESERVATION_STATUSES:
            raise bad_request("status", f"must be one of {', '.join(RESERVATION_STATUSES)}")
        conditions.append(Reservation.status == filters["status"])
    return conditions


def reservations_router() -> APIRouter:
    router = APIRouter(prefix="/reservations", tags=["reservations"])

    @router.post(".json", summary="Hold units of an item at a location", status_code=201)
    async def create_reservation(
        body: NewReservationEnvelope,
        store: StoreDep,
        response: Response,
    ) -> dict[str, Any]:
        reservation, created = await stock.reserve(store.database, body.reservation, store.clock())
        if not created:
            response.status_code = 200
        return {"reservation": render.reservation(reservation)}

    @router.get(".json", summary="Reservations")
    async def list_reservations(
        request: Request,
        response: Response,
        store: StoreDep,
        ids: str | None = None,
        external_id: str | None = None,
        status: str | None = None,
        inventory_item_id: str | None = None,
        location_id: str | None = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
        page_info: str | None = None,
    ) -> dict[str, Any]:
        asked = {
            "ids": ids,
            "external_id": external_id,
            "status": status,
            "inventory_item_id": inventory_item_id,
            "location_id": location_id,
        }
        cursor = page_request(page_info, asked)
        filters = cursor.filters if cursor else {k: v for k, v in asked.items() if v}
        conditions = _conditions(filters)
        async with store.database.session() as session:
            await stock.expire_due(session, store.clock())
            page = await fetch_page(
                session,
                select(Reservation).where(*conditions),
                [Reservation.id],
                lambda r: (r.id,),
                limit,
                cursor,
                filters,
            )
        set_link_header(response, request, page, limit)
        return {"reservations": [render.reservation(r) for r in page.rows]}

    @router.get("/{reservation_id}.json", summary="One reservation")
    async def read_reservation(reservation_id: str, store: StoreDep) -> dict[str, Any]:
        reservation = await stock.find(
            store.database, _reservation_id(reservation_id), store.clock()
        )
        return {"reservation": render.reservation(reservation)}

    @router.post("/{reservation_id}/commit.json", summary="Keep the units for an order")
    async def commit_reservation(reservation_id: str, store: StoreDep) -> dict[str, Any]:
        reservation = await stock.commit(
            store.database, _reservation_id(reservation_id), store.clock()
        )
        return {"reservation": render.reservation(reservation)}

    @router.post("/{reservation_id}/release.json", summary="Give the units back")
    async def release_reservation(reservation_id: str, store: StoreDep) -> dict[str, Any]:
        reservation = await stock.release(
            store.database, _reservation_id(reservation_id), store.clock()
        )
        return {"reservation": render.reservation(reservation)}

    return router
