"""The CRM stand-in's storage: one table per Salesforce object, plus id sequences and the
server-side cursors (query locators) that page through large query results.

Columns are snake_case; the wire names (``BillingCity``, ``Active__c``...) live in
:mod:`system_apis.backends.crm.sobjects`. Deleting a record only flags it (``IsDeleted``), as
Salesforce moves it to the recycle bin.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from strata.db import Base, UTCDateTime


class CrmAccount(Base):
    __tablename__ = "crm_accounts"

    id: Mapped[str] = mapped_column(String(18), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), index=True)
    is_person_account: Mapped[bool] = mapped_column(Boolean, default=False)
    first_name: Mapped[str | None] = mapped_column(String(40))
    last_name: Mapped[str | None] = mapped_column(String(80))
    person_email: Mapped[str | None] = mapped_column(String(80))
    email: Mapped[str | None] = mapped_column(String(80))
    phone: Mapped[str | None] = mapped_column(String(40))
    industry: Mapped[str | None] = mapped_column(String(255))
    type: Mapped[str | None] = mapped_column(String(255))
    billing_street: Mapped[str | None] = mapped_column(String(255))
    billing_city: Mapped[str | None] = mapped_column(String(40))
    billing_state: Mapped[str | None] = mapped_column(String(80))
    billing_postal_code: Mapped[str | None] = mapped_column(String(20))
    billing_country: Mapped[str | None] = mapped_column(String(80))
    active: Mapped[str | None] = mapped_column(String(3))
    external_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_date: Mapped[datetime] = mapped_column(UTCDateTime())
    last_modified_date: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class CrmContact(Base):
    __tablename__ = "crm_contacts"

    id: Mapped[str] = mapped_column(String(18), primary_key=True)
    account_id: Mapped[str | None] = mapped_column(
        String(18), ForeignKey("crm_accounts.id"), index=True
    )
    first_name: Mapped[str | None] = mapped_column(String(40))
    last_name: Mapped[str] = mapped_column(String(80))
    email: Mapped[str | None] = mapped_column(String(80))
    phone: Mapped[str | None] = mapped_column(String(40))
    title: Mapped[str | None] = mapped_column(String(128))
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_date: Mapped[datetime] = mapped_column(UTCDateTime())
    last_modified_date: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class CrmTask(Base):
    __tablename__ = "crm_tasks"

    id: Mapped[str] = mapped_column(String(18), primary_key=True)
    what_id: Mapped[str | None] = mapped_column(
        String(18), ForeignKey("crm_accounts.id"), index=True
    )
    subject: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(40))
    type: Mapped[str | None] = mapped_column(String(40))
    activity_date: Mapped[date | None] = mapped_column(Date)
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    description: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_date: Mapped[datetime] = mapped_column(UTCDateTime())
    last_modified_date: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class CrmIdSequence(Base):
    """The last record number handed out per key prefix (ids are never reused)."""

    __tablename__ = "crm_id_sequences"

    key_prefix: Mapped[str] = mapped_column(String(3), primary_key=True)
    last_number: Mapped[int] = mapped_column(BigInteger)


class CrmQueryLocator(Base):
    """A query whose results did not fit in one batch; ``GET query/<id>-<n>`` reads on."""

    __tablename__ = "crm_query_locators"

    id: Mapped[str] = mapped_column(String(18), primary_key=True)
    soql: Mapped[str] = mapped_column(Text)
    include_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    batch_size: Mapped[int] = mapped_column(Integer)
    total_size: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
