"""Registered APIs list the browser origins that may call them cross-origin (CORS).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
# On the gateway_registry branch, after 0010.
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Null (the APIs registered before) reads as no origins: no cross-origin access.
    op.add_column("gw_apis", sa.Column("cors_origins", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("gw_apis") as batch:
        batch.drop_column("cors_origins")
