"""The data map between the Shopify-style inventory system and the canonical model.

Pure functions, both ways. What maps to what:

- **Ids.** Shopify ids are 64-bit numbers; canonical ids are their decimal strings. A
  canonical id that is not such a number cannot name a Shopify record (``native_id`` → None).
- **Product.** Shopify sells *variants* of a product; a canonical Product is one variant (one
  SKU). Its ``id`` is the variant id; its ``name`` is the product title, followed by
  ``" - "`` and the variant title unless the variant is the product's only one
  (``"Default Title"``); ``description`` is the product's ``body_html`` as plain text;
  ``category`` is the ``product_type``; ``price`` is the variant's decimal string in the
  shop's currency; ``active`` is ``status == "active"`` (``archived`` and ``draft`` are not).
- **Location.** ``code`` is the store code the shop keeps with each location; the address
  comes from ``address1``/``address2`` (``street``, one line each), ``city``,
  ``province_code``, ``zip`` and ``country_code``.
- **Stock level.** A Shopify level has named quantities with
  ``on_hand = available + committed + reserved + damaged``. Canonically:

  * ``on_hand`` is Shopify's ``on_hand``: every unit at the location;
  * ``committed`` is Shopify's ``committed + reserved``: units promised to orders or held
    by reservations;
  * ``available`` is Shopify's ``available``: units that can be promised right now, that is
    on hand less committed, reserved and damaged (unsellable) units. ``incoming`` units are
    not on hand and never available.
- **Reservation.** Shopify's ``open`` is canonical ``held``; ``committed``, ``released`` and
  ``expired`` keep their names. The SKU comes from the reservation's inventory item.
- **Times.** Shopify writes the shop's local time with an offset; canonical times are UTC.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from system_apis.canonical import (
    Location,
    Money,
    Product,
    Reservation,
    ReservationStatus,
    StockLevel,
)
from system_apis.inventory.native import ReservationStatus as NativeStatus
from system_apis.inventory.native import (
    ShopifyLevel,
    ShopifyLocation,
    ShopifyProduct,
    ShopifyQuantity,
    ShopifyReservation,
    ShopifyVariant,
)

DEFAULT_VARIANT_TITLE = "Default Title"
NAME_SEPARATOR = " - "
MAX_ID = 2**63 - 1
_TAG = re.compile(r"<[^>]*>")


class DataMapError(ValueError):
    """A native record that breaks the rules of its own system (e.g. quantities that do not
    add up); the message says what is wrong."""


# --- ids and times ------------------------------------------------------------------------


def canonical_id(native: int) -> str:
    return str(native)


def native_id(canonical: str) -> int | None:
    if not canonical.isascii() or not canonical.isdigit():
        return None
    value = int(canonical)
    return value if 0 < value <= MAX_ID else None


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


# --- products -----------------------------------------------------------------------------


def name_from_native(product_title: str, variant_title: str) -> str:
    if variant_title == DEFAULT_VARIANT_TITLE:
        return product_title
    return f"{product_title}{NAME_SEPARATOR}{variant_title}"


def name_to_native(name: str) -> tuple[str, str]:
    """(product title, variant title) for a canonical name."""
    title, separator, variant = name.rpartition(NAME_SEPARATOR)
    if not separator or not title or variant == DEFAULT_VARIANT_TITLE:
        return name, DEFAULT_VARIANT_TITLE
    return title, variant


def description_from_html(body_html: str | None) -> str | None:
    if body_html is None:
        return None
    return html.unescape(_TAG.sub("", body_html))


def description_to_html(description: str | None) -> str | None:
    if description is None:
        return None
    return f"<p>{html.escape(description, quote=False)}</p>"


def active_from_status(status: str) -> bool:
    return status == "active"


def status_from_active(active: bool) -> Literal["active", "archived"]:
    return "active" if active else "archived"


def money_from_native(price: Decimal, currency: str) -> Money:
    return Money(amount=price, currency=currency)


def price_to_native(money: Money) -> str:
    return f"{money.amount:.2f}"


def product_from_native(product: ShopifyProduct, variant: ShopifyVariant, currency: str) -> Product:
    if not variant.sku:
        raise DataMapError(f"variant {variant.id} of product {product.id} has no SKU")
    return Product(
        id=canonical_id(variant.id),
        sku=variant.sku,
        name=name_from_native(product.title, variant.title),
        description=description_from_html(product.body_html),
        category=product.product_type or None,
        price=money_from_native(variant.price, currency),
        active=active_from_status(product.status),
    )


def products_from_native(
    product: ShopifyProduct, currency: str, skus: set[str] | None = None
) -> list[Product]:
    """One canonical product per variant with a SKU (only the ``skus`` asked for, if given)."""
    return [
        product_from_native(product, variant, currency)
        for variant in product.variants
        if variant.sku and (skus is None or variant.sku in skus)
    ]


def product_to_native(
    product: Product,
    *,
    product_id: int,
    inventory_item_id: int,
    created_at: datetime,
    updated_at: datetime,
) -> ShopifyProduct:
    """The Shopify product (with this one variant) that maps to ``product``."""
    variant_id = native_id(product.id)
    if variant_id is None:
        raise DataMapError(f"product id {product.id!r} is not a Shopify variant id")
    title, variant_title = name_to_native(product.name)
    return ShopifyProduct(
        id=product_id,
        title=title,
        body_html=description_to_html(product.description),
        product_type=product.category or "",
        status=status_from_active(product.active),
        variants=(
            ShopifyVariant(
                id=variant_id,
                title=variant_title,
                sku=product.sku,
                price=Decimal(price_to_native(product.price)),
                inventory_item_id=inventory_item_id,
            ),
        ),
        created_at=created_at,
        updated_at=updated_at,
    )


# --- locations ----------------------------------------------------------------------------


def street_from_native(address1: str | None, address2: str | None) -> str | None:
    if address2 is None:
        return address1
    return f"{address1 or ''}\n{address2}"


def street_to_native(street: str | None) -> tuple[str | None, str | None]:
    if street is None:
        return None, None
    first, newline, second = street.partition("\n")
    return first, (second if newline else None)


def location_from_native(location: ShopifyLocation) -> Location:
    # Validated as one document, so that a refused value is named by its whole path.
    return Location.model_validate(
        {
            "id": canonical_id(location.id),
            "code": location.code or canonical_id(location.id),
            "name": location.name,
            "address": {
                "street": street_from_native(location.address1, location.address2),
                "city": location.city,
                "state": location.province_code,
                "postal_code": location.zip,
                "country": location.country_code,
            },
            "latitude": location.latitude,
            "longitude": location.longitude,
        }
    )


def location_to_native(location: Location, *, active: bool = True) -> ShopifyLocation:
    identifier = native_id(location.id)
    if identifier is None:
        raise DataMapError(f"location id {location.id!r} is not a Shopify location id")
    address1, address2 = street_to_native(location.address.street)
    return ShopifyLocation(
        id=identifier,
        name=location.name,
        code=location.code,
        address1=address1,
        address2=address2,
        city=location.address.city,
        province_code=location.address.state,
        zip=location.address.postal_code,
        country_code=location.address.country,
        latitude=location.latitude,
        longitude=location.longitude,
        active=active,
    )


# --- stock levels -------------------------------------------------------------------------

QUANTITY_NAMES = ("available", "committed", "damaged", "incoming", "on_hand", "reserved")


def quantities(level: ShopifyLevel) -> dict[str, int]:
    named = {quantity.name: quantity.quantity for quantity in level.quantities}
    missing = [name for name in QUANTITY_NAMES if name not in named]
    if missing:
        raise DataMapError(f"inventory level lacks the quantities {', '.join(missing)}")
    if named["available"] != level.available:
        raise DataMapError("inventory level reports two different available quantities")
    balance = named["available"] + named["committed"] + named["reserved"] + named["damaged"]
    if named["on_hand"] != balance:
        raise DataMapError(
            f"inventory level on_hand {named['on_hand']} is not available + committed + "
            f"reserved + damaged ({balance})",
        )
    return named


def stock_level_from_native(level: ShopifyLevel, sku: str, location_code: str) -> StockLevel:
    named = quantities(level)
    return StockLevel(
        sku=sku,
        location_id=canonical_id(level.location_id),
        location_code=location_code,
        on_hand=named["on_hand"],
        committed=named["committed"] + named["reserved"],
        available=named["available"],
        updated_at=utc(level.updated_at),
    )


def stock_level_to_native(level: StockLevel, inventory_item_id: int) -> ShopifyLevel:
    """A Shopify level that maps to ``level``: its committed units all committed, and what is
    on hand but neither committed nor available counted as damaged."""
    location_id = native_id(level.location_id)
    if location_id is None:
        raise DataMapError(f"location id {level.location_id!r} is not a Shopify location id")
    damaged = level.on_hand - level.available - level.committed
    if damaged < 0 or min(level.on_hand, level.available, level.committed) < 0:
        raise DataMapError("available + committed exceeds on_hand")
    named = {
        "available": level.available,
        "committed": level.committed,
        "damaged": damaged,
        "incoming": 0,
        "on_hand": level.on_hand,
        "reserved": 0,
    }
    return ShopifyLevel(
        inventory_item_id=inventory_item_id,
        location_id=location_id,
        available=level.available,
        quantities=tuple(ShopifyQuantity(name=n, quantity=q) for n, q in named.items()),
        updated_at=level.updated_at,
    )


def adjustment_to_native(
    inventory_item_id: int, location_id: int, delta: int, expected_available: int | None
) -> tuple[str, dict[str, Any]]:
    """The Shopify call for a stock adjustment: ``adjust`` by the delta, or, when the caller
    states what it expects to be available, ``set`` with that as ``compare_quantity``."""
    if expected_available is None:
        return "adjust", {
            "inventory_item_id": inventory_item_id,
            "location_id": location_id,
            "available_adjustment": delta,
        }
    return "set", {
        "inventory_item_id": inventory_item_id,
        "location_id": location_id,
        "available": expected_available + delta,
        "compare_quantity": expected_available,
    }


# --- reservations -------------------------------------------------------------------------

_STATUS_FROM_NATIVE: dict[str, ReservationStatus] = {
    "open": ReservationStatus.HELD,
    "committed": ReservationStatus.COMMITTED,
    "released": ReservationStatus.RELEASED,
    "expired": ReservationStatus.EXPIRED,
}
_STATUS_TO_NATIVE: dict[ReservationStatus, NativeStatus] = {
    ReservationStatus.HELD: "open",
    ReservationStatus.COMMITTED: "committed",
    ReservationStatus.RELEASED: "released",
    ReservationStatus.EXPIRED: "expired",
}


def reservation_status_from_native(status: str) -> ReservationStatus:
    return _STATUS_FROM_NATIVE[status]


def reservation_status_to_native(status: ReservationStatus) -> NativeStatus:
    return _STATUS_TO_NATIVE[status]


def reservation_from_native(reservation: ShopifyReservation, sku: str) -> Reservation:
    return Reservation(
        id=canonical_id(reservation.id),
        sku=sku,
        location_id=canonical_id(reservation.location_id),
        quantity=reservation.quantity,
        status=reservation_status_from_native(reservation.status),
        external_id=reservation.external_id,
        expires_at=utc(reservation.expires_at),
        created_at=utc(reservation.created_at),
    )


def reservation_to_native(reservation: Reservation, inventory_item_id: int) -> ShopifyReservation:
    identifier = native_id(reservation.id)
    location_id = native_id(reservation.location_id)
    if identifier is None or location_id is None:
        raise DataMapError("reservation and location ids must be Shopify ids")
    return ShopifyReservation(
        id=identifier,
        inventory_item_id=inventory_item_id,
        location_id=location_id,
        quantity=reservation.quantity,
        status=reservation_status_to_native(reservation.status),
        external_id=reservation.external_id,
        expires_at=reservation.expires_at,
        created_at=reservation.created_at,
    )


def reservation_request_to_native(
    inventory_item_id: int,
    location_id: int,
    quantity: int,
    external_id: str | None,
    ttl_seconds: int,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "inventory_item_id": inventory_item_id,
        "location_id": location_id,
        "quantity": quantity,
        "expires_in": ttl_seconds,
    }
    if external_id is not None:
        body["external_id"] = external_id
    return {"reservation": body}
