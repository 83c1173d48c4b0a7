"""What the availability API answers."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from system_apis.canonical import Address, Money, one_line_per_sku


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


class CartLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$", examples=["FUR-001-GRA"])
    quantity: Annotated[int, Field(strict=True, ge=1, le=10_000)] = Field(examples=[2])


class Cart(BaseModel):
    """The lines of a cart to fulfil from one location."""

    model_config = ConfigDict(extra="forbid")

    lines: list[CartLine] = Field(min_length=1, max_length=100)

    @field_validator("lines")
    @classmethod
    def _one_line_per_sku(cls, lines: list[CartLine]) -> list[CartLine]:
        one_line_per_sku(lines)
        return lines


class FulfilmentLocation(BaseModel):
    location_id: str
    code: str
    name: str
    fulfils_all: bool = Field(description="Has every line's quantity available now")
    units: int = Field(description="Units of the cart's SKUs available here")


class LineShortfall(BaseModel):
    sku: str
    quantity: int
    total_available: int = Field(description="Across all locations")
    best_location_available: int = Field(description="The most one location has")
    locations_with_enough: list[str]


class FulfilmentOptions(BaseModel):
    """Where the cart can be fulfilled from, best first."""

    best: str | None = Field(
        description="The location to fulfil from: it has every line, and the most units of "
        "the cart's SKUs; null when no one location has every line"
    )
    locations: list[FulfilmentLocation] = Field(description="Those with every line first")
    shortfalls: list[LineShortfall] = Field(
        default_factory=list, description="Per line, when no location has the whole cart"
    )
