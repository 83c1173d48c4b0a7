"""A flow's trace: every step with its times, attempts, errors, what it produced and how it
was undone, and the history of events in order. Shapes shared by every API built on flows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from process_apis.flows.definition import FlowDefinition
from process_apis.flows.models import FlowEvent, StepRecord
from process_apis.flows.store import FlowSnapshot


class CompensationTrace(BaseModel):
    status: str = Field(description="pending, running, compensated or failed")
    attempts: int
    compensated_at: datetime | None = None
    error: dict[str, Any] | None = None


class StepTrace(BaseModel):
    position: int
    name: str
    kind: str = Field(description="compensatable, pivot or retriable")
    status: str = Field(description="pending, running, succeeded or failed")
    attempts: int
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_ms: float | None = Field(
        default=None, description="Time spent in the step's attempts (not in waits between)"
    )
    output: dict[str, Any] | None = Field(default=None, description="The ids the step produced")
    error: dict[str, Any] | None = None
    compensation: CompensationTrace | None = None


class EventTrace(BaseModel):
    at: datetime
    event: str
    step: str | None = None
    attempt: int | None = None
    duration_ms: float | None = None
    detail: dict[str, Any] | None = None


class FlowTrace(BaseModel):
    flow_id: str
    kind: str
    status: str = Field(
        description="pending, running, succeeded, failed, compensating, compensated or cancelled"
    )
    cancel_requested: bool
    failure: dict[str, Any] | None = None
    resumes: int = Field(description="How many times a background runner picked the flow up")
    next_attempt_at: datetime | None = None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None
    steps: list[StepTrace]
    events: list[EventTrace]


def _step_durations(events: list[FlowEvent]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for event in events:
        if (
            event.step
            and event.duration_ms is not None
            and event.event
            in (
                "step_succeeded",
                "attempt_failed",
            )
        ):
            totals[event.step] = totals.get(event.step, 0.0) + event.duration_ms
    return totals


def _step_trace(
    record: StepRecord, definition: FlowDefinition | None, durations: dict[str, float]
) -> StepTrace:
    kind = definition.step(record.name).kind.value if definition else "unknown"
    compensation = None
    if record.compensation is not None:
        compensation = CompensationTrace(
            status=record.compensation,
            attempts=record.compensation_attempts,
            compensated_at=record.compensated_at,
            error=record.compensation_error,
        )
    return StepTrace(
        position=record.position,
        name=record.name,
        kind=kind,
        status=record.status,
        attempts=record.attempts,
        started_at=record.started_at,
        finished_at=record.finished_at,
        duration_ms=durations.get(record.name),
        output=record.output,
        error=record.error,
        compensation=compensation,
    )


def build_trace(
    snapshot: FlowSnapshot, events: list[FlowEvent], definition: FlowDefinition | None
) -> FlowTrace:
    flow = snapshot.flow
    durations = _step_durations(events)
    return FlowTrace(
        flow_id=flow.id,
        kind=flow.kind,
        status=flow.status,
        cancel_requested=flow.cancel_requested,
        failure=flow.failure,
        resumes=flow.resumes,
        next_attempt_at=flow.next_attempt_at,
        created_at=flow.created_at,
        updated_at=flow.updated_at,
        finished_at=flow.finished_at,
        steps=[_step_trace(step, definition, durations) for step in snapshot.steps],
        events=[
            EventTrace(
                at=event.at,
                event=event.event,
                step=event.step,
                attempt=event.attempt,
                duration_ms=event.duration_ms,
                detail=event.detail,
            )
            for event in events
        ],
    )
