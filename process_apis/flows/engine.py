"""The saga engine: drives a flow's steps in order, durably, and undoes them when one fails.

Every state change (a step starting, each attempt, its output, its failure, each
compensation) is committed before the engine moves on, so a process that dies anywhere
leaves a flow that another runner resumes where it stopped once the lease expires: a step
found ``running`` is run again (steps are idempotent), a flow found ``compensating`` goes on
undoing.

- A compensatable or pivot step that fails for good (a permanent error, or a transient one
  after its attempts) turns the flow to ``compensating``: every started step that can be
  undone is undone, in reverse order, each compensation retried. All undone: the flow is
  ``compensated`` (or ``cancelled`` when someone asked for it). A compensation that keeps
  failing leaves the flow ``compensating`` with a later ``next_attempt_at`` (or none after
  too many tries, or for a permanent refusal: then a person retries it).
- A retriable step (after the pivot) that fails parks the flow as ``failed`` with a later
  ``next_attempt_at`` when the error was transient; a retry goes on from that step.
- A cancel request is honoured between steps: the flow turns to ``compensating``.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import stamina
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from process_apis.flows.definition import (
    FlowDefinition,
    PermanentStepError,
    Step,
    StepContext,
    StepError,
    StepKind,
    TransientStepError,
)
from process_apis.flows.models import StepRecord
from process_apis.flows.store import FlowSnapshot, FlowStore, LeaseLost
from strata.db import Database, utcnow

log = structlog.get_logger(__name__)

AuthorizationProvider = Callable[[], Awaitable[str | None]]


@dataclass(frozen=True)
class RetryPolicy:
    """Waits between a step's attempts (in process) and between a parked flow's resumptions
    (by the background runner)."""

    wait_initial: float = 0.1
    wait_max: float = 2.0
    resume_initial: float = 2.0
    resume_max: float = 300.0
    max_resumes: int = 10

    def resume_delay(self, resumes: int) -> timedelta:
        return timedelta(seconds=min(self.resume_max, self.resume_initial * 2 ** max(resumes, 0)))


class UnknownFlowKind(Exception):
    pass


def _default_owner() -> str:
    return f"{socket.gethostname()[:24]}:{os.getpid()}"


async def _no_authorization() -> str | None:
    return None


class FlowEngine:
    def __init__(
        self,
        database: Database,
        definitions: Iterable[FlowDefinition],
        *,
        lease_seconds: float = 30.0,
        policy: RetryPolicy | None = None,
        background_authorization: AuthorizationProvider | None = None,
        owner: str | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = FlowStore(database, lease_seconds=lease_seconds, clock=clock)
        self.definitions = {definition.kind: definition for definition in definitions}
        self.policy = policy or RetryPolicy()
        self.background_authorization = background_authorization or _no_authorization
        self.owner = owner or _default_owner()
        self.lease_seconds = lease_seconds
        self.clock = clock

    def new_token(self) -> str:
        """A lease token naming this process, unique per run (so two tasks of one process
        never drive the same flow either)."""
        return f"{self.owner[:48]}/{secrets.token_hex(6)}"

    async def add(
        self,
        session: AsyncSession,
        kind: str,
        input: dict[str, Any],
        *,
        flow_id: str,
    ) -> str:
        """Adds a flow to the caller's transaction, leased to the caller; returns the lease
        token to pass to :meth:`drive` once the transaction is committed."""
        definition = self._definition(kind)
        token = self.new_token()
        await self.store.add_flow(
            session,
            flow_id=flow_id,
            kind=kind,
            input=input,
            step_names=[step.name for step in definition.steps],
            lease_token=token,
        )
        return token

    async def run(
        self,
        flow_id: str,
        authorization: str | None = None,
        *,
        resumed: bool = False,
    ) -> FlowSnapshot | None:
        """Takes the flow's lease and drives it as far as it goes; None when someone else
        holds it or it needs nothing."""
        token = self.new_token()
        if not await self.store.acquire(flow_id, token, resumed=resumed):
            return None
        if resumed:
            authorization = await self.background_authorization()
        return await self.drive(flow_id, token, authorization)

    async def drive(
        self, flow_id: str, token: str, authorization: str | None
    ) -> FlowSnapshot | None:
        """Drives a flow whose lease ``token`` holds, then lets the lease go."""
        heartbeat = asyncio.create_task(self._heartbeat(flow_id, token))
        try:
            await _Drive(self, flow_id, token, authorization).run()
        except LeaseLost:
            log.warning("flow lease lost; another runner has it", flow_id=flow_id)
        finally:
            heartbeat.cancel()
            await asyncio.gather(heartbeat, return_exceptions=True)
            await self.store.release(flow_id, token)
        return await self.store.load(flow_id)

    async def _heartbeat(self, flow_id: str, token: str) -> None:
        # Fenced writes extend the lease too; this covers a step that takes long.
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            if not await self.store.renew(flow_id, token):
                return

    def _definition(self, kind: str) -> FlowDefinition:
        try:
            return self.definitions[kind]
        except KeyError:
            raise UnknownFlowKind(kind) from None


class _Drive:
    """One runner's pass over one flow, under one lease."""

    def __init__(
        self, engine: FlowEngine, flow_id: str, token: str, authorization: str | None
    ) -> None:
        self.engine = engine
        self.store = engine.store
        self.policy = engine.policy
        self.flow_id = flow_id
        self.token = token
        self.authorization = authorization

    async def run(self) -> None:
        snapshot = await self._snapshot()
        definition = self.engine._definition(snapshot.flow.kind)
        flow = snapshot.flow
        if flow.status in ("pending", "running", "failed") and not flow.cancel_requested:
            await self._forward(definition)
            snapshot = await self._snapshot()
            flow = snapshot.flow
        undo = flow.status == "compensating" or (
            flow.cancel_requested and flow.status not in ("compensated", "cancelled")
        )
        if undo:
            await self._compensate(definition)

    async def _snapshot(self) -> FlowSnapshot:
        snapshot = await self.store.load(self.flow_id)
        assert snapshot is not None
        return snapshot

    # -- forward -------------------------------------------------------------------------

    async def _forward(self, definition: FlowDefinition) -> None:
        async with self.store.fenced(self.flow_id, self.token) as write:
            flow = await write.flow()
            write.event("resumed" if flow.status != "pending" else "started")
            flow.status = "running"
            flow.next_attempt_at = write.now
        snapshot = await self._snapshot()
        outputs = snapshot.outputs()
        for position, step in enumerate(definition.steps):
            if snapshot.steps[position].status == "succeeded":
                continue
            output = await self._run_step(step, position, snapshot, outputs)
            if output is None:
                return
            outputs[step.name] = output
        async with self.store.fenced(self.flow_id, self.token) as write:
            flow = await write.flow()
            flow.status = "succeeded"
            flow.failure = None
            flow.finished_at = write.now
            flow.next_attempt_at = None
            write.event("succeeded")

    async def _run_step(
        self,
        step: Step,
        position: int,
        snapshot: FlowSnapshot,
        outputs: dict[str, dict[str, Any]],
    ) -> dict[str, Any] | None:
        """Runs one step with its attempts; its output, or None when the flow stops here."""
        try:
            async for attempt in stamina.retry_context(
                on=TransientStepError,
                attempts=step.attempts,
                timeout=None,
                wait_initial=self.policy.wait_initial,
                wait_max=self.policy.wait_max,
            ):
                with attempt:
                    record = await self._begin_attempt(step, position)
                    if record is None:
                        return None
                    return await self._attempt(step, position, record, snapshot, outputs)
        except StepError as error:
            await self._step_failed(step, position, error)
            return None
        raise AssertionError("unreachable: stamina either returns or raises")

    async def _begin_attempt(self, step: Step, position: int) -> StepRecord | None:
        """Marks the attempt started; None when a cancel was asked for (the flow turns to
        undoing instead)."""
        async with self.store.fenced(self.flow_id, self.token) as write:
            flow = await write.flow()
            if flow.cancel_requested:
                flow.status = "compensating"
                write.event("cancelling", step=step.name)
                return None
            record = await write.step(position)
            record.status = "running"
            record.attempts += 1
            record.started_at = record.started_at or write.now
            write.event("step_started", step=step.name, attempt=record.attempts)
            return record

    async def _attempt(
        self,
        step: Step,
        position: int,
        record: StepRecord,
        snapshot: FlowSnapshot,
        outputs: dict[str, dict[str, Any]],
    ) -> dict[str, Any]:
        context = StepContext(
            flow_id=self.flow_id,
            input=snapshot.flow.input,
            outputs=outputs,
            output=dict(record.output or {}),
            authorization=self.authorization,
            attempt=record.attempts,
            last_error=record.error,
            _recorder=lambda output: self._record_output(position, output),
        )
        started = time.perf_counter()
        try:
            output = await step.run(context)
        except StepError as error:
            await self._attempt_failed(step, record.attempts, error, started)
            raise
        except LeaseLost:
            raise
        except Exception as exc:
            log.exception("flow step raised", flow_id=self.flow_id, step=step.name)
            internal = PermanentStepError(
                f"{step.name} failed unexpectedly ({type(exc).__name__})",
                {"title": "Internal error", "detail": f"{type(exc).__name__}"},
            )
            await self._attempt_failed(step, record.attempts, internal, started)
            raise internal from None
        await self._step_succeeded(step, position, record.attempts, output, started)
        return output

    async def _record_output(self, position: int, output: dict[str, Any]) -> None:
        async with self.store.fenced(self.flow_id, self.token) as write:
            record = await write.step(position)
            record.output = output

    async def _attempt_failed(
        self, step: Step, attempt: int, error: StepError, started: float
    ) -> None:
        async with self.store.fenced(self.flow_id, self.token) as write:
            write.event(
                "attempt_failed",
                step=step.name,
                attempt=attempt,
                duration_ms=_elapsed_ms(started),
                detail=error.describe(),
            )

    async def _step_succeeded(
        self,
        step: Step,
        position: int,
        attempt: int,
        output: dict[str, Any],
        started: float,
    ) -> None:
        async with self.store.fenced(self.flow_id, self.token) as write:
            record = await write.step(position)
            record.status = "succeeded"
            record.output = output
            record.error = None
            record.finished_at = write.now
            write.event(
                "step_succeeded", step=step.name, attempt=attempt, duration_ms=_elapsed_ms(started)
            )

    async def _step_failed(self, step: Step, position: int, error: StepError) -> None:
        async with self.store.fenced(self.flow_id, self.token) as write:
            record = await write.step(position)
            record.status = "failed"
            record.error = error.describe()
            record.finished_at = write.now
            flow = await write.flow()
            flow.failure = {"step": step.name, **error.describe()}
            write.event("step_failed", step=step.name, detail=error.describe())
            if step.kind is StepKind.RETRIABLE:
                flow.status = "failed"
                flow.next_attempt_at = self._next_attempt(write.now, flow.resumes, error)
                write.event("parked", step=step.name)
            else:
                flow.status = "compensating"
                flow.next_attempt_at = write.now
                write.event("compensating", step=step.name)

    def _next_attempt(self, now: datetime, resumes: int, error: StepError) -> datetime | None:
        if not error.transient or resumes >= self.policy.max_resumes:
            return None
        return now + self.policy.resume_delay(resumes)

    # -- backward ------------------------------------------------------------------------

    async def _compensate(self, definition: FlowDefinition) -> None:
        async with self.store.fenced(self.flow_id, self.token) as write:
            flow = await write.flow()
            if flow.status != "compensating":
                flow.status = "compensating"
                write.event("compensating")
        snapshot = await self._snapshot()
        outputs = snapshot.outputs()
        failures: list[StepError] = []
        for position in reversed(range(len(definition.steps))):
            step, record = definition.steps[position], snapshot.steps[position]
            if step.compensate is None or record.attempts == 0:
                continue
            if record.compensation == "compensated":
                continue
            error = await self._compensate_step(step, position, record, snapshot, outputs)
            if error is not None:
                failures.append(error)
        await self._finish_compensation(failures)

    async def _compensate_step(
        self,
        step: Step,
        position: int,
        record: StepRecord,
        snapshot: FlowSnapshot,
        outputs: dict[str, dict[str, Any]],
    ) -> StepError | None:
        assert step.compensate is not None
        compensate = step.compensate
        try:
            async for attempt in stamina.retry_context(
                on=TransientStepError,
                attempts=step.attempts,
                timeout=None,
                wait_initial=self.policy.wait_initial,
                wait_max=self.policy.wait_max,
            ):
                with attempt:
                    number = await self._begin_compensation(step, position)
                    context = StepContext(
                        flow_id=self.flow_id,
                        input=snapshot.flow.input,
                        outputs=outputs,
                        output=dict(record.output or {}),
                        authorization=self.authorization,
                        attempt=number,
                        last_error=record.error,
                    )
                    started = time.perf_counter()
                    try:
                        undone = await compensate(context)
                    except StepError as error:
                        await self._compensation_attempt_failed(step, number, error, started)
                        raise
                    except LeaseLost:
                        raise
                    except Exception as exc:
                        log.exception("compensation raised", flow_id=self.flow_id, step=step.name)
                        internal = PermanentStepError(
                            f"undoing {step.name} failed unexpectedly ({type(exc).__name__})"
                        )
                        await self._compensation_attempt_failed(step, number, internal, started)
                        raise internal from None
                    await self._compensated(step, position, number, started, undone)
                    return None
        except StepError as error:
            await self._compensation_failed(step, position, error)
            return error
        raise AssertionError("unreachable: stamina either returns or raises")

    async def _begin_compensation(self, step: Step, position: int) -> int:
        async with self.store.fenced(self.flow_id, self.token) as write:
            record = await write.step(position)
            record.compensation = "running"
            record.compensation_attempts += 1
            write.event(
                "compensation_started", step=step.name, attempt=record.compensation_attempts
            )
            return record.compensation_attempts

    async def _compensation_attempt_failed(
        self, step: Step, attempt: int, error: StepError, started: float
    ) -> None:
        async with self.store.fenced(self.flow_id, self.token) as write:
            write.event(
                "compensation_attempt_failed",
                step=step.name,
                attempt=attempt,
                duration_ms=_elapsed_ms(started),
                detail=error.describe(),
            )

    async def _compensated(
        self,
        step: Step,
        position: int,
        attempt: int,
        started: float,
        undone: dict[str, Any] | None,
    ) -> None:
        async with self.store.fenced(self.flow_id, self.token) as write:
            record = await write.step(position)
            if undone:
                record.output = {**(record.output or {}), "undone": undone}
            record.compensation = "compensated"
            record.compensation_error = None
            record.compensated_at = write.now
            write.event(
                "step_compensated",
                step=step.name,
                attempt=attempt,
                duration_ms=_elapsed_ms(started),
            )

    async def _compensation_failed(self, step: Step, position: int, error: StepError) -> None:
        async with self.store.fenced(self.flow_id, self.token) as write:
            record = await write.step(position)
            record.compensation = "failed"
            record.compensation_error = error.describe()
            write.event("compensation_failed", step=step.name, detail=error.describe())

    async def _finish_compensation(self, failures: list[StepError]) -> None:
        async with self.store.fenced(self.flow_id, self.token) as write:
            flow = await write.flow()
            if not failures:
                flow.status = "cancelled" if flow.cancel_requested else "compensated"
                flow.finished_at = write.now
                flow.next_attempt_at = None
                write.event(flow.status)
                return
            if all(error.transient for error in failures):
                flow.next_attempt_at = self._next_attempt(write.now, flow.resumes, failures[0])
            else:
                flow.next_attempt_at = None
            write.event(
                "compensation_incomplete",
                detail={"errors": [error.describe() for error in failures]},
            )


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
