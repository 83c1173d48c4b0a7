"""Requests the inventory system API accepts (its responses are canonical models)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from system_apis.canonical import TEXT_RULE

MAX_QUANTITY = 1_000_000_000
MAX_TTL_SECONDS = 30 * 24 * 3600

Sku = Annotated[
    str, StringConstraints(min_length=1, max_length=255, strip_whitespace=True), TEXT_RULE
]
LocationId = Annotated[
    str, StringConstraints(min_length=1, max_length=32, strip_whitespace=True), TEXT_RULE
]
ExternalId = Annotated[
    str, StringConstraints(min_length=1, max_length=255, strip_whitespace=True), TEXT_RULE
]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReservationRequest(_Request):
    """Hold ``quantity`` units of ``sku`` at ``location_id`` for ``ttl_seconds``."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "sku": "FUR-001-GRA",
                    "location_id": "71043000004",
                    "quantity": 2,
                    "external_id": "order-2026-000123-line-1",
                    "ttl_seconds": 900,
                }
            ]
        }
    )

    sku: Sku
    location_id: LocationId
    quantity: Annotated[int, Field(strict=True, ge=1, le=MAX_QUANTITY)]
    external_id: ExternalId | None = Field(
        default=None,
        description="Your id for this reservation: sending it again "
        "returns the reservation made the first time",
    )
    ttl_seconds: Annotated[int, Field(strict=True, ge=1, le=MAX_TTL_SECONDS)] = Field(
        default=900,
        description="How long the units are held unless committed (at most 30 days)",
    )


class StockAdjustment(_Request):
    """Count ``delta`` units in (or out, when negative) of ``sku`` at ``location_id``.

    With ``expected_available`` the change is a compare-and-set: it applies only if the
    available quantity still is the one expected, and is refused with 409 otherwise.
    """

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "sku": "FUR-001-GRA",
                    "location_id": "71043000004",
                    "delta": -3,
                    "expected_available": 121,
                }
            ]
        }
    )

    sku: Sku
    location_id: LocationId
    delta: Annotated[int, Field(strict=True, ge=-MAX_QUANTITY, le=MAX_QUANTITY)]
    expected_available: Annotated[int, Field(strict=True, ge=0, le=MAX_QUANTITY)] | None = None
