"""Tables of the inventory stand-in (a Shopify store): products, variants, inventory items,
locations, inventory levels and reservations, each prefixed ``inventory_``.

A level keeps Shopify's named quantities in separate columns, and the database itself holds
the invariant ``on_hand = available + committed + reserved + damaged`` (``incoming`` is on its
way and not on hand yet) and that no quantity is negative, so no write can break them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from strata.db import Base, UTCDateTime

# SQLite only numbers rows by itself for a column declared exactly INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")

PRODUCT_STATUSES = ("active", "archived", "draft")
RESERVATION_STATUSES = ("open", "committed", "released", "expired")


class InventoryProduct(Base):
    __tablename__ = "inventory_products"
    __table_args__ = (CheckConstraint("status IN ('active', 'archived', 'draft')", name="status"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    title: Mapped[str] = mapped_column(String(255))
    body_html: Mapped[str | None] = mapped_column(Text)
    vendor: Mapped[str | None] = mapped_column(String(255))
    product_type: Mapped[str] = mapped_column(String(255), index=True)
    handle: Mapped[str] = mapped_column(String(255), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    tags: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InventoryItem(Base):
    __tablename__ = "inventory_items"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    tracked: Mapped[bool] = mapped_column(Boolean)
    requires_shipping: Mapped[bool] = mapped_column(Boolean)
    cost: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    country_code_of_origin: Mapped[str | None] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InventoryVariant(Base):
    __tablename__ = "inventory_variants"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    product_id: Mapped[int] = mapped_column(
        BigInteger,
        ForeignKey("inventory_products.id", ondelete="CASCADE"),
        index=True,
    )
    inventory_item_id: Mapped[int] = mapped_column(
        BigInteger,
        ForeignKey("inventory_items.id"),
        unique=True,
    )
    title: Mapped[str] = mapped_column(String(255))
    # Shopify tolerates duplicate SKUs; this store keeps them unique because every system
    # downstream identifies a product by its SKU.
    sku: Mapped[str] = mapped_column(String(255), unique=True)
    price: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    compare_at_price: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    position: Mapped[int] = mapped_column(Integer)
    barcode: Mapped[str | None] = mapped_column(String(255))
    inventory_policy: Mapped[str] = mapped_column(String(16))
    taxable: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InventoryLocation(Base):
    __tablename__ = "inventory_locations"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    # Shopify has no location code; this store keeps the merchant's store code in a field of
    # its own (a real shop would hold it in a location metafield).
    code: Mapped[str] = mapped_column(String(32), unique=True)
    address1: Mapped[str | None] = mapped_column(String(255))
    address2: Mapped[str | None] = mapped_column(String(255))
    city: Mapped[str | None] = mapped_column(String(255))
    province: Mapped[str | None] = mapped_column(String(255))
    province_code: Mapped[str | None] = mapped_column(String(8))
    zip: Mapped[str | None] = mapped_column(String(32))
    country_code: Mapped[str] = mapped_column(String(2))
    phone: Mapped[str | None] = mapped_column(String(64))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InventoryLevel(Base):
    """One inventory item at one location, with Shopify's named quantities."""

    __tablename__ = "inventory_levels"
    __table_args__ = (
        CheckConstraint(
            "on_hand = available + committed + reserved + damaged", name="on_hand_balances"
        ),
        CheckConstraint(
            "available >= 0 AND committed >= 0 AND reserved >= 0 AND damaged >= 0 "
            "AND incoming >= 0",
            name="not_negative",
        ),
    )

    inventory_item_id: Mapped[int] = mapped_column(
        BigInteger,
        ForeignKey("inventory_items.id"),
        primary_key=True,
    )
    location_id: Mapped[int] = mapped_column(
        BigInteger,
        ForeignKey("inventory_locations.id"),
        primary_key=True,
        index=True,
    )
    available: Mapped[int] = mapped_column(Integer)
    committed: Mapped[int] = mapped_column(Integer)
    reserved: Mapped[int] = mapped_column(Integer)
    damaged: Mapped[int] = mapped_column(Integer)
    incoming: Mapped[int] = mapped_column(Integer)
    on_hand: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InventoryReservation(Base):
    """Units of one item held at one location: ``open`` (held until ``expires_at``),
    ``committed`` (kept for an order), ``released`` or ``expired`` (units given back)."""

    __tablename__ = "inventory_reservations"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("status IN ('open', 'committed', 'released', 'expired')", name="status"),
        Index("ix_inventory_reservations_status_expires_at", "status", "expires_at"),
        Index("ix_inventory_reservations_level", "inventory_item_id", "location_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    inventory_item_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("inventory_items.id"))
    location_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("inventory_locations.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    committed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
