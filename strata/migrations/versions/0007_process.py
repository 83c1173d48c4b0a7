"""The process layer's tables: durable flows (with their steps and events), orders placed
through the order-to-invoice process, and their Idempotency-Keys.

Revision ID: 0007
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("process",)
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)
_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_FLOW_STATUSES = "'pending', 'running', 'succeeded', 'failed', 'compensating', 'compensated', "
_FLOW_STATUSES += "'cancelled'"


def _flows() -> None:
    op.create_table(
        "process_flows",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("input", sa.JSON(), nullable=False),
        sa.Column("failure", sa.JSON(), nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("resumes", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.Column("lease_expires_at", _TIME, nullable=True),
        sa.Column("next_attempt_at", _TIME, nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.Column("finished_at", _TIME, nullable=True),
        sa.CheckConstraint(f"status IN ({_FLOW_STATUSES})", name="ck_process_flows_status"),
        sa.PrimaryKeyConstraint("id", name="pk_process_flows"),
    )
    op.create_index("ix_process_flows_due", "process_flows", ["next_attempt_at", "status"])

    op.create_table(
        "process_flow_steps",
        sa.Column("flow_id", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("started_at", _TIME, nullable=True),
        sa.Column("finished_at", _TIME, nullable=True),
        sa.Column("output", sa.JSON(), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("compensation", sa.String(16), nullable=True),
        sa.Column("compensation_attempts", sa.Integer(), nullable=False),
        sa.Column("compensated_at", _TIME, nullable=True),
        sa.Column("compensation_error", sa.JSON(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'running', 'succeeded', 'failed')",
            name="ck_process_flow_steps_status",
        ),
        sa.CheckConstraint(
            "compensation IN ('pending', 'running', 'compensated', 'failed')",
            name="ck_process_flow_steps_compensation",
        ),
        sa.ForeignKeyConstraint(
            ["flow_id"],
            ["process_flows.id"],
            name="fk_process_flow_steps_flow_id_process_flows",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("flow_id", "position", name="pk_process_flow_steps"),
    )

    op.create_table(
        "process_flow_events",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("flow_id", sa.String(64), nullable=False),
        sa.Column("at", _TIME, nullable=False),
        sa.Column("step", sa.String(64), nullable=True),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Float(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["flow_id"],
            ["process_flows.id"],
            name="fk_process_flow_events_flow_id_process_flows",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_process_flow_events"),
    )
    op.create_index("ix_process_flow_events_flow_id", "process_flow_events", ["flow_id"])


def _orders() -> None:
    op.create_table(
        "process_orders",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("client", sa.String(200), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("location_id", sa.String(64), nullable=False),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("amount_paid", sa.Numeric(18, 4), nullable=False),
        sa.Column("paid_at", _TIME, nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["id"],
            ["process_flows.id"],
            name="fk_process_orders_id_process_flows",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_process_orders"),
    )
    op.create_index("ix_process_orders_client", "process_orders", ["client"])
    op.create_index("ix_process_orders_customer_id", "process_orders", ["customer_id"])
    op.create_index("ix_process_orders_created_at", "process_orders", ["created_at"])

    op.create_table(
        "process_idempotency_keys",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("client", sa.String(200), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.JSON(), nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("expires_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["process_orders.id"],
            name="fk_process_idempotency_keys_order_id_process_orders",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_process_idempotency_keys"),
        sa.UniqueConstraint("client", "key", name="uq_process_idempotency_keys_client"),
    )
    op.create_index(
        "ix_process_idempotency_keys_order_id", "process_idempotency_keys", ["order_id"]
    )
    op.create_index(
        "ix_process_idempotency_keys_expires_at", "process_idempotency_keys", ["expires_at"]
    )


def upgrade() -> None:
    _flows()
    _orders()


def downgrade() -> None:
    op.drop_table("process_idempotency_keys")
    op.drop_table("process_orders")
    op.drop_table("process_flow_events")
    op.drop_table("process_flow_steps")
    op.drop_table("process_flows")
