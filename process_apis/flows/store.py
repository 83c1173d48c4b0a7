"""The flow engine's storage: leases, fenced writes and reads, on SQLite and PostgreSQL alike.

Leases are taken with one conditional UPDATE (``... WHERE lease_owner IS NULL OR
lease_expires_at < now``) checked by its row count, so of several processes racing for the
same flow exactly one wins, on either engine (PostgreSQL re-checks the condition after
waiting for a concurrent writer; SQLite serializes writers). Each write of a running flow
starts with an UPDATE fenced on the runner's lease token, which also extends the lease: a
runner that lost its lease finds out at its next write and stops.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from process_apis.flows.models import FlowEvent, FlowRecord, StepRecord
from strata.db import Database, utcnow

ACTIVE_STATUSES = ("pending", "running", "failed", "compensating")
TERMINAL_STATUSES = ("succeeded", "compensated", "cancelled")


class LeaseLost(Exception):
    """Another runner holds this flow now; the one that lost it must stop writing."""


@dataclass(frozen=True)
class FlowSnapshot:
    flow: FlowRecord
    steps: list[StepRecord]

    def outputs(self) -> dict[str, dict[str, Any]]:
        return {step.name: dict(step.output or {}) for step in self.steps}


def _rowcount(result: object) -> int:
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


def _lease_is_free(now: datetime) -> Any:
    return or_(FlowRecord.lease_owner.is_(None), FlowRecord.lease_expires_at < now)


def _wants_driving() -> Any:
    # A finished flow is only driven again to undo it (a cancel after it succeeded).
    return or_(
        FlowRecord.status.in_(ACTIVE_STATUSES),
        and_(FlowRecord.status == "succeeded", FlowRecord.cancel_requested.is_(True)),
    )


class FlowStore:
    def __init__(
        self,
        database: Database,
        *,
        lease_seconds: float = 30.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.database = database
        self.lease = timedelta(seconds=lease_seconds)
        self.clock = clock

    # -- creating and reading ------------------------------------------------------------

    async def add_flow(
        self,
        session: AsyncSession,
        *,
        flow_id: str,
        kind: str,
        input: dict[str, Any],
        step_names: Sequence[str],
        lease_token: str,
    ) -> None:
        """Adds a new flow, leased to ``lease_token``, to the caller's transaction: the flow
        exists exactly when whatever the caller writes beside it does."""
        now = self.clock()
        session.add(
            FlowRecord(
                id=flow_id,
                kind=kind,
                status="pending",
                input=input,
                cancel_requested=False,
                resumes=0,
                lease_owner=lease_token,
                lease_expires_at=now + self.lease,
                next_attempt_at=now,
                created_at=now,
                updated_at=now,
            )
        )
        # Flushed before the rows that refer to it: the unit of work does not order rows of
        # mappers without relationships by their foreign keys.
        await session.flush()
        for position, name in enumerate(step_names):
            session.add(
                StepRecord(
                    flow_id=flow_id,
                    position=position,
                    name=name,
                    status="pending",
                    attempts=0,
                    compensation_attempts=0,
                )
            )
        session.add(FlowEvent(flow_id=flow_id, at=now, event="created"))

    async def load(self, flow_id: str) -> FlowSnapshot | None:
        async with self.database.session() as session:
            return await self._load(session, flow_id)

    async def _load(self, session: AsyncSession, flow_id: str) -> FlowSnapshot | None:
        flow = await session.get(FlowRecord, flow_id)
        if flow is None:
            return None
        steps = await session.scalars(
            select(StepRecord).where(StepRecord.flow_id == flow_id).order_by(StepRecord.position)
        )
        return FlowSnapshot(flow, list(steps))

    async def events(self, flow_id: str) -> list[FlowEvent]:
        async with self.database.session() as session:
            rows = await session.scalars(
                select(FlowEvent).where(FlowEvent.flow_id == flow_id).order_by(FlowEvent.id)
            )
            return list(rows)

    # -- leases --------------------------------------------------------------------------

    async def acquire(self, flow_id: str, token: str, *, resumed: bool = False) -> bool:
        """Takes the lease of a flow that needs driving and that nobody else holds."""
        now = self.clock()
        values: dict[str, Any] = {
            "lease_owner": token,
            "lease_expires_at": now + self.lease,
            "updated_at": now,
        }
        if resumed:
            values["resumes"] = FlowRecord.resumes + 1
        statement = (
            update(FlowRecord)
            .where(FlowRecord.id == flow_id, _lease_is_free(now), _wants_driving())
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        async with self.database.session() as session:
            return _rowcount(await session.execute(statement)) == 1

    async def due(self, limit: int) -> list[str]:
        """Ids of flows a runner should pick up now (candidates: taking one still needs
        :meth:`acquire`)."""
        now = self.clock()
        statement = (
            select(FlowRecord.id)
            .where(
                FlowRecord.next_attempt_at.is_not(None),
                FlowRecord.next_attempt_at <= now,
                _lease_is_free(now),
                _wants_driving(),
            )
            .order_by(FlowRecord.next_attempt_at)
            .limit(limit)
        )
        async with self.database.session() as session:
            return list(await session.scalars(statement))

    async def renew(self, flow_id: str, token: str) -> bool:
        now = self.clock()
        statement = (
            update(FlowRecord)
            .where(FlowRecord.id == flow_id, FlowRecord.lease_owner == token)
            .values(lease_expires_at=now + self.lease)
            .execution_options(synchronize_session=False)
        )
        async with self.database.session() as session:
            return _rowcount(await session.execute(statement)) == 1

    async def release(self, flow_id: str, token: str) -> None:
        statement = (
            update(FlowRecord)
            .where(FlowRecord.id == flow_id, FlowRecord.lease_owner == token)
            .values(lease_owner=None, lease_expires_at=None)
            .execution_options(synchronize_session=False)
        )
        async with self.database.session() as session:
            await session.execute(statement)

    @asynccontextmanager
    async def fenced(self, flow_id: str, token: str) -> AsyncIterator[FencedWrite]:
        """One transaction of a runner that holds the lease; raises :class:`LeaseLost` (and
        writes nothing) when it no longer does. The fence also reads the flow's row (locked
        on PostgreSQL until the commit), so a cancel request is seen atomically."""
        now = self.clock()
        fence = (
            update(FlowRecord)
            .where(FlowRecord.id == flow_id, FlowRecord.lease_owner == token)
            .values(updated_at=now, lease_expires_at=now + self.lease)
            .returning(FlowRecord.status, FlowRecord.cancel_requested, FlowRecord.resumes)
        )
        async with self.database.session() as session:
            row = (await session.execute(fence)).one_or_none()
            if row is None:
                raise LeaseLost(flow_id)
            write = FencedWrite(session, flow_id, now, FlowState(*row))
            yield write
            await write.flush_events()

    # -- requests from outside the runner ------------------------------------------------

    async def request_cancel(self, flow_id: str) -> bool:
        """Flags a flow to be undone; false when it is already undone (or never existed)."""
        now = self.clock()
        statement = (
            update(FlowRecord)
            .where(
                FlowRecord.id == flow_id,
                FlowRecord.status.in_((*ACTIVE_STATUSES, "succeeded")),
            )
            .values(cancel_requested=True, next_attempt_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        async with self.database.session() as session:
            changed = _rowcount(await session.execute(statement)) == 1
            if changed:
                session.add(FlowEvent(flow_id=flow_id, at=now, event="cancel_requested"))
            return changed

    async def request_retry(self, flow_id: str) -> bool:
        """Makes a parked flow (failed, or stuck undoing) due now; false for any other."""
        now = self.clock()
        statement = (
            update(FlowRecord)
            .where(FlowRecord.id == flow_id, FlowRecord.status.in_(("failed", "compensating")))
            .values(next_attempt_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        async with self.database.session() as session:
            changed = _rowcount(await session.execute(statement)) == 1
            if changed:
                session.add(FlowEvent(flow_id=flow_id, at=now, event="retry_requested"))
            return changed


@dataclass(frozen=True)
class FlowState:
    """The flow's row as the fence found it."""

    status: str
    cancel_requested: bool
    resumes: int


