"""OAuth clients know the developer who registered them on the portal.

Revision ID: 0008
Revises: 0005
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
# On the gateway_oauth branch (0005 carries its label), after the tables it created.
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable and without a default: adding it is a metadata change on both engines, and the
    # clients made before (seeded, by an operator) have no owner.
    op.add_column("oauth_clients", sa.Column("owner_user_id", sa.String(64), nullable=True))
    op.create_index(op.f("ix_oauth_clients_owner_user_id"), "oauth_clients", ["owner_user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_oauth_clients_owner_user_id"), table_name="oauth_clients")
    with op.batch_alter_table("oauth_clients") as batch:
        batch.drop_column("owner_user_id")
