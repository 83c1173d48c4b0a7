"""How a flow is described: its steps, what each does, how each is undone, how failures count.

A step's ``run`` must be idempotent (it may run again after a crash or a lost answer: use
external ids derived from the flow id); its ``compensate`` must be idempotent too and must
cope with a partial or missing output (the step may have failed half-way).

Steps come in the three kinds of the saga pattern:

- ``COMPENSATABLE``: undone (in reverse order) when a later step fails for good;
- ``PIVOT``: the last step that may fail the flow; once it succeeds the flow goes forward only;
- ``RETRIABLE``: after the pivot; a failure parks the flow as ``failed`` and it is retried
  (in the background with backoff, or on request) rather than undone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class StepKind(StrEnum):
    COMPENSATABLE = "compensatable"
    PIVOT = "pivot"
    RETRIABLE = "retriable"


class StepError(Exception):
    """A step could not do its work. ``problem`` is a JSON-able description kept in the trace
    (an RFC 9457 body when the failure came from another API)."""

    transient = False

    def __init__(self, message: str, problem: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.problem: dict[str, Any] = dict(problem or {"detail": message})

    def describe(self) -> dict[str, Any]:
        return {"message": str(self), "transient": self.transient, "problem": self.problem}


class TransientStepError(StepError):
    """Worth trying again: a timeout, an outage, a 5xx."""

    transient = True


class PermanentStepError(StepError):
    """Trying again gives the same answer: bad input, out of stock, a refused transition."""


@dataclass
class StepContext:
    """What a step sees: the flow's input, the outputs of the steps before it, its own output
    so far (progress it recorded, or what it produced when it is being compensated), and the
    credentials to call other layers with."""

    flow_id: str
    input: Mapping[str, Any]
    outputs: Mapping[str, Mapping[str, Any]]
    output: dict[str, Any]
    authorization: str | None
    attempt: int
    last_error: Mapping[str, Any] | None = None
    _recorder: Callable[[dict[str, Any]], Awaitable[None]] | None = field(default=None, repr=False)

    async def record(self, output: dict[str, Any]) -> None:
        """Make progress durable before the step ends (e.g. each reservation as it is made),
        so a failure half-way still leaves what to undo."""
        self.output = dict(output)
        if self._recorder is not None:
            await self._recorder(self.output)


StepRun = Callable[[StepContext], Awaitable[dict[str, Any]]]
# A compensation may say what it did (kept in the step's output under "undone").
StepCompensation = Callable[[StepContext], Awaitable[dict[str, Any] | None]]


@dataclass(frozen=True)
class Step:
    name: str
    run: StepRun
    compensate: StepCompensation | None = None
    kind: StepKind = StepKind.COMPENSATABLE
    attempts: int = 3


@dataclass(frozen=True)
class FlowDefinition:
    kind: str
    steps: tuple[Step, ...]

    def __post_init__(self) -> None:
        names = [step.name for step in self.steps]
        if len(set(names)) != len(names):
            raise ValueError(f"flow {self.kind!r} has duplicate step names")
        kinds = [step.kind for step in self.steps]
        if StepKind.PIVOT in kinds and kinds.count(StepKind.PIVOT) > 1:
            raise ValueError(f"flow {self.kind!r} has more than one pivot step")

    def step(self, name: str) -> Step:
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(name)

    def position_of(self, name: str) -> int:
        return [step.name for step in self.steps].index(name)
