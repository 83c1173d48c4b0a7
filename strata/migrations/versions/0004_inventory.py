"""The inventory stand-in's tables: products, variants, items, locations, levels, reservations.

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("inventory",)
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)
_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "inventory_products",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=True),
        sa.Column("vendor", sa.String(255), nullable=True),
        sa.Column("product_type", sa.String(255), nullable=False),
        sa.Column("handle", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        *_timestamps(),
        sa.CheckConstraint(
            "status IN ('active', 'archived', 'draft')", name="ck_inventory_products_status"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_inventory_products"),
        sa.UniqueConstraint("handle", name="uq_inventory_products_handle"),
    )
    op.create_index("ix_inventory_products_product_type", "inventory_products", ["product_type"])

    op.create_table(
        "inventory_items",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("tracked", sa.Boolean(), nullable=False),
        sa.Column("requires_shipping", sa.Boolean(), nullable=False),
        sa.Column("cost", sa.Numeric(14, 2), nullable=True),
        sa.Column("country_code_of_origin", sa.String(2), nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_inventory_items"),
    )

    op.create_table(
        "inventory_variants",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("product_id", sa.BigInteger(), nullable=False),
        sa.Column("inventory_item_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("sku", sa.String(255), nullable=False),
        sa.Column("price", sa.Numeric(14, 2), nullable=False),
        sa.Column("compare_at_price", sa.Numeric(14, 2), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("barcode", sa.String(255), nullable=True),
        sa.Column("inventory_policy", sa.String(16), nullable=False),
        sa.Column("taxable", sa.Boolean(), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["inventory_products.id"],
            ondelete="CASCADE",
            name="fk_inventory_variants_product_id_inventory_products",
        ),
        sa.ForeignKeyConstraint(
            ["inventory_item_id"],
            ["inventory_items.id"],
            name="fk_inventory_variants_inventory_item_id_inventory_items",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_inventory_variants"),
        sa.UniqueConstraint("inventory_item_id", name="uq_inventory_variants_inventory_item_id"),
        sa.UniqueConstraint("sku", name="uq_inventory_variants_sku"),
    )
    op.create_index("ix_inventory_variants_product_id", "inventory_variants", ["product_id"])

    op.create_table(
        "inventory_locations",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("address1", sa.String(255), nullable=True),
        sa.Column("address2", sa.String(255), nullable=True),
        sa.Column("city", sa.String(255), nullable=True),
        sa.Column("province", sa.String(255), nullable=True),
        sa.Column("province_code", sa.String(8), nullable=True),
        sa.Column("zip", sa.String(32), nullable=True),
        sa.Column("country_code", sa.String(2), nullable=False),
        sa.Column("phone", sa.String(64), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_inventory_locations"),
        sa.UniqueConstraint("code", name="uq_inventory_locations_code"),
        sa.UniqueConstraint("name", name="uq_inventory_locations_name"),
    )

    op.create_table(
        "inventory_levels",
        sa.Column("inventory_item_id", sa.BigInteger(), nullable=False),
        sa.Column("location_id", sa.BigInteger(), nullable=False),
        sa.Column("available", sa.Integer(), nullable=False),
        sa.Column("committed", sa.Integer(), nullable=False),
        sa.Column("reserved", sa.Integer(), nullable=False),
        sa.Column("damaged", sa.Integer(), nullable=False),
        sa.Column("incoming", sa.Integer(), nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.CheckConstraint(
            "on_hand = available + committed + reserved + damaged",
            name="ck_inventory_levels_on_hand_balances",
        ),
        sa.CheckConstraint(
            "available >= 0 AND committed >= 0 AND reserved >= 0 AND damaged >= 0 "
            "AND incoming >= 0",
            name="ck_inventory_levels_not_negative",
        ),
        sa.ForeignKeyConstraint(
            ["inventory_item_id"],
            ["inventory_items.id"],
            name="fk_inventory_levels_inventory_item_id_inventory_items",
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["inventory_locations.id"],
            name="fk_inventory_levels_location_id_inventory_locations",
        ),
        sa.PrimaryKeyConstraint("inventory_item_id", "location_id", name="pk_inventory_levels"),
    )
    op.create_index("ix_inventory_levels_location_id", "inventory_levels", ["location_id"])

    op.create_table(
        "inventory_reservations",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("inventory_item_id", sa.BigInteger(), nullable=False),
        sa.Column("location_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("external_id", sa.String(255), nullable=True),
        sa.Column("expires_at", _TIME, nullable=False),
        sa.Column("committed_at", _TIME, nullable=True),
        sa.Column("released_at", _TIME, nullable=True),
        *_timestamps(),
        sa.CheckConstraint("quantity > 0", name="ck_inventory_reservations_quantity_positive"),
        sa.CheckConstraint(
            "status IN ('open', 'committed', 'released', 'expired')",
            name="ck_inventory_reservations_status",
        ),
        sa.ForeignKeyConstraint(
            ["inventory_item_id"],
            ["inventory_items.id"],
            name="fk_inventory_reservations_inventory_item_id_inventory_items",
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["inventory_locations.id"],
            name="fk_inventory_reservations_location_id_inventory_locations",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_inventory_reservations"),
        sa.UniqueConstraint("external_id", name="uq_inventory_reservations_external_id"),
    )
    op.create_index(
        "ix_inventory_reservations_status_expires_at",
        "inventory_reservations",
        ["status", "expires_at"],
    )
    op.create_index(
        "ix_inventory_reservations_level",
        "inventory_reservations",
        ["inventory_item_id", "location_id"],
    )


def downgrade() -> None:
    op.drop_table("inventory_reservations")
    op.drop_table("inventory_levels")
    op.drop_table("inventory_locations")
    op.drop_table("inventory_variants")
    op.drop_table("inventory_items")
    op.drop_table("inventory_products")
