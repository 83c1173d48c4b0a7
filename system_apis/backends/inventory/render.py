"""Records as Shopify's Admin REST API writes them (field names, string prices, local times)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from system_apis.backends.inventory.models import (
    InventoryItem,
    InventoryLevel,
    InventoryLocation,
    InventoryProduct,
    InventoryReservation,
    InventoryVariant,
)
from system_apis.backends.inventory.shop import (
    SHOP_COUNTRY,
    SHOP_CURRENCY,
    SHOP_DOMAIN,
    SHOP_ID,
    SHOP_NAME,
    SHOP_TIMEZONE,
    gid,
    shop_time,
)

# The quantity names Shopify reports for a level, in the order its API lists them.
QUANTITY_NAMES = ("available", "committed", "damaged", "incoming", "on_hand", "reserved")
_COUNTRY_NAMES = {"US": "United States", "CA": "Canada", "MX": "Mexico", "GB": "United Kingdom"}


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def shop() -> dict[str, Any]:
    return {
        "id": SHOP_ID,
        "name": SHOP_NAME,
        "domain": SHOP_DOMAIN,
        "myshopify_domain": SHOP_DOMAIN,
        "country_code": SHOP_COUNTRY,
        "currency": SHOP_CURRENCY,
        "enabled_presentment_currencies": [SHOP_CURRENCY],
        "iana_timezone": SHOP_TIMEZONE,
        "weight_unit": "lb",
    }


def variant(row: InventoryVariant) -> dict[str, Any]:
    return {
        "id": row.id,
        "product_id": row.product_id,
        "title": row.title,
        "price": _money(row.price),
        "compare_at_price": _money(row.compare_at_price),
        "sku": row.sku,
        "position": row.position,
        "inventory_policy": row.inventory_policy,
        "inventory_management": "shopify",
        "taxable": row.taxable,
        "barcode": row.barcode,
        "inventory_item_id": row.inventory_item_id,
        "created_at": shop_time(row.created_at),
        "updated_at": shop_time(row.updated_at),
        "admin_graphql_api_id": gid("ProductVariant", row.id),
    }


def product(row: InventoryProduct, variants: Sequence[InventoryVariant]) -> dict[str, Any]:
    return {
        "id": row.id,
        "title": row.title,
        "body_html": row.body_html,
        "vendor": row.vendor,
        "product_type": row.product_type,
        "handle": row.handle,
        "status": row.status,
        "tags": row.tags,
        "created_at": shop_time(row.created_at),
        "updated_at": shop_time(row.updated_at),
        "published_at": shop_time(row.created_at) if row.status == "active" else None,
        "variants": [variant(v) for v in sorted(variants, key=lambda v: v.position)],
        "options": [{"name": "Title", "position": 1, "values": [v.title for v in variants]}],
        "admin_graphql_api_id": gid("Product", row.id),
    }


def inventory_item(row: InventoryItem, sku: str | None) -> dict[str, Any]:
    return {
        "id": row.id,
        "sku": sku,
        "tracked": row.tracked,
        "requires_shipping": row.requires_shipping,
        "cost": _money(row.cost),
        "country_code_of_origin": row.country_code_of_origin,
        "created_at": shop_time(row.created_at),
        "updated_at": shop_time(row.updated_at),
        "admin_graphql_api_id": gid("InventoryItem", row.id),
    }


def location(row: InventoryLocation) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "code": row.code,
        "address1": row.address1,
        "address2": row.address2,
        "city": row.city,
        "zip": row.zip,
        "province": row.province,
        "province_code": row.province_code,
        "country": row.country_code,
        "country_code": row.country_code,
        "country_name": _COUNTRY_NAMES.get(row.country_code, row.country_code),
        "phone": row.phone,
        "latitude": row.latitude,
        "longitude": row.longitude,
        "active": row.active,
        "legacy": False,
        "created_at": shop_time(row.created_at),
        "updated_at": shop_time(row.updated_at),
        "admin_graphql_api_id": gid("Location", row.id),
    }


def inventory_level(row: InventoryLevel) -> dict[str, Any]:
    return {
        "inventory_item_id": row.inventory_item_id,
        "location_id": row.location_id,
        "available": row.available,
        "quantities": [{"name": name, "quantity": getattr(row, name)} for name in QUANTITY_NAMES],
        "updated_at": shop_time(row.updated_at),
        "admin_graphql_api_id": gid(
            "InventoryLevel",
            row.location_id,
            f"?inventory_item_id={row.inventory_item_id}",
        ),
    }


def reservation(row: InventoryReservation) -> dict[str, Any]:
    return {
        "id": row.id,
        "inventory_item_id": row.inventory_item_id,
        "location_id": row.location_id,
        "quantity": row.quantity,
        "status": row.status,
        "external_id": row.external_id,
        "expires_at": shop_time(row.expires_at),
        "committed_at": shop_time(row.committed_at) if row.committed_at else None,
        "released_at": shop_time(row.released_at) if row.released_at else None,
        "created_at": shop_time(row.created_at),
        "updated_at": shop_time(row.updated_at),
        "admin_graphql_api_id": gid("InventoryReservation", row.id),
    }
