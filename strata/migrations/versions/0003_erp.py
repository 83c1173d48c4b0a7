"""ERP stand-in: customers, sales orders and lines, invoices, customer payments, numbering.

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("erp",)
depends_on: str | Sequence[str] | None = None

ORDER_STATUSES = "status IN ('A', 'B', 'C', 'D', 'E', 'F', 'G', 'H')"
INVOICE_STATUSES = "status IN ('A', 'B', 'V')"


def _stamps(*names: str) -> list[sa.Column[object]]:
    return [sa.Column(name, sa.DateTime(timezone=True), nullable=False) for name in names]


def upgrade() -> None:
    op.create_table(
        "erp_customers",
        sa.Column("internal_id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.String(32), nullable=False),
        sa.Column("external_id", sa.String(100), nullable=True),
        sa.Column("is_person", sa.Boolean(), nullable=False),
        sa.Column("company_name", sa.String(83), nullable=True),
        sa.Column("first_name", sa.String(32), nullable=True),
        sa.Column("last_name", sa.String(32), nullable=True),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("is_inactive", sa.Boolean(), nullable=False),
        sa.Column("addr1", sa.String(150), nullable=True),
        sa.Column("city", sa.String(50), nullable=True),
        sa.Column("state", sa.String(30), nullable=True),
        sa.Column("zip", sa.String(36), nullable=True),
        sa.Column("country", sa.String(2), nullable=True),
        *_stamps("date_created", "last_modified_date"),
        sa.PrimaryKeyConstraint("internal_id", name="pk_erp_customers"),
        sa.UniqueConstraint("entity_id", name="uq_erp_customers_entity_id"),
        sa.UniqueConstraint("external_id", name="uq_erp_customers_external_id"),
    )
    op.create_table(
        "erp_sales_orders",
        sa.Column("internal_id", sa.Integer(), nullable=False),
        sa.Column("tran_id", sa.String(32), nullable=False),
        sa.Column("external_id", sa.String(100), nullable=True),
        sa.Column("entity", sa.Integer(), nullable=False),
        sa.Column("tran_date", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(1), nullable=False),
        sa.Column("memo", sa.String(999), nullable=True),
        sa.Column("total", sa.BigInteger(), nullable=False),
        *_stamps("created_date", "last_modified_date"),
        sa.PrimaryKeyConstraint("internal_id", name="pk_erp_sales_orders"),
        sa.UniqueConstraint("tran_id", name="uq_erp_sales_orders_tran_id"),
        sa.UniqueConstraint("external_id", name="uq_erp_sales_orders_external_id"),
        sa.ForeignKeyConstraint(
            ["entity"],
            ["erp_customers.internal_id"],
            name="fk_erp_sales_orders_entity_erp_customers",
        ),
        sa.CheckConstraint(ORDER_STATUSES, name="ck_erp_sales_orders_status"),
    )
    op.create_index("ix_erp_sales_orders_entity", "erp_sales_orders", ["entity"])
    op.create_table(
        "erp_sales_order_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sales_order", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(60), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("rate", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_erp_sales_order_lines"),
        sa.UniqueConstraint("sales_order", "line", name="uq_erp_sales_order_lines_sales_order"),
        sa.ForeignKeyConstraint(
            ["sales_order"],
            ["erp_sales_orders.internal_id"],
            ondelete="CASCADE",
            name="fk_erp_sales_order_lines_sales_order_erp_sales_orders",
        ),
        sa.CheckConstraint("quantity > 0", name="ck_erp_sales_order_lines_quantity_positive"),
    )
    op.create_table(
        "erp_invoices",
        sa.Column("internal_id", sa.Integer(), nullable=False),
        sa.Column("tran_id", sa.String(32), nullable=False),
        sa.Column("external_id", sa.String(100), nullable=True),
        sa.Column("created_from", sa.Integer(), nullable=False),
        sa.Column("entity", sa.Integer(), nullable=False),
        sa.Column("tran_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(1), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("amount_paid", sa.BigInteger(), nullable=False),
        sa.Column("amount_remaining", sa.BigInteger(), nullable=False),
        *_stamps("created_date", "last_modified_date"),
        sa.PrimaryKeyConstraint("internal_id", name="pk_erp_invoices"),
        sa.UniqueConstraint("tran_id", name="uq_erp_invoices_tran_id"),
        sa.UniqueConstraint("external_id", name="uq_erp_invoices_external_id"),
        sa.ForeignKeyConstraint(
            ["created_from"],
            ["erp_sales_orders.internal_id"],
            name="fk_erp_invoices_created_from_erp_sales_orders",
        ),
        sa.ForeignKeyConstraint(
            ["entity"],
            ["erp_customers.internal_id"],
            name="fk_erp_invoices_entity_erp_customers",
        ),
        sa.CheckConstraint(INVOICE_STATUSES, name="ck_erp_invoices_status"),
        sa.CheckConstraint(
            "amount_remaining >= 0",
            name="ck_erp_invoices_amount_remaining_not_negative",
        ),
    )
    op.create_index("ix_erp_invoices_created_from", "erp_invoices", ["created_from"])
    op.create_index("ix_erp_invoices_entity", "erp_invoices", ["entity"])
    op.create_table(
        "erp_customer_payments",
        sa.Column("internal_id", sa.Integer(), nullable=False),
        sa.Column("tran_id", sa.String(32), nullable=False),
        sa.Column("external_id", sa.String(100), nullable=True),
        sa.Column("customer", sa.Integer(), nullable=False),
        sa.Column("applied_to", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("payment", sa.BigInteger(), nullable=False),
        sa.Column("tran_date", sa.Date(), nullable=False),
        *_stamps("created_date"),
        sa.PrimaryKeyConstraint("internal_id", name="pk_erp_customer_payments"),
        sa.UniqueConstraint("tran_id", name="uq_erp_customer_payments_tran_id"),
        sa.UniqueConstraint("external_id", name="uq_erp_customer_payments_external_id"),
        sa.ForeignKeyConstraint(
            ["customer"],
            ["erp_customers.internal_id"],
            name="fk_erp_customer_payments_customer_erp_customers",
        ),
        sa.ForeignKeyConstraint(
            ["applied_to"],
            ["erp_invoices.internal_id"],
            name="fk_erp_customer_payments_applied_to_erp_invoices",
        ),
        sa.CheckConstraint("payment > 0", name="ck_erp_customer_payments_payment_positive"),
    )
    op.create_index(
        "ix_erp_customer_payments_customer",
        "erp_customer_payments",
        ["customer"],
    )
    op.create_index(
        "ix_erp_customer_payments_applied_to",
        "erp_customer_payments",
        ["applied_to"],
    )
    op.create_table(
        "erp_numbering",
        sa.Column("record_type", sa.String(32), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("record_type", name="pk_erp_numbering"),
    )


def downgrade() -> None:
    op.drop_table("erp_numbering")
    op.drop_index("ix_erp_customer_payments_applied_to", table_name="erp_customer_payments")
    op.drop_index("ix_erp_customer_payments_customer", table_name="erp_customer_payments")
    op.drop_table("erp_customer_payments")
    op.drop_index("ix_erp_invoices_entity", table_name="erp_invoices")
    op.drop_index("ix_erp_invoices_created_from", table_name="erp_invoices")
    op.drop_table("erp_invoices")
    op.drop_table("erp_sales_order_lines")
    op.drop_index("ix_erp_sales_orders_entity", table_name="erp_sales_orders")
    op.drop_table("erp_sales_orders")
    op.drop_table("erp_customers")
