"""A small durable saga engine: flows of idempotent steps, each state change committed before
the next, leases so one runner drives a flow at a time, compensation in reverse order.

Use::

    definition = FlowDefinition("order_to_invoice", steps=(Step("reserve", run, undo), ...))
    engine = FlowEngine(database, [definition])
    async with database.session() as session:
        token = await engine.add(session, "order_to_invoice", {...}, flow_id=order_id)
        ...  # whatever else belongs to the same transaction
    snapshot = await engine.drive(order_id, token, authorization)   # in the request, or
    runner.submit(order_id, token, authorization)                   # in the background

A :class:`FlowRunner` started with the app resumes every unfinished flow (a process that
died mid-way leaves its flows to whoever finds their lease expired).
"""

from process_apis.flows.definition import (
    FlowDefinition,
    PermanentStepError,
    Step,
    StepContext,
    StepError,
    StepKind,
    TransientStepError,
)
from process_apis.flows.engine import FlowEngine, RetryPolicy
from process_apis.flows.runner import FlowRunner
from process_apis.flows.store import FlowSnapshot, FlowStore, LeaseLost
from process_apis.flows.trace import FlowTrace, build_trace

__all__ = [
    "FlowDefinition",
    "FlowEngine",
    "FlowRunner",
    "FlowSnapshot",
    "FlowStore",
    "FlowTrace",
    "LeaseLost",
    "PermanentStepError",
    "RetryPolicy",
    "Step",
    "StepContext",
    "StepError",
    "StepKind",
    "TransientStepError",
    "build_trace",
]
