"""The registry's tables: every API the gateway fronts, and the registry-wide revision."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from strata.db import Base, UTCDateTime, utcnow

REGISTRY_STATE_ID = 1


class ApiRecord(Base):
    """One registered API. ``revision`` is the registry revision of its last change."""

    __tablename__ = "gw_apis"
    __table_args__ = (
        CheckConstraint("layer IN ('system', 'process', 'experience')", name="layer"),
        CheckConstraint("version >= 1", name="version"),
        CheckConstraint("timeout_seconds > 0", name="timeout_seconds"),
        CheckConstraint("retries >= 0", name="retries"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(63), unique=True)
    layer: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="")
    targets: Mapped[list[str]] = mapped_column(JSON)
    timeout_seconds: Mapped[float] = mapped_column(Float)
    retries: Mapped[int] = mapped_column(Integer)
    read_scope: Mapped[str | None] = mapped_column(String(128))
    write_scope: Mapped[str | None] = mapped_column(String(128))
    rate_tier: Mapped[str | None] = mapped_column(String(64))
    openapi: Mapped[dict[str, Any]] = mapped_column(JSON)
    openapi_url: Mapped[str | None] = mapped_column(String(2048))
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    # No token needed: an explicit choice at registration, shown in the catalog and portal.
    public: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # What the upstream receives instead of the caller's token: {"mode": ..., options}.
    upstream_auth: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The browser origins that may call it cross-origin (none: no cross-origin access).
    cors_origins: Mapped[list[str] | None] = mapped_column(JSON, default=list)
    # The upstream's own credential, AES-GCM encrypted like the signing keys.
    upstream_secret_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    revision: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RegistryState(Base):
    """One row: the revision of the whole registry, bumped in the same transaction as every
    change, so gateways learn of a change with one cheap read."""

    __tablename__ = "gw_registry_state"
    __table_args__ = (CheckConstraint(f"id = {REGISTRY_STATE_ID}", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    revision: Mapped[int] = mapped_column(BigInteger)
