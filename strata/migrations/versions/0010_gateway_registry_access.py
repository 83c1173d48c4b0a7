"""Registered APIs say whether they are public (no token needed) and what their upstream
receives instead of the caller's token (and its own credentials, encrypted).

Revision ID: 0010
Revises: 0006
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
# On the gateway_registry branch (0006 carries its label).
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # An API registered before without scopes is not made public here: fail closed, an
    # operator marks it public (or gives it scopes) on purpose.
    op.add_column(
        "gw_apis", sa.Column("public", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    # What the upstream receives: {"mode": "none" | "identity" | ..., and its plain options}.
    op.add_column("gw_apis", sa.Column("upstream_auth", sa.JSON(), nullable=True))
    # The upstream's own credential (an API key, a client secret), AES-GCM encrypted.
    op.add_column(
        "gw_apis", sa.Column("upstream_secret_encrypted", sa.LargeBinary(), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("gw_apis") as batch:
        batch.drop_column("upstream_secret_encrypted")
        batch.drop_column("upstream_auth")
        batch.drop_column("public")
