"""ERP stand-in tables: customers, sales orders and their lines, invoices, customer payments,
and the auto-generated document numbers (``SO-10001``, ``INV-10001``, ``CUST-00042``).

Amounts are exact: stored as whole ten-thousandths in a BIGINT (see :class:`ErpAmount`), so
sums and conditional ``amount_remaining - :payment`` updates run in SQL on every engine.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from strata.db import Base, UTCDateTime

AMOUNT_PLACES = 4
_SCALE = Decimal(10) ** AMOUNT_PLACES
# Far below BIGINT's limit at four places, so sums over many records cannot overflow either.
MAX_AMOUNT = Decimal("1000000000000")

ORDER_STATUS_CODES = "ABCDEFGH"
INVOICE_STATUS_CODES = "ABV"


class ErpAmount(TypeDecorator[Decimal]):
    """An exact decimal with up to four places, stored as an integer count of 1/10000.

    SQLite has no exact decimal type (NUMERIC becomes a float), so a scaled integer is the one
    representation that stays exact and still lets both engines add and compare in SQL.
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Any) -> int | None:
        if value is None:
            return None
        scaled = Decimal(value) * _SCALE
        if scaled != scaled.to_integral_value():
            raise ValueError(f"amount {value} has more than {AMOUNT_PLACES} decimal places")
        return int(scaled)

    def process_result_value(self, value: int | None, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        return Decimal(int(value)) / _SCALE


class ErpCustomer(Base):
    __tablename__ = "erp_customers"

    internal_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(32), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    is_person: Mapped[bool] = mapped_column(Boolean)
    company_name: Mapped[str | None] = mapped_column(String(83))
    first_name: Mapped[str | None] = mapped_column(String(32))
    last_name: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    is_inactive: Mapped[bool] = mapped_column(Boolean, default=False)
    addr1: Mapped[str | None] = mapped_column(String(150))
    city: Mapped[str | None] = mapped_column(String(50))
    state: Mapped[str | None] = mapped_column(String(30))
    zip: Mapped[str | None] = mapped_column(String(36))
    country: Mapped[str | None] = mapped_column(String(2))
    date_created: Mapped[datetime] = mapped_column(UTCDateTime())
    last_modified_date: Mapped[datetime] = mapped_column(UTCDateTime())


class ErpSalesOrder(Base):
    __tablename__ = "erp_sales_orders"
    __table_args__ = (CheckConstraint(f"status IN {tuple(ORDER_STATUS_CODES)}", name="status"),)

    internal_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tran_id: Mapped[str] = mapped_column(String(32), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    entity: Mapped[int] = mapped_column(ForeignKey("erp_customers.internal_id"), index=True)
    tran_date: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(1))
    memo: Mapped[str | None] = mapped_column(String(999))
    total: Mapped[Decimal] = mapped_column(ErpAmount())
    created_date: Mapped[datetime] = mapped_column(UTCDateTime())
    last_modified_date: Mapped[datetime] = mapped_column(UTCDateTime())

    customer: Mapped[ErpCustomer] = relationship(lazy="joined", innerjoin=True)
    lines: Mapped[list[ErpSalesOrderLine]] = relationship(
        order_by="ErpSalesOrderLine.line",
        lazy="selectin",
        cascade="all, delete-orphan",
    )


class ErpSalesOrderLine(Base):
    __tablename__ = "erp_sales_order_lines"
    __table_args__ = (
        UniqueConstraint("sales_order", "line"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sales_order: Mapped[int] = mapped_column(
        ForeignKey("erp_sales_orders.internal_id", ondelete="CASCADE"),
    )
    line: Mapped[int] = mapped_column(Integer)
    item: Mapped[str] = mapped_column(String(60))
    quantity: Mapped[int] = mapped_column(Integer)
    rate: Mapped[Decimal] = mapped_column(ErpAmount())
    amount: Mapped[Decimal] = mapped_column(ErpAmount())


class ErpInvoice(Base):
    __tablename__ = "erp_invoices"
    __table_args__ = (
        CheckConstraint(f"status IN {tuple(INVOICE_STATUS_CODES)}", name="status"),
        CheckConstraint("amount_remaining >= 0", name="amount_remaining_not_negative"),
    )

    internal_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tran_id: Mapped[str] = mapped_column(String(32), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    created_from: Mapped[int] = mapped_column(
        ForeignKey("erp_sales_orders.internal_id"),
        index=True,
    )
    entity: Mapped[int] = mapped_column(ForeignKey("erp_customers.internal_id"), index=True)
    tran_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(1))
    total: Mapped[Decimal] = mapped_column(ErpAmount())
    amount_paid: Mapped[Decimal] = mapped_column(ErpAmount())
    amount_remaining: Mapped[Decimal] = mapped_column(ErpAmount())
    created_date: Mapped[datetime] = mapped_column(UTCDateTime())
    last_modified_date: Mapped[datetime] = mapped_column(UTCDateTime())

    customer: Mapped[ErpCustomer] = relationship(lazy="joined", innerjoin=True)
    sales_order: Mapped[ErpSalesOrder] = relationship(lazy="joined", innerjoin=True)


class ErpCustomerPayment(Base):
    __tablename__ = "erp_customer_payments"
    __table_args__ = (CheckConstraint("payment > 0", name="payment_positive"),)

    internal_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tran_id: Mapped[str] = mapped_column(String(32), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    customer: Mapped[int] = mapped_column(ForeignKey("erp_customers.internal_id"), index=True)
    applied_to: Mapped[int] = mapped_column(ForeignKey("erp_invoices.internal_id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    payment: Mapped[Decimal] = mapped_column(ErpAmount())
    tran_date: Mapped[date] = mapped_column(Date)
    created_date: Mapped[datetime] = mapped_column(UTCDateTime())

    customer_record: Mapped[ErpCustomer] = relationship(lazy="joined", innerjoin=True)
    invoice: Mapped[ErpInvoice] = relationship(lazy="joined", innerjoin=True)


class ErpNumbering(Base):
    """The last document number issued per record type (the ERP's auto-generated numbers)."""

    __tablename__ = "erp_numbering"

    record_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)
