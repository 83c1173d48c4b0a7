"""What each route of the inventory system API does: the calls to the store, in order, and the
data map over their answers."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import ValidationError

from strata.errors import NotFound
from system_apis.canonical import Location, Page, Product, Reservation, StockLevel
from system_apis.common.backend_data import invalid_backend_data
from system_apis.inventory import data_map
from system_apis.inventory.client import InventoryClient
from system_apis.inventory.native import (
    ShopifyLocation,
    ShopifyProduct,
    ShopifyReservation,
    ShopifyVariant,
)
from system_apis.inventory.problems import InvalidField
from system_apis.inventory.schemas import MAX_QUANTITY, ReservationRequest, StockAdjustment

T = TypeVar("T")


def encode_cursor(position: str, scope: dict[str, str | None]) -> str:
    """An opaque cursor: where the next page starts, and the query it belongs to."""
    raw = json.dumps({"p": position, "s": scope}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, scope: dict[str, str | None]) -> str:
    """The position in a cursor made for this same query; 422 for any other string."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        decoded = json.loads(raw)
        position, made_for = decoded["p"], decoded["s"]
    except (binascii.Error, ValueError, TypeError, KeyError):
        raise InvalidField("cursor", "is not a cursor this API gave out", "query") from None
    if made_for != scope or not isinstance(position, str):
        raise InvalidField("cursor", "belongs to a list with other filters", "query")
    return position


class InventoryService:
    def __init__(self, client: InventoryClient) -> None:
        self.client = client

    def _mapped(self, convert: Callable[..., T], *args: Any, source: tuple[str, object]) -> T:
        """``convert(*args)``, its failure a 502 naming the native record ``source`` (kind, id)."""
        try:
            return convert(*args)
        except data_map.DataMapError as exc:
            raise self.client.backend.invalid(str(exc)) from None
        except ValidationError as exc:
            # Read fine, but a value breaks the canonical model: no system further on
            # should receive it.
            raise invalid_backend_data(self.client.backend.system, *source, exc) from None

    # --- catalog --------------------------------------------------------------------------

    async def _variant(self, sku: str) -> tuple[ShopifyProduct, ShopifyVariant]:
        found = await self.client.variant_by_sku(sku)
        if found is None:
            raise NotFound("product", sku)
        return found

    async def list_products(
        self, *, category: str | None, sku: str | None, cursor: str | None, limit: int
    ) -> Page[Product]:
        scope = {"category": category, "sku": sku}
        page_info = decode_cursor(cursor, scope) if cursor else None
        page = await self.client.products(
            limit=limit, page_info=page_info, product_type=category, sku=sku
        )
        currency = await self.client.shop_currency()
        wanted = {sku} if sku else None
        items = [
            item
            for product in page.records
            for item in self._mapped(
                data_map.products_from_native,
                product,
                currency,
                wanted,
                source=("Shopify product", product.id),
            )
        ]
        following = encode_cursor(page.next_page_info, scope) if page.next_page_info else None
        return Page[Product](items=items, next_cursor=following)

    async def get_product(self, sku: str) -> Product:
        product, variant = await self._variant(sku)
        currency = await self.client.shop_currency()
        return self._mapped(
            data_map.product_from_native, product, variant, currency, source=("product", sku)
        )

    async def list_locations(self, *, cursor: str | None, limit: int) -> Page[Location]:
        position = decode_cursor(cursor, {}) if cursor else "0"
        if not position.isdigit():
            raise InvalidField("cursor", "is not a cursor this API gave out", "query")
        after = int(position)
        locations = sorted(await self.client.locations(), key=lambda location: location.id)
        remaining = [location for location in locations if location.id > after]
        shown = remaining[:limit]
        following = encode_cursor(str(shown[-1].id), {}) if len(remaining) > limit else None
        return Page[Location](
            items=[self._location(loc) for loc in shown],
            next_cursor=following,
            total=len(locations),
        )

    # --- stock ----------------------------------------------------------------------------

    def _location(self, location: ShopifyLocation) -> Location:
        return self._mapped(
            data_map.location_from_native, location, source=("location", location.id)
        )

    def _code(self, locations: dict[int, ShopifyLocation], location_id: int) -> str:
        location = locations.get(location_id)
        if location is None:
            raise self.client.backend.invalid(f"a level names an unknown location {location_id}")
        return self._location(location).code

    async def stock(
        self, *, sku: str, location_id: str | None, cursor: str | None, limit: int
    ) -> Page[StockLevel]:
        scope = {"sku": sku, "location_id": location_id}
        page_info = decode_cursor(cursor, scope) if cursor else None
        _, variant = await self._variant(sku)
        native_location = None
        if location_id is not None:
            native_location = data_map.native_id(location_id)
            if native_location is None:
                raise NotFound("location", location_id)
        page = await self.client.levels(
            limit=limit,
            page_info=page_info,
            inventory_item_id=variant.inventory_item_id,
            location_id=native_location,
        )
        # Read after the levels, so a location added meanwhile is known.
        locations = {location.id: location for location in await self.client.locations()}
        if native_location is not None and native_location not in locations:
            raise NotFound("location", str(location_id))
        items = [
            self._mapped(
                data_map.stock_level_from_native,
                level,
                sku,
                self._code(locations, level.location_id),
                source=("stock level", f"of {sku} at location {level.location_id}"),
            )
            for level in page.records
        ]
        following = encode_cursor(page.next_page_info, scope) if page.next_page_info else None
        return Page[StockLevel](items=items, next_cursor=following)

    async def adjust(self, change: StockAdjustment) -> StockLevel:
        if change.expected_available is not None:
            target = change.expected_available + change.delta
            if target < 0:
                raise InvalidField("delta", "would make the expected available quantity negative")
            if target > MAX_QUANTITY:
                raise InvalidField(
                    "delta", f"would make the available quantity exceed {MAX_QUANTITY}"
                )
        _, variant = await self._variant(change.sku)
        level = await self.client.change_level(
            change.sku,
            change.location_id,
            variant.inventory_item_id,
            change.delta,
            change.expected_available,
        )
        location = await self.client.location(level.location_id)
        if location is None:
            raise self.client.backend.invalid(f"the level's location {level.location_id} is gone")
        code = self._location(location).code
        return self._mapped(
            data_map.stock_level_from_native,
            level,
            change.sku,
            code,
            source=("stock level", f"of {change.sku} at location {level.location_id}"),
        )

    # --- reservations ---------------------------------------------------------------------

    async def reserve(self, request: ReservationRequest) -> tuple[Reservation, bool]:
        _, variant = await self._variant(request.sku)
        record, created = await self.client.reserve(request, variant.inventory_item_id)
        return self._reservation(record, request.sku), created

    async def get_reservation(self, reservation_id: str) -> Reservation:
        record = await self.client.reservation(reservation_id)
        sku = await self.client.sku_of(record.inventory_item_id)
        return self._reservation(record, sku)

    async def settle(self, reservation_id: str, action: str) -> Reservation:
        record = await self.client.settle(reservation_id, action)
        sku = await self.client.sku_of(record.inventory_item_id)
        return self._reservation(record, sku)

    def _reservation(self, record: ShopifyReservation, sku: str) -> Reservation:
        return self._mapped(
            data_map.reservation_from_native, record, sku, source=("reservation", record.id)
        )
