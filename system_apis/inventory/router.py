"""Routes of the inventory system API: products, locations, stock and reservations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from strata.json_body import StrictJsonRoute
from system_apis.canonical import Location, Page, Product, Reservation, StockLevel
from system_apis.inventory import examples
from system_apis.inventory.examples import documented
from system_apis.inventory.schemas import ReservationRequest, StockAdjustment
from system_apis.inventory.service import InventoryService

BACKEND_FAILURES = (502, 503, 504)


def _service(request: Request) -> InventoryService:
    service: InventoryService = request.app.state.inventory
    return service


Service = Annotated[InventoryService, Depends(_service)]
Limit = Annotated[int, Query(ge=1, le=200, description="Items per page")]
Cursor = Annotated[
    str | None, Query(max_length=4096, description="`next_cursor` of the previous page")
]
Sku = Annotated[str, Path(min_length=1, max_length=255, examples=["FUR-001-GRA"])]
ReservationId = Annotated[str, Path(min_length=1, max_length=32, examples=["1"])]

products = APIRouter(route_class=StrictJsonRoute, prefix="/products", tags=["products"])
locations = APIRouter(route_class=StrictJsonRoute, prefix="/locations", tags=["locations"])
stock = APIRouter(route_class=StrictJsonRoute, prefix="/stock", tags=["stock"])
reservations = APIRouter(route_class=StrictJsonRoute, prefix="/reservations", tags=["reservations"])


@products.get(
    "",
    summary="List products",
    response_model=Page[Product],
    description="One item per SKU, in the shop's currency. Filter by `category` or `sku`.",
    responses=documented(examples.page(examples.PRODUCT), 422, *BACKEND_FAILURES),
)
async def list_products(
    service: Service,
    category: Annotated[str | None, Query(max_length=255, examples=["furniture"])] = None,
    sku: Annotated[str | None, Query(max_length=255, examples=["FUR-001-GRA"])] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[Product]:
    return await service.list_products(category=category, sku=sku, cursor=cursor, limit=limit)


@products.get(
    "/{sku}",
    summary="Get a product by SKU",
    response_model=Product,
    responses=documented(examples.PRODUCT, 404, *BACKEND_FAILURES),
)
async def get_product(sku: Sku, service: Service) -> Product:
    return await service.get_product(sku)


@locations.get(
    "",
    summary="List locations",
    response_model=Page[Location],
    description="Stores and warehouses that hold stock, with their coordinates.",
    responses=documented(examples.page(examples.LOCATION, None), 422, *BACKEND_FAILURES),
)
async def list_locations(
    service: Service, cursor: Cursor = None, limit: Limit = 50
) -> Page[Location]:
    return await service.list_locations(cursor=cursor, limit=limit)


@stock.get(
    "",
    summary="Stock of a SKU per location",
    response_model=Page[StockLevel],
    description="`available` units can be promised now: on hand less committed (held by "
    "reservations or kept for orders) and unsellable units. An unknown SKU or "
    "location is 404.",
    responses=documented(examples.page(examples.STOCK_LEVEL, None), 404, 422, *BACKEND_FAILURES),
)
async def get_stock(
    service: Service,
    sku: Annotated[str, Query(min_length=1, max_length=255, examples=["FUR-001-GRA"])],
    location_id: Annotated[str | None, Query(max_length=32, examples=["71043000004"])] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[StockLevel]:
    return await service.stock(sku=sku, location_id=location_id, cursor=cursor, limit=limit)


@stock.post(
    "/adjustments",
    summary="Adjust the stock of a SKU at a location",
    response_model=StockLevel,
    description="Counts `delta` units in (or out). With `expected_available` it is a "
    "compare-and-set: applied only if that many units are still available, "
    "otherwise 409 `stale-expectation` with the current quantity. Taking out more "
    "than is available is 409 `insufficient-stock`. Not retried on failure.",
    responses=documented(examples.STOCK_LEVEL, 404, 409, 422, *BACKEND_FAILURES),
)
async def adjust_stock(change: StockAdjustment, service: Service) -> StockLevel:
    return await service.adjust(change)


@reservations.post(
    "",
    summary="Reserve units of a SKU at a location",
    response_model=Reservation,
    status_code=201,
    description="Holds `quantity` units for `ttl_seconds`, after which they return to "
    "available unless committed. The same `external_id` again returns the first "
    "reservation with 200 (and is safe to retry); too few units is 409 "
    "`insufficient-stock` naming the SKU, the location and what is available.",
    responses={
        **documented(
            examples.RESERVATION,
            404,
            409,
            422,
            *BACKEND_FAILURES,
            status=201,
            description="Reserved",
        ),
        200: {
            "description": "Reserved before under the same external_id",
            "content": {"application/json": {"example": examples.RESERVATION}},
        },
    },
)
async def create_reservation(
    body: ReservationRequest, service: Service, request: Request, response: Response
) -> Reservation:
    reservation, created = await service.reserve(body)
    response.status_code = 201 if created else 200
    response.headers["Location"] = str(
        request.url_for("get_reservation", reservation_id=reservation.id),
    )
    return reservation


@reservations.get(
    "/{reservation_id}",
    summary="Get a reservation",
    response_model=Reservation,
    description="A held reservation past its expiry is reported `expired` (its units are "
    "available again).",
    responses=documented(examples.RESERVATION, 404, *BACKEND_FAILURES),
)
async def get_reservation(reservation_id: ReservationId, service: Service) -> Reservation:
    return await service.get_reservation(reservation_id)


@reservations.post(
    "/{reservation_id}/commit",
    summary="Commit a reservation",
    response_model=Reservation,
    description="Keeps the units for an order; they no longer expire. Committing again is "
    "fine; committing a released or expired reservation is 409.",
    responses=documented(
        {**examples.RESERVATION, "status": "committed"}, 404, 409, *BACKEND_FAILURES
    ),
)
async def commit_reservation(reservation_id: ReservationId, service: Service) -> Reservation:
    return await service.settle(reservation_id, "commit")


@reservations.post(
    "/{reservation_id}/release",
    summary="Release a reservation",
    response_model=Reservation,
    description="Returns the units to available, whether held or committed. Releasing again "
    "(or releasing an expired reservation) changes nothing.",
    responses=documented(
        {**examples.RESERVATION, "status": "released"}, 404, 409, *BACKEND_FAILURES
    ),
)
async def release_reservation(reservation_id: ReservationId, service: Service) -> Reservation:
    return await service.settle(reservation_id, "release")


ROUTERS = (products, locations, stock, reservations)
