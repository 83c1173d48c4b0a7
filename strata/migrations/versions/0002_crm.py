"""The CRM stand-in: accounts, contacts, tasks, id sequences and query locators.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from strata.db import UTCDateTime

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("crm",)
depends_on: str | Sequence[str] | None = None


def _audit_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("is_deleted", sa.Boolean(), nullable=False),
        sa.Column("created_date", UTCDateTime(), nullable=False),
        sa.Column("last_modified_date", UTCDateTime(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "crm_accounts",
        sa.Column("id", sa.String(18), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("is_person_account", sa.Boolean(), nullable=False),
        sa.Column("first_name", sa.String(40), nullable=True),
        sa.Column("last_name", sa.String(80), nullable=True),
        sa.Column("person_email", sa.String(80), nullable=True),
        sa.Column("email", sa.String(80), nullable=True),
        sa.Column("phone", sa.String(40), nullable=True),
        sa.Column("industry", sa.String(255), nullable=True),
        sa.Column("type", sa.String(255), nullable=True),
        sa.Column("billing_street", sa.String(255), nullable=True),
        sa.Column("billing_city", sa.String(40), nullable=True),
        sa.Column("billing_state", sa.String(80), nullable=True),
        sa.Column("billing_postal_code", sa.String(20), nullable=True),
        sa.Column("billing_country", sa.String(80), nullable=True),
        sa.Column("active", sa.String(3), nullable=True),
        sa.Column("external_id", sa.String(255), nullable=True),
        *_audit_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_accounts")),
        sa.UniqueConstraint("external_id", name=op.f("uq_crm_accounts_external_id")),
    )
    op.create_index(op.f("ix_crm_accounts_name"), "crm_accounts", ["name"])
    op.create_index(
        op.f("ix_crm_accounts_last_modified_date"), "crm_accounts", ["last_modified_date"]
    )

    op.create_table(
        "crm_contacts",
        sa.Column("id", sa.String(18), nullable=False),
        sa.Column("account_id", sa.String(18), nullable=True),
        sa.Column("first_name", sa.String(40), nullable=True),
        sa.Column("last_name", sa.String(80), nullable=False),
        sa.Column("email", sa.String(80), nullable=True),
        sa.Column("phone", sa.String(40), nullable=True),
        sa.Column("title", sa.String(128), nullable=True),
        *_audit_columns(),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["crm_accounts.id"],
            name=op.f("fk_crm_contacts_account_id_crm_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_contacts")),
    )
    op.create_index(op.f("ix_crm_contacts_account_id"), "crm_contacts", ["account_id"])
    op.create_index(
        op.f("ix_crm_contacts_last_modified_date"), "crm_contacts", ["last_modified_date"]
    )

    op.create_table(
        "crm_tasks",
        sa.Column("id", sa.String(18), nullable=False),
        sa.Column("what_id", sa.String(18), nullable=True),
        sa.Column("subject", sa.String(255), nullable=True),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("type", sa.String(40), nullable=True),
        sa.Column("activity_date", sa.Date(), nullable=True),
        sa.Column("occurred_at", UTCDateTime(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("external_id", sa.String(255), nullable=True),
        *_audit_columns(),
        sa.ForeignKeyConstraint(
            ["what_id"], ["crm_accounts.id"], name=op.f("fk_crm_tasks_what_id_crm_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_tasks")),
        sa.UniqueConstraint("external_id", name=op.f("uq_crm_tasks_external_id")),
    )
    op.create_index(op.f("ix_crm_tasks_what_id"), "crm_tasks", ["what_id"])
    op.create_index(op.f("ix_crm_tasks_last_modified_date"), "crm_tasks", ["last_modified_date"])

    op.create_table(
        "crm_id_sequences",
        sa.Column("key_prefix", sa.String(3), nullable=False),
        sa.Column("last_number", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key_prefix", name=op.f("pk_crm_id_sequences")),
    )

    op.create_table(
        "crm_query_locators",
        sa.Column("id", sa.String(18), nullable=False),
        sa.Column("soql", sa.Text(), nullable=False),
        sa.Column("include_deleted", sa.Boolean(), nullable=False),
        sa.Column("batch_size", sa.Integer(), nullable=False),
        sa.Column("total_size", sa.Integer(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_query_locators")),
    )
    op.create_index(op.f("ix_crm_query_locators_expires_at"), "crm_query_locators", ["expires_at"])


def downgrade() -> None:
    op.drop_table("crm_query_locators")
    op.drop_table("crm_id_sequences")
    op.drop_table("crm_tasks")
    op.drop_table("crm_contacts")
    op.drop_table("crm_accounts")
