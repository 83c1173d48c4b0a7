"""The store this stand-in plays: its settings, its API version, and how Shopify writes ids
and times (numeric ids, ``gid://shopify/...`` GraphQL ids, local times with an offset)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

API_VERSION = "2024-10"
API_PREFIX = f"/admin/api/{API_VERSION}"

SHOP_ID = 60_910_472_363
SHOP_NAME = "Strata Demo Store"
SHOP_DOMAIN = "strata-demo.myshopify.com"
SHOP_CURRENCY = "USD"
SHOP_TIMEZONE = "America/Los_Angeles"
SHOP_COUNTRY = "US"

# The largest quantity Shopify accepts in any inventory state.
MAX_QUANTITY = 1_000_000_000
# Ids are 64-bit integers; anything larger cannot name a record.
MAX_ID = 2**63 - 1


def _shop_zone() -> tzinfo:
    try:
        return ZoneInfo(SHOP_TIMEZONE)
    except ZoneInfoNotFoundError:
        # Without tz data (a slim container) keep the offset of standard time.
        return timezone(timedelta(hours=-8), "PST")


SHOP_ZONE = _shop_zone()


def shop_time(moment: datetime) -> str:
    """A time as Shopify writes it: the shop's local time, whole seconds, with the offset."""
    return moment.astimezone(SHOP_ZONE).isoformat(timespec="seconds")


def gid(resource: str, identifier: int, query: str = "") -> str:
    """The GraphQL id Shopify returns beside every numeric id."""
    return f"gid://shopify/{resource}/{identifier}{query}"


def parse_id(text: str) -> int | None:
    """A numeric id from a path or a query; None when it cannot name any record."""
    if not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None