@dataclass(frozen=True)
class StepStart:
    """A step attempt just marked as started."""

    attempts: int
    output: dict[str, Any] | None
    error: dict[str, Any] | None


class FencedWrite:
    """The writes a lease holder makes, all in the one fenced transaction (plain UPDATE and
    INSERT statements: this is the engine's hot path)."""

    def __init__(self, session: AsyncSession, flow_id: str, now: datetime, flow: FlowState):
        self.session = session
        self.flow_id = flow_id
        self.now = now
        self.flow = flow
        self._events: list[dict[str, Any]] = []

    async def set_flow(self, **values: Any) -> None:
        await self.session.execute(
            update(FlowRecord).where(FlowRecord.id == self.flow_id).values(**values)
        )

    def _step(self, position: int) -> Any:
        return update(StepRecord).where(
            StepRecord.flow_id == self.flow_id, StepRecord.position == position
        )

    async def set_step(self, position: int, **values: Any) -> None:
        await self.session.execute(self._step(position).values(**values))

    async def begin_step(self, position: int) -> StepStart:
        statement = (
            self._step(position)
            .values(
                status="running",
                attempts=StepRecord.attempts + 1,
                started_at=func.coalesce(StepRecord.started_at, self.now),
            )
            .returning(StepRecord.attempts, StepRecord.output, StepRecord.error)
        )
        return StepStart(*(await self.session.execute(statement)).one())

    async def begin_compensation(self, position: int) -> int:
        statement = (
            self._step(position)
            .values(
                compensation="running",
                compensation_attempts=StepRecord.compensation_attempts + 1,
            )
            .returning(StepRecord.compensation_attempts)
        )
        return int((await self.session.execute(statement)).scalar_one())

    def event(
        self,
        event: str,
        *,
        step: str | None = None,
        attempt: int | None = None,
        duration_ms: float | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        self._events.append(
            {
                "flow_id": self.flow_id,
                "at": self.now,
                "step": step,
                "event": event,
                "attempt": attempt,
                "duration_ms": duration_ms,
                "detail": detail,
            }
        )

    async def flush_events(self) -> None:
        if self._events:
            await self.session.execute(insert(FlowEvent), self._events)
            self._events.clear()
