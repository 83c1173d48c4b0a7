"""Availability for buy online, pick up in store: what each location has now, and the
nearest one that has enough (by great-circle distance from a point, or from a location)."""

from __future__ import annotations

import asyncio

from process_apis.clients import DownstreamError, SystemClients
from process_apis.inventory.client import InventoryCalls
from process_apis.inventory.geo import haversine_km
from process_apis.inventory.schemas import (
    Availability,
    LocationAvailability,
    Origin,
    ProductSummary,
)
from strata.errors import NotFound, Problem
from system_apis.canonical import Location, Product, StockLevel


def invalid(field: str, message: str) -> Problem:
    return Problem(
        422,
        "Invalid request",
        f"{field}: {message}",
        kind="validation",
        errors=[{"field": field, "in": "query", "message": message}],
    )


class AvailabilityService:
    def __init__(self, clients: SystemClients) -> None:
        self.clients = clients

    async def availability(
        self,
        sku: str,
        *,
        quantity: int,
        lat: float | None,
        lon: float | None,
        location_id: str | None,
        authorization: str | None,
    ) -> Availability:
        if (lat is None) != (lon is None):
            raise invalid("lon" if lon is None else "lat", "give both lat and lon, or neither")
        if lat is not None and location_id is not None:
            raise invalid("location_id", "give a location_id or lat/lon, not both")
        calls = InventoryCalls(self.clients, authorization)
        # Every call runs to its end, so none is left behind when another fails.
        answers = await asyncio.gather(
            calls.product(sku), calls.stock(sku), calls.locations(), return_exceptions=True
        )
        for answer in answers:
            if isinstance(answer, DownstreamError):
                if answer.status == 404 and not answer.transient:
                    raise NotFound("product", sku)
                raise answer.as_problem()
            if isinstance(answer, BaseException):
                raise answer
        product, levels, locations = answers
        assert isinstance(product, Product)
        assert isinstance(levels, list) and isinstance(locations, list)
        origin = self._origin(lat, lon, location_id, locations)
        return self._compose(product, levels, locations, origin, quantity)

    @staticmethod
    def _origin(
        lat: float | None, lon: float | None, location_id: str | None, locations: list[Location]
    ) -> Origin | None:
        if lat is not None and lon is not None:
            return Origin(latitude=lat, longitude=lon)
        if location_id is None:
            return None
        place = next((loc for loc in locations if loc.id == location_id), None)
        if place is None:
            raise invalid("location_id", f"no location {location_id!r}")
        if place.latitude is None or place.longitude is None:
            raise invalid("location_id", f"location {location_id!r} has no coordinates")
        return Origin(latitude=place.latitude, longitude=place.longitude, location_id=place.id)

    @staticmethod
    def _compose(
        product: Product,
        levels: list[StockLevel],
        locations: list[Location],
        origin: Origin | None,
        quantity: int,
    ) -> Availability:
        places = {location.id: location for location in locations}
        rows = [
            _row(level, places[level.location_id], origin, quantity)
            for level in levels
            if level.location_id in places
        ]
        if origin is None:
            rows.sort(key=lambda row: (-row.available, row.code))
        else:
            far = float("inf")
            rows.sort(
                key=lambda row: (row.distance_km if row.distance_km is not None else far, row.code)
            )
        nearest = None
        if origin is not None:
            nearest = next(
                (row for row in rows if row.can_fulfil and row.distance_km is not None), None
            )
        return Availability(
            sku=product.sku,
            product=ProductSummary(
                sku=product.sku, name=product.name, price=product.price, active=product.active
            ),
            quantity=quantity,
            total_available=sum(row.available for row in rows),
            origin=origin,
            locations=rows,
            nearest=nearest,
        )


def _row(
    level: StockLevel, place: Location, origin: Origin | None, quantity: int
) -> LocationAvailability:
    distance = None
    if origin is not None and place.latitude is not None and place.longitude is not None:
        distance = round(
            haversine_km(origin.latitude, origin.longitude, place.latitude, place.longitude), 2
        )
    return LocationAvailability(
        location_id=place.id,
        code=place.code,
        name=place.name,
        address=place.address,
        latitude=place.latitude,
        longitude=place.longitude,
        available=level.available,
        on_hand=level.on_hand,
        distance_km=distance,
        can_fulfil=level.available >= quantity,
    )
