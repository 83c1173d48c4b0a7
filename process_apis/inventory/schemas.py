"""What the availability API answers."""

from __future__ import annotations

from pydantic import BaseModel, Field

from system_apis.canonical import Address, Money


class Origin(BaseModel):
    latitude: float
    longitude: float
    location_id: str | None = Field(default=None, description="When a location was the origin")


class LocationAvailability(BaseModel):
    location_id: str
    code: str
    name: str
    address: Address
    latitude: float | None = None
    longitude: float | None = None
    available: int = Field(description="Units that can be promised now")
    on_hand: int
    distance_km: float | None = Field(
        default=None, description="From the origin, when one was given and the place is known"
    )
    can_fulfil: bool = Field(description="Has at least the quantity asked for")


class ProductSummary(BaseModel):
    sku: str
    name: str
    price: Money
    active: bool


class Availability(BaseModel):
    """Where a SKU can be picked up now, nearest first when an origin is given."""

    sku: str
    product: ProductSummary
    quantity: int = Field(description="The quantity asked for")
    total_available: int
    origin: Origin | None = None
    locations: list[LocationAvailability] = Field(
        description="Nearest first with an origin, otherwise most available first"
    )
    nearest: LocationAvailability | None = Field(
        default=None,
        description="The nearest location that has the quantity (needs an origin)",
    )
