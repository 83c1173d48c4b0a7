"""Tables of the order-to-invoice process: the orders placed through it and the
Idempotency-Keys that placed them.

An order's id is the id of the flow that fulfils it; its progress (and the ids each system
gave) live in the flow's steps, so they are never copied here. What is here is what belongs
to the order itself: who placed it, what was asked for, and what has been paid.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from strata.db import Base, UTCDateTime

# SQLite only numbers rows by itself for a column declared exactly INTEGER PRIMARY KEY.
KeyId = BigInteger().with_variant(Integer(), "sqlite")


class OrderRecord(Base):
    __tablename__ = "process_orders"

    id: Mapped[str] = mapped_column(
        String(64), ForeignKey("process_flows.id", ondelete="CASCADE"), primary_key=True
    )
    client: Mapped[str] = mapped_column(String(200), index=True)
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    location_id: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str | None] = mapped_column(String(3))
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    amount_paid: Mapped[Decimal] = mapped_column(Numeric(18, 4), default=Decimal("0"))
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class IdempotencyKeyRecord(Base):
    """One Idempotency-Key of one client: unique in the database, so of two requests racing
    with the same key exactly one creates an order."""

    __tablename__ = "process_idempotency_keys"
    __table_args__ = (UniqueConstraint("client", "key"),)

    id: Mapped[int] = mapped_column(KeyId, primary_key=True, autoincrement=True)
    client: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("process_orders.id", ondelete="CASCADE"), index=True
    )
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
