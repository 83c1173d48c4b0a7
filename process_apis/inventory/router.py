"""Routes of the availability process API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Path, Query, Request

from process_apis.inventory.fulfilment import FulfilmentService
from process_apis.inventory.schemas import Availability, Cart, FulfilmentOptions
from process_apis.inventory.service import AvailabilityService
from strata.errors import problem_responses
from strata.json_body import StrictJsonRoute

SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$"


def _service(request: Request) -> AvailabilityService:
    service: AvailabilityService = request.app.state.availability
    return service


def _fulfilment(request: Request) -> FulfilmentService:
    service: FulfilmentService = request.app.state.fulfilment
    return service


Service = Annotated[AvailabilityService, Depends(_service)]
Fulfilment = Annotated[FulfilmentService, Depends(_fulfilment)]
Latitude = Annotated[
    float | None, Query(ge=-90, le=90, description="Where the shopper is", examples=[37.7793])
]
Longitude = Annotated[float | None, Query(ge=-180, le=180, examples=[-122.4193])]
FromLocation = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=32,
        description="Or: measure from this location (a store that is out of stock)",
        examples=["71043000001"],
    ),
]
Quantity = Annotated[int, Query(ge=1, le=10_000, description="Units wanted")]
Authorization = Annotated[str | None, Header(include_in_schema=False)]

EXAMPLE: dict[str, Any] = {
    "sku": "FUR-001-GRA",
    "product": {
        "sku": "FUR-001-GRA",
        "name": "Ergonomic Chair (Graphite)",
        "price": {"amount": "95.00", "currency": "USD"},
        "active": True,
    },
    "quantity": 1,
    "total_available": 57,
    "origin": {"latitude": 37.7793, "longitude": -122.4193, "location_id": None},
    "locations": [
        {
            "location_id": "71043000001",
            "code": "SFO-1",
            "name": "San Francisco",
            "address": {
                "street": "1 Market St",
                "city": "San Francisco",
                "state": "CA",
                "postal_code": "94105",
                "country": "US",
            },
            "latitude": 37.7946,
            "longitude": -122.3950,
            "available": 12,
            "on_hand": 14,
            "distance_km": 2.7,
            "can_fulfil": True,
        }
    ],
    "nearest": {
        "location_id": "71043000001",
        "code": "SFO-1",
        "name": "San Francisco",
        "address": {
            "street": "1 Market St",
            "city": "San Francisco",
            "state": "CA",
            "postal_code": "94105",
            "country": "US",
        },
        "latitude": 37.7946,
        "longitude": -122.3950,
        "available": 12,
        "on_hand": 14,
        "distance_km": 2.7,
        "can_fulfil": True,
    },
}

DESCRIPTION = (
    "What each location has available now. With `lat` and `lon` (or a `location_id` to "
    "measure from), locations come nearest first (great-circle distance) and `nearest` is "
    "the closest one with at least `quantity` available. An unknown SKU is 404."
)
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "Availability", "content": {"application/json": {"example": EXAMPLE}}},
    **problem_responses(404, 422, 502, 503, 504),
}

router = APIRouter(route_class=StrictJsonRoute, prefix="/availability", tags=["availability"])


@router.get(
    "/{sku}",
    summary="Availability of a SKU",
    description=DESCRIPTION,
    response_model=Availability,
    responses=RESPONSES,
)
async def availability_of(
    sku: Annotated[str, Path(pattern=SKU_PATTERN, examples=["FUR-001-GRA"])],
    service: Service,
    lat: Latitude = None,
    lon: Longitude = None,
    location_id: FromLocation = None,
    quantity: Quantity = 1,
    authorization: Authorization = None,
) -> Availability:
    return await service.availability(
        sku,
        quantity=quantity,
        lat=lat,
        lon=lon,
        location_id=location_id,
        authorization=authorization,
    )


fulfilment_router = APIRouter(
    route_class=StrictJsonRoute, prefix="/fulfilment", tags=["fulfilment"]
)


@fulfilment_router.post(
    "",
    summary="Where a cart can be fulfilled from",
    description="The locations that have every line's quantity available now come first, "
    "the one with the most units of the cart's SKUs first of all (`best`). When no one "
    "location has the whole cart, `best` is null and `shortfalls` says how short each line "
    "is. An unknown SKU is 422 naming its line. Nothing is reserved: stock can move before "
    "an order is placed.",
    response_model=FulfilmentOptions,
    responses=problem_responses(422, 502, 503, 504),
)
async def fulfilment_options(
    cart: Annotated[Cart, Body(examples=[{"lines": [{"sku": "FUR-001-GRA", "quantity": 2}]}])],
    service: Fulfilment,
    authorization: Authorization = None,
) -> FulfilmentOptions:
    return await service.options(cart.lines, authorization)
