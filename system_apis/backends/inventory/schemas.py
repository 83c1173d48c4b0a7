"""Request bodies the store accepts, with Shopify's limits (ids are 64-bit, quantities at most
one billion). Integers must be JSON integers: ``"5"`` or ``5.0`` is refused, not guessed at."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from system_apis.backends.inventory.shop import MAX_ID, MAX_QUANTITY

RecordId = Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]
Quantity = Annotated[int, Field(strict=True, ge=0, le=MAX_QUANTITY)]
Delta = Annotated[int, Field(strict=True, ge=-MAX_QUANTITY, le=MAX_QUANTITY)]
# A reservation is held for at most 30 days unless committed.
MAX_HOLD_SECONDS = 30 * 24 * 3600


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AdjustLevel(_Body):
    """``POST inventory_levels/adjust.json``: add (or take away) available units."""

    inventory_item_id: RecordId
    location_id: RecordId
    available_adjustment: Delta


class SetLevel(_Body):
    """``POST inventory_levels/set.json``: set the available units, optionally only if they
    still are ``compare_quantity`` (a compare-and-set)."""

    inventory_item_id: RecordId
    location_id: RecordId
    available: Quantity
    compare_quantity: Quantity | None = None
    disconnect_if_necessary: bool = False


class NewReservation(_Body):
    inventory_item_id: RecordId
    location_id: RecordId
    quantity: Annotated[int, Field(strict=True, ge=1, le=MAX_QUANTITY)]
    external_id: Annotated[str, StringConstraints(min_length=1, max_length=255)] | None = None
    expires_at: AwareDatetime | None = None
    expires_in: Annotated[int, Field(strict=True, ge=1, le=MAX_HOLD_SECONDS)] | None = None


class NewReservationEnvelope(_Body):
    """``POST reservations.json``: ``{"reservation": {...}}``, Shopify's root-key style."""

    reservation: NewReservation
