"""People have roles; clients have a status (an app may wait for an operator's approval) and
say whether they are Strata's own; authorizations remember the resources (RFC 8707) asked for.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The clients Strata seeds for its own apps (the web and mobile apps, the CLI, the docs and
# the portal): the consent page names them as Strata's own.
FIRST_PARTY_CLIENTS = ("strata-web", "strata-mobile", "strata-cli", "strata-docs", "strata-portal")


def upgrade() -> None:
    # Every person signed up so far is a shopper: the least a role can entitle.
    op.add_column(
        "oauth_users",
        sa.Column("roles", sa.String(200), nullable=False, server_default="customer"),
    )
    op.add_column(
        "oauth_clients",
        sa.Column("status", sa.String(16), nullable=False, server_default="active"),
    )
    op.add_column(
        "oauth_clients",
        sa.Column("first_party", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    # Space-separated resource indicators (absolute URIs) the token is to be for.
    for table in (
        "oauth_authorization_requests",
        "oauth_authorization_codes",
        "oauth_token_families",
    ):
        op.add_column(table, sa.Column("resource", sa.Text(), nullable=True))
    clients = sa.table("oauth_clients", sa.column("id", sa.String), sa.column("first_party"))
    op.execute(
        clients.update().where(clients.c.id.in_(FIRST_PARTY_CLIENTS)).values(first_party=sa.true())
    )


def downgrade() -> None:
    for table in (
        "oauth_token_families",
        "oauth_authorization_codes",
        "oauth_authorization_requests",
    ):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("resource")
    with op.batch_alter_table("oauth_clients") as batch:
        batch.drop_column("first_party")
        batch.drop_column("status")
    with op.batch_alter_table("oauth_users") as batch:
        batch.drop_column("roles")
