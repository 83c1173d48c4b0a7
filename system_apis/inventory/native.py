"""The Shopify payloads this API reads, as typed records.

Only the fields the data map uses are declared (others are ignored, as Shopify adds fields
between versions); a payload missing one of them, or holding the wrong type, fails to parse
and becomes a 502 naming what was wrong.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

ReservationStatus = Literal["open", "committed", "released", "expired"]


class NativeRecord(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ShopifyShop(NativeRecord):
    id: int
    currency: str


class ShopifyVariant(NativeRecord):
    id: int
    title: str
    sku: str | None
    price: Decimal
    inventory_item_id: int


class ShopifyProduct(NativeRecord):
    id: int
    title: str
    body_html: str | None
    product_type: str
    status: Literal["active", "archived", "draft"]
    variants: tuple[ShopifyVariant, ...]
    created_at: AwareDatetime
    updated_at: AwareDatetime


class ShopifyInventoryItem(NativeRecord):
    id: int
    sku: str | None


class ShopifyLocation(NativeRecord):
    id: int
    name: str
    code: str | None = None
    address1: str | None
    address2: str | None
    city: str | None
    province_code: str | None
    zip: str | None
    country_code: str | None
    latitude: float | None = None
    longitude: float | None = None
    active: bool


class ShopifyQuantity(NativeRecord):
    name: str
    quantity: int


class ShopifyLevel(NativeRecord):
    inventory_item_id: int
    location_id: int
    available: int
    quantities: tuple[ShopifyQuantity, ...]
    updated_at: AwareDatetime


class ShopifyReservation(NativeRecord):
    id: int
    inventory_item_id: int
    location_id: int
    quantity: int
    status: ReservationStatus
    external_id: str | None
    expires_at: AwareDatetime
    created_at: AwareDatetime
