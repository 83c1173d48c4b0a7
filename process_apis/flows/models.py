"""Tables of the flow engine: one row per flow, one per step, and an append-only event log.

A flow row carries its lease (``lease_owner`` + ``lease_expires_at``): whoever holds an
unexpired lease is the only one allowed to drive the flow, and every write a runner makes is
fenced on its lease token, so a runner that lost its lease cannot write any more.
``next_attempt_at`` says when a runner should pick the flow up (null: nothing to do
without a person deciding).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from strata.db import Base, UTCDateTime

# SQLite only numbers rows by itself for a column declared exactly INTEGER PRIMARY KEY.
EventId = BigInteger().with_variant(Integer(), "sqlite")

FLOW_STATUSES = (
    "pending",
    "running",
    "succeeded",
    "failed",
    "compensating",
    "compensated",
    "cancelled",
)
STEP_STATUSES = ("pending", "running", "succeeded", "failed")
COMPENSATION_STATUSES = ("pending", "running", "compensated", "failed")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class FlowRecord(Base):
    __tablename__ = "process_flows"
    __table_args__ = (
        CheckConstraint(_one_of("status", FLOW_STATUSES), name="status"),
        Index("ix_process_flows_due", "next_attempt_at", "status"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    input: Mapped[dict[str, Any]] = mapped_column(JSON)
    failure: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    resumes: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class StepRecord(Base):
    __tablename__ = "process_flow_steps"
    __table_args__ = (
        CheckConstraint(_one_of("status", STEP_STATUSES), name="status"),
        CheckConstraint(_one_of("compensation", COMPENSATION_STATUSES), name="compensation"),
    )

    flow_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("process_flows.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    output: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    compensation: Mapped[str | None] = mapped_column(String(16))
    compensation_attempts: Mapped[int] = mapped_column(Integer, default=0)
    compensated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    compensation_error: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class FlowEvent(Base):
    """What happened to a flow, in order: the trace's history and the source of step timings."""

    __tablename__ = "process_flow_events"

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    flow_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("process_flows.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    step: Mapped[str | None] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(32))
    attempt: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[float | None] = mapped_column(Float)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
