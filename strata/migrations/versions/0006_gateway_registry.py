"""The gateway's registry of APIs and its revision counter.

Revision ID: 0006
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from strata.db import UTCDateTime

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("gateway_registry",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "gw_apis",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("layer", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("timeout_seconds", sa.Float(), nullable=False),
        sa.Column("retries", sa.Integer(), nullable=False),
        sa.Column("read_scope", sa.String(length=128), nullable=True),
        sa.Column("write_scope", sa.String(length=128), nullable=True),
        sa.Column("rate_tier", sa.String(length=64), nullable=True),
        sa.Column("openapi", sa.JSON(), nullable=False),
        sa.Column("openapi_url", sa.String(length=2048), nullable=True),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "layer IN ('system', 'process', 'experience')", name=op.f("ck_gw_apis_layer")
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_gw_apis_version")),
        sa.CheckConstraint("timeout_seconds > 0", name=op.f("ck_gw_apis_timeout_seconds")),
        sa.CheckConstraint("retries >= 0", name=op.f("ck_gw_apis_retries")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gw_apis")),
        sa.UniqueConstraint("name", name=op.f("uq_gw_apis_name")),
    )
    state = op.create_table(
        "gw_registry_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_gw_registry_state_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gw_registry_state")),
    )
    op.bulk_insert(state, [{"id": 1, "revision": 0}])


def downgrade() -> None:
    op.drop_table("gw_registry_state")
    op.drop_table("gw_apis")
