"""Settings of the order-to-invoice process."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field


class OrdersConfig(BaseModel):
    reservation_ttl_seconds: Annotated[int, Field(ge=60, le=86_400)] = Field(
        default=900,
        description="How long stock is held for an order that has not finished; a hold a "
        "crashed process could not record goes back to available after this",
    )
    idempotency_ttl_hours: Annotated[float, Field(ge=24, le=24 * 30)] = Field(
        default=24, description="How long an Idempotency-Key is remembered (at least a day)"
    )
    lease_seconds: Annotated[float, Field(gt=0, le=600)] = Field(
        default=30,
        description="How long a runner's claim on a flow lasts without news from it",
    )
    poll_interval_seconds: Annotated[float, Field(gt=0, le=60)] = 1.0
    purge_interval_seconds: Annotated[float, Field(gt=0)] = 600.0
    step_attempts: Annotated[int, Field(ge=1, le=10)] = Field(
        default=3, description="Attempts of a step on a transient failure before it fails"
    )
    runner_concurrency: Annotated[int, Field(ge=1, le=256)] = 16
