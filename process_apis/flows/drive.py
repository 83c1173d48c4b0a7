"""One runner's pass over one flow, under one lease: forward through the steps, and back
through the compensations when the flow must be undone.

Every transition is committed before the work it announces starts. To keep that cheap, a
step's success and the start of the next step (or the end of the flow) share one
transaction: nothing happens outside the database between the two.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import stamina
import structlog

from process_apis.flows.definition import (
    FlowDefinition,
    PermanentStepError,
    Step,
    StepContext,
    StepError,
    StepKind,
    TransientStepError,
)
from process_apis.flows.store import FencedWrite, FlowSnapshot, LeaseLost, StepStart

if TYPE_CHECKING:
    from process_apis.flows.engine import FlowEngine

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class _Next:
    """The step to start once the current one has succeeded (None: the flow is done)."""

    step: Step | None
    position: int


class _Cancelled(Exception):
    """A cancel request was found where the next step would have started."""


class Drive:
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
        definition = self.engine.definition(snapshot.flow.kind)
        flow = snapshot.flow
        status = flow.status
        if status in ("pending", "running", "failed") and not flow.cancel_requested:
            status = await self._forward(definition, snapshot)
        if status == "compensating" or (
            flow.cancel_requested and status not in ("compensated", "cancelled")
        ):
            await self._compensate(definition)

    async def _snapshot(self) -> FlowSnapshot:
        snapshot = await self.store.load(self.flow_id)
        assert snapshot is not None
        return snapshot

    # -- forward -------------------------------------------------------------------------

    async def _forward(self, definition: FlowDefinition, snapshot: FlowSnapshot) -> str:
        """Runs every step not yet done; the status the flow is left in."""
        todo = [
            (position, step)
            for position, step in enumerate(definition.steps)
            if snapshot.steps[position].status != "succeeded"
        ]
        outputs = snapshot.outputs()
        async with self.store.fenced(self.flow_id, self.token) as write:
            write.event("resumed" if snapshot.flow.status != "pending" else "started")
            await write.set_flow(status="running", next_attempt_at=write.now)
            if not todo:
                await self._finish(write)
                return "succeeded"
            begun: StepStart | None = await self._begin(write, todo[0][1], todo[0][0])
        if begun is None:
            return "compensating"
        for index, (position, step) in enumerate(todo):
            following = todo[index + 1] if index + 1 < len(todo) else (len(todo), None)
            after = _Next(following[1], following[0])
            try:
                output, begun = await self._run_step(
                    step, position, snapshot.flow.input, outputs, begun, after
                )
            except _Cancelled:
                return "compensating"
            except StepError as error:
                return await self._step_failed(step, position, error)
            outputs[step.name] = output
        return "succeeded"

    async def _begin(self, write: FencedWrite, step: Step, position: int) -> StepStart | None:
        """Marks an attempt of ``step`` started; None when a cancel came first (the flow
        turns to undoing; the caller stops once this transaction is committed)."""
        if write.flow.cancel_requested:
            await write.set_flow(status="compensating")
            write.event("cancelling", step=step.name)
            return None
        start = await write.begin_step(position)
        write.event("step_started", step=step.name, attempt=start.attempts)
        return start

    async def _finish(self, write: FencedWrite) -> None:
        await write.set_flow(
            status="succeeded", failure=None, finished_at=write.now, next_attempt_at=None
        )
        write.event("succeeded")

    async def _run_step(
        self,
        step: Step,
        position: int,
        flow_input: Mapping[str, Any],
        outputs: dict[str, dict[str, Any]],
        begun: StepStart | None,
        after: _Next,
    ) -> tuple[dict[str, Any], StepStart | None]:
        """Runs one step with its attempts: its output and the start of the next step;
        raises the error that failed it for good."""
        async for attempt in stamina.retry_context(
            on=TransientStepError,
            attempts=step.attempts,
            timeout=None,
            wait_initial=self.policy.wait_initial,
            wait_max=self.policy.wait_max,
        ):
            with attempt:
                start, begun = begun, None
                if start is None:
                    async with self.store.fenced(self.flow_id, self.token) as write:
                        start = await self._begin(write, step, position)
                    if start is None:
                        raise _Cancelled()
                return await self._attempt(step, position, start, flow_input, outputs, after)
        raise AssertionError("unreachable: stamina either returns or raises")

    async def _attempt(
        self,
        step: Step,
        position: int,
        start: StepStart,
        flow_input: Mapping[str, Any],
        outputs: dict[str, dict[str, Any]],
        after: _Next,
    ) -> tuple[dict[str, Any], StepStart | None]:
        context = StepContext(
            flow_id=self.flow_id,
            input=flow_input,
            outputs=outputs,
            output=dict(start.output or {}),
            authorization=self.authorization,
            attempt=start.attempts,
            last_error=start.error,
            _recorder=lambda output: self._record_output(position, output),
        )
        started = time.perf_counter()
        try:
            output = await step.run(context)
        except StepError as error:
            await self._attempt_failed(step, start.attempts, error, started)
            raise
        except LeaseLost:
            raise
        except Exception as exc:
            log.exception("flow step raised", flow_id=self.flow_id, step=step.name)
            internal = PermanentStepError(
                f"{step.name} failed unexpectedly ({type(exc).__name__})",
                {"title": "Internal error", "detail": type(exc).__name__},
            )
            await self._attempt_failed(step, start.attempts, internal, started)
            raise internal from None
        return output, await self._step_succeeded(
            step, position, start.attempts, output, started, after
        )

    async def _record_output(self, position: int, output: dict[str, Any]) -> None:
        async with self.store.fenced(self.flow_id, self.token) as write:
            await write.set_step(position, output=output)

    async def _attempt_failed(
        self,
        step: Step,
        attempt: int,
        error: StepError,
        started: float,
        event: str = "attempt_failed",
    ) -> None:
        async with self.store.fenced(self.flow_id, self.token) as write:
            write.event(
                event,
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
        after: _Next,
    ) -> StepStart | None:
        async with self.store.fenced(self.flow_id, self.token) as write:
            await write.set_step(
                position, status="succeeded", output=output, error=None, finished_at=write.now
            )
            write.event(
                "step_succeeded", step=step.name, attempt=attempt, duration_ms=_elapsed_ms(started)
            )
            if after.step is None:
                await self._finish(write)
                return None
            start = await self._begin(write, after.step, after.position)
        if start is None:
            raise _Cancelled()
        return start

    async def _step_failed(self, step: Step, position: int, error: StepError) -> str:
        async with self.store.fenced(self.flow_id, self.token) as write:
            await write.set_step(
                position, status="failed", error=error.describe(), finished_at=write.now
            )
            write.event("step_failed", step=step.name, detail=error.describe())
            failure = {"step": step.name, **error.describe()}
            if step.kind is StepKind.RETRIABLE:
                await write.set_flow(
                    status="failed",
                    failure=failure,
                    next_attempt_at=self._next_attempt(write.now, write.flow.resumes, [error]),
                )
                write.event("parked", step=step.name)
                return "failed"
            await write.set_flow(status="compensating", failure=failure, next_attempt_at=write.now)
            write.event("compensating", step=step.name)
            return "compensating"

    def _next_attempt(
        self, now: datetime, resumes: int, errors: list[StepError]
    ) -> datetime | None:
        """When a runner should try again by itself: never after a permanent refusal or
        too many tries (a person decides then)."""
        if not all(error.transient for error in errors) or resumes >= self.policy.max_resumes:
            return None
        return now + self.policy.resume_delay(resumes)

    # -- backward ------------------------------------------------------------------------

    async def _compensate(self, definition: FlowDefinition) -> None:
        async with self.store.fenced(self.flow_id, self.token) as write:
            if write.flow.status != "compensating":
                await write.set_flow(status="compensating")
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
            context = StepContext(
                flow_id=self.flow_id,
                input=snapshot.flow.input,
                outputs=outputs,
                output=dict(record.output or {}),
                authorization=self.authorization,
                attempt=0,
                last_error=record.error,
            )
            try:
                await self._compensate_step(step, position, context)
            except StepError as error:
                await self._compensation_failed(step, position, error)
                failures.append(error)
        await self._finish_compensation(failures)

    async def _compensate_step(self, step: Step, position: int, context: StepContext) -> None:
        assert step.compensate is not None
        async for attempt in stamina.retry_context(
            on=TransientStepError,
            attempts=step.attempts,
            timeout=None,
            wait_initial=self.policy.wait_initial,
            wait_max=self.policy.wait_max,
        ):
            with attempt:
                async with self.store.fenced(self.flow_id, self.token) as write:
                    context.attempt = await write.begin_compensation(position)
                    write.event("compensation_started", step=step.name, attempt=context.attempt)
                started = time.perf_counter()
                try:
                    undone = await step.compensate(context)
                except StepError as error:
                    await self._compensation_attempt_failed(step, context.attempt, error, started)
                    raise
                except LeaseLost:
                    raise
                except Exception as exc:
                    log.exception("compensation raised", flow_id=self.flow_id, step=step.name)
                    internal = PermanentStepError(
                        f"undoing {step.name} failed unexpectedly ({type(exc).__name__})"
                    )
                    await self._compensation_attempt_failed(
                        step, context.attempt, internal, started
                    )
                    raise internal from None
                await self._compensated(step, position, context, started, undone)

    async def _compensation_attempt_failed(
        self, step: Step, attempt: int, error: StepError, started: float
    ) -> None:
        await self._attempt_failed(step, attempt, error, started, "compensation_attempt_failed")

    async def _compensated(
        self,
        step: Step,
        position: int,
        context: StepContext,
        started: float,
        undone: dict[str, Any] | None,
    ) -> None:
        values: dict[str, Any] = {}
        if undone:
            values["output"] = {**context.output, "undone": undone}
        async with self.store.fenced(self.flow_id, self.token) as write:
            await write.set_step(
                position,
                compensation="compensated",
                compensation_error=None,
                compensated_at=write.now,
                **values,
            )
            write.event(
                "step_compensated",
                step=step.name,
                attempt=context.attempt,
                duration_ms=_elapsed_ms(started),
            )

    async def _compensation_failed(self, step: Step, position: int, error: StepError) -> None:
        async with self.store.fenced(self.flow_id, self.token) as write:
            await write.set_step(
                position, compensation="failed", compensation_error=error.describe()
            )
            write.event("compensation_failed", step=step.name, detail=error.describe())

    async def _finish_compensation(self, failures: list[StepError]) -> None:
        async with self.store.fenced(self.flow_id, self.token) as write:
            if not failures:
                status = "cancelled" if write.flow.cancel_requested else "compensated"
                await write.set_flow(status=status, finished_at=write.now, next_attempt_at=None)
                write.event(status)
                return
            await write.set_flow(
                next_attempt_at=self._next_attempt(write.now, write.flow.resumes, failures)
            )
            write.event(
                "compensation_incomplete",
                detail={"errors": [error.describe() for error in failures]},
            )


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
