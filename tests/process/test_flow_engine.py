"""The saga engine on its own: durable steps, retries, compensation, leases, resumption."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from process_apis.flows import (
    FlowDefinition,
    FlowEngine,
    FlowRunner,
    PermanentStepError,
    RetryPolicy,
    Step,
    StepContext,
    StepKind,
    TransientStepError,
    build_trace,
)
from process_apis.flows.models import FlowRecord
from strata.db import Database, utcnow

FAST = RetryPolicy(wait_initial=0.0, wait_max=0.0, resume_initial=0.01, resume_max=0.01)


class Recorder:
    """Steps that log what they do, and fail when told to."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self.failures: dict[str, list[Exception]] = {}
        self.blockers: dict[str, asyncio.Event] = {}
        self._seen: dict[str, asyncio.Event] = {}

    def note(self, line: str) -> None:
        self.log.append(line)
        self._seen.setdefault(line, asyncio.Event()).set()

    async def reached(self, line: str) -> None:
        await asyncio.wait_for(self._seen.setdefault(line, asyncio.Event()).wait(), 5)

    def fail(self, name: str, *errors: Exception) -> None:
        self.failures[name] = list(errors)

    def run(self, name: str) -> Callable[[StepContext], Any]:
        async def step(context: StepContext) -> dict[str, Any]:
            self.note(f"run {name}")
            if name in self.blockers:
                await self.blockers[name].wait()
            if self.failures.get(name):
                raise self.failures[name].pop(0)
            return {"made": f"{name}-{context.flow_id}", "attempt": context.attempt}

        return step

    def undo(self, name: str) -> Callable[[StepContext], Any]:
        async def compensate(context: StepContext) -> None:
            self.note(f"undo {name}")
            if self.failures.get(f"undo {name}"):
                raise self.failures[f"undo {name}"].pop(0)

        return compensate


def definition(recorder: Recorder) -> FlowDefinition:
    def step(name: str, kind: StepKind = StepKind.COMPENSATABLE, undo: bool = True) -> Step:
        return Step(name, recorder.run(name), recorder.undo(name) if undo else None, kind=kind)

    return FlowDefinition(
        "demo",
        steps=(
            step("check", undo=False),
            step("reserve"),
            step("bill"),
            step("commit", StepKind.PIVOT, undo=False),
            step("notify", StepKind.RETRIABLE),
        ),
    )


def make_engine(database: Database, recorder: Recorder, **options: Any) -> FlowEngine:
    return FlowEngine(database, [definition(recorder)], policy=FAST, **options)


async def start(engine: FlowEngine, flow_id: str = "flow-1") -> str:
    async with engine.store.database.session() as session:
        return await engine.add(session, "demo", {"order": 1}, flow_id=flow_id)


async def test_a_flow_runs_every_step_in_order_and_keeps_their_outputs(
    database: Database,
) -> None:
    recorder = Recorder()
    engine = make_engine(database, recorder)
    token = await start(engine)

    snapshot = await engine.drive("flow-1", token, None)

    assert snapshot is not None and snapshot.flow.status == "succeeded"
    assert recorder.log == ["run check", "run reserve", "run bill", "run commit", "run notify"]
    assert [s.status for s in snapshot.steps] == ["succeeded"] * 5
    assert snapshot.steps[1].output == {"made": "reserve-flow-1", "attempt": 1}
    assert snapshot.flow.lease_owner is None and snapshot.flow.next_attempt_at is None


async def test_transient_failures_are_retried_and_counted(database: Database) -> None:
    recorder = Recorder()
    recorder.fail("bill", TransientStepError("timeout"), TransientStepError("503"))
    engine = make_engine(database, recorder)

    snapshot = await engine.drive("flow-1", await start(engine), None)

    assert snapshot is not None and snapshot.flow.status == "succeeded"
    assert snapshot.steps[2].attempts == 3
    events = await engine.store.events("flow-1")
    failed = [e for e in events if e.event == "attempt_failed"]
    assert [(e.step, e.attempt) for e in failed] == [("bill", 1), ("bill", 2)]
    assert failed[0].detail is not None and failed[0].detail["transient"] is True


async def test_a_permanent_failure_undoes_started_steps_in_reverse(database: Database) -> None:
    recorder = Recorder()
    recorder.fail("bill", PermanentStepError("refused", {"status": 409}))
    engine = make_engine(database, recorder)

    snapshot = await engine.drive("flow-1", await start(engine), None)

    assert snapshot is not None and snapshot.flow.status == "compensated"
    assert recorder.log == ["run check", "run reserve", "run bill", "undo bill", "undo reserve"]
    steps = {s.name: s for s in snapshot.steps}
    assert steps["bill"].status == "failed" and steps["bill"].attempts == 1
    assert steps["reserve"].compensation == "compensated"
    assert steps["commit"].status == "pending"
    assert snapshot.flow.failure is not None and snapshot.flow.failure["step"] == "bill"
    assert snapshot.flow.failure["problem"] == {"status": 409}


async def test_transient_failures_that_last_fail_the_step_for_good(database: Database) -> None:
    recorder = Recorder()
    recorder.fail("reserve", *[TransientStepError("down") for _ in range(10)])
    engine = make_engine(database, recorder)

    snapshot = await engine.drive("flow-1", await start(engine), None)

    assert snapshot is not None and snapshot.flow.status == "compensated"
    assert snapshot.steps[1].attempts == 3
    assert recorder.log.count("run reserve") == 3
    assert recorder.log[-1] == "undo reserve"


async def test_an_undo_that_keeps_failing_is_retried_later(database: Database) -> None:
    recorder = Recorder()
    recorder.fail("bill", PermanentStepError("refused"))
    recorder.fail("undo reserve", *[TransientStepError("inventory down") for _ in range(3)])
    engine = make_engine(database, recorder)

    snapshot = await engine.drive("flow-1", await start(engine), None)

    assert snapshot is not None and snapshot.flow.status == "compensating"
    steps = {s.name: s for s in snapshot.steps}
    assert steps["bill"].compensation == "compensated"
    assert steps["reserve"].compensation == "failed"
    assert snapshot.flow.next_attempt_at is not None

    await asyncio.sleep(0.05)
    runner = FlowRunner(engine)
    assert await runner.run_due_once() == ["flow-1"]

    snapshot = await engine.store.load("flow-1")
    assert snapshot is not None and snapshot.flow.status == "compensated"
    assert recorder.log.count("undo bill") == 1
    assert snapshot.steps[1].compensation_attempts == 4
    assert snapshot.flow.resumes == 1


async def test_a_permanent_undo_failure_waits_for_a_person(database: Database) -> None:
    recorder = Recorder()
    recorder.fail("bill", PermanentStepError("refused"))
    recorder.fail("undo reserve", PermanentStepError("cannot release"))
    engine = make_engine(database, recorder)

    snapshot = await engine.drive("flow-1", await start(engine), None)

    assert snapshot is not None and snapshot.flow.status == "compensating"
    assert snapshot.flow.next_attempt_at is None
    assert await engine.store.request_retry("flow-1")
    snapshot = await engine.run("flow-1")
    assert snapshot is not None and snapshot.flow.status == "compensated"


async def test_after_the_pivot_a_failure_parks_the_flow_and_a_retry_finishes_it(
    database: Database,
) -> None:
    recorder = Recorder()
    recorder.fail("notify", *[TransientStepError("crm down") for _ in range(3)])
    engine = make_engine(database, recorder)

    snapshot = await engine.drive("flow-1", await start(engine), None)

    assert snapshot is not None and snapshot.flow.status == "failed"
    assert not any(line.startswith("undo") for line in recorder.log)
    assert snapshot.flow.next_attempt_at is not None

    assert await engine.store.request_retry("flow-1")
    snapshot = await engine.run("flow-1")
    assert snapshot is not None and snapshot.flow.status == "succeeded"
    assert recorder.log.count("run commit") == 1
    assert snapshot.steps[4].attempts == 4


async def test_a_cancel_undoes_a_finished_flow_including_retriable_steps(
    database: Database,
) -> None:
    recorder = Recorder()
    engine = make_engine(database, recorder)
    await engine.drive("flow-1", await start(engine), None)

    assert await engine.store.request_cancel("flow-1")
    snapshot = await engine.run("flow-1")

    assert snapshot is not None and snapshot.flow.status == "cancelled"
    undone = [line for line in recorder.log if line.startswith("undo")]
    assert undone == ["undo notify", "undo bill", "undo reserve"]
    assert not await engine.store.request_cancel("flow-1")


async def test_a_cancel_while_running_is_honoured_between_steps(database: Database) -> None:
    recorder = Recorder()
    recorder.blockers["reserve"] = asyncio.Event()
    engine = make_engine(database, recorder)
    token = await start(engine)
    running = asyncio.create_task(engine.drive("flow-1", token, None))
    await recorder.reached("run reserve")

    assert await engine.store.request_cancel("flow-1")
    assert await engine.run("flow-1") is None  # the lease is taken
    recorder.blockers["reserve"].set()
    snapshot = await running

    assert snapshot is not None and snapshot.flow.status == "cancelled"
    assert "run bill" not in recorder.log
    assert recorder.log[-1] == "undo reserve"


async def test_only_one_runner_drives_a_flow_at_a_time(database: Database) -> None:
    recorder = Recorder()
    engine = make_engine(database, recorder)
    token = await start(engine)
    await engine.store.release("flow-1", token)

    results = await asyncio.gather(*(engine.run("flow-1") for _ in range(8)))

    driven = [r for r in results if r is not None]
    assert len(driven) >= 1
    assert recorder.log.count("run check") == 1
    assert recorder.log.count("run notify") == 1


async def test_two_runners_on_one_database_never_drive_a_flow_twice(
    database: Database,
) -> None:
    recorder = Recorder()
    creator = make_engine(database, recorder)
    for number in range(12):
        flow_id = f"flow-{number}"
        await creator.store.release(flow_id, await start(creator, flow_id))
    here = FlowRunner(make_engine(database, recorder, owner="host-a:1"))
    there = FlowRunner(make_engine(database, recorder, owner="host-b:2"))

    await asyncio.gather(here.run_due_once(), there.run_due_once())

    assert recorder.log.count("run check") == 12
    assert recorder.log.count("run notify") == 12
    for number in range(12):
        snapshot = await creator.store.load(f"flow-{number}")
        assert snapshot is not None and snapshot.flow.status == "succeeded"
        assert snapshot.flow.resumes == 1


async def test_a_runner_that_lost_its_lease_stops_writing(database: Database) -> None:
    recorder = Recorder()
    recorder.blockers["reserve"] = asyncio.Event()
    engine = make_engine(database, recorder)
    token = await start(engine)
    running = asyncio.create_task(engine.drive("flow-1", token, None))
    await recorder.reached("run reserve")
    async with database.session() as session:
        await session.execute(
            update(FlowRecord).where(FlowRecord.id == "flow-1").values(lease_owner="thief/1")
        )

    recorder.blockers["reserve"].set()
    snapshot = await running

    assert snapshot is not None and snapshot.flow.lease_owner == "thief/1"
    assert snapshot.steps[1].status == "running"  # its success was never written
    assert "run bill" not in recorder.log


async def crash_mid_step(engine: FlowEngine, recorder: Recorder, step: str) -> None:
    """Runs a flow until ``step`` starts, then 'kills the process': the task is dropped and
    the lease is left behind as a dead process leaves it, already expired."""
    recorder.blockers[step] = asyncio.Event()
    token = await start(engine)
    running = asyncio.create_task(engine.drive("flow-1", token, None))
    await recorder.reached(f"run {step}")
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)
    async with engine.store.database.session() as session:
        await session.execute(
            update(FlowRecord)
            .where(FlowRecord.id == "flow-1")
            .values(lease_owner="dead-host:1/abc", lease_expires_at=utcnow() - timedelta(seconds=1))
        )
    del recorder.blockers[step]


async def test_a_new_runner_resumes_a_flow_a_dead_process_left_mid_step(
    database: Database,
) -> None:
    recorder = Recorder()
    await crash_mid_step(make_engine(database, recorder), recorder, "bill")
    snapshot = await make_engine(database, recorder).store.load("flow-1")
    assert snapshot is not None and snapshot.flow.status == "running"
    assert snapshot.steps[2].status == "running"

    async with FlowRunner(make_engine(database, recorder), poll_interval=0.01) as runner:
        for _ in range(200):
            snapshot = await runner.engine.store.load("flow-1")
            assert snapshot is not None
            if snapshot.flow.status == "succeeded":
                break
            await asyncio.sleep(0.02)

    assert snapshot.flow.status == "succeeded"
    assert recorder.log.count("run bill") == 2  # the interrupted step runs again
    assert recorder.log.count("run reserve") == 1  # the finished one does not
    assert snapshot.steps[2].attempts == 2
    assert snapshot.flow.resumes == 1
    assert any(e.event == "resumed" for e in await runner.engine.store.events("flow-1"))


async def test_a_new_runner_goes_on_undoing_what_a_dead_process_was_undoing(
    database: Database,
) -> None:
    recorder = Recorder()
    recorder.fail("bill", PermanentStepError("refused"))
    recorder.blockers["undo reserve"] = asyncio.Event()

    async def undo_blocking(context: StepContext) -> None:
        recorder.note("undo reserve")
        await recorder.blockers["undo reserve"].wait()

    blocking = FlowDefinition(
        "demo",
        tuple(
            Step(s.name, s.run, undo_blocking, kind=s.kind) if s.name == "reserve" else s
            for s in definition(recorder).steps
        ),
    )
    dying = FlowEngine(database, [blocking], policy=FAST)
    token = await start(dying)
    running = asyncio.create_task(dying.drive("flow-1", token, None))
    await recorder.reached("undo reserve")
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)
    async with database.session() as session:
        await session.execute(
            update(FlowRecord)
            .where(FlowRecord.id == "flow-1")
            .values(lease_owner="dead/1", lease_expires_at=utcnow() - timedelta(seconds=1))
        )

    runner = FlowRunner(make_engine(database, recorder))
    assert await runner.run_due_once() == ["flow-1"]

    snapshot = await runner.engine.store.load("flow-1")
    assert snapshot is not None and snapshot.flow.status == "compensated"
    assert recorder.log.count("undo bill") == 1
    assert recorder.log.count("undo reserve") == 2


async def test_a_live_lease_is_not_taken_over(database: Database) -> None:
    recorder = Recorder()
    engine = make_engine(database, recorder)
    await start(engine)  # leased to its creator, who is alive

    assert await FlowRunner(make_engine(database, recorder)).run_due_once() == []
    assert recorder.log == []


async def test_the_trace_shows_steps_attempts_errors_and_compensations(
    database: Database,
) -> None:
    recorder = Recorder()
    recorder.fail("bill", TransientStepError("slow"), PermanentStepError("no", {"status": 422}))
    engine = make_engine(database, recorder)
    snapshot = await engine.drive("flow-1", await start(engine), None)
    assert snapshot is not None

    trace = build_trace(snapshot, await engine.store.events("flow-1"), definition(recorder))

    bill = trace.steps[2]
    assert (bill.name, bill.kind, bill.status, bill.attempts) == (
        "bill",
        "compensatable",
        "failed",
        2,
    )
    assert bill.error is not None and bill.error["problem"] == {"status": 422}
    assert bill.compensation is not None and bill.compensation.status == "compensated"
    assert trace.steps[3].kind == "pivot" and trace.steps[4].kind == "retriable"
    events = [(e.event, e.step) for e in trace.events]
    assert events[0] == ("created", None)
    assert ("attempt_failed", "bill") in events
    assert events[-1] == ("compensated", None)


def test_a_definition_refuses_two_pivots_or_duplicate_names() -> None:
    async def noop(context: StepContext) -> dict[str, Any]:
        return {}

    with pytest.raises(ValueError, match="duplicate"):
        FlowDefinition("x", (Step("a", noop), Step("a", noop)))
    with pytest.raises(ValueError, match="pivot"):
        FlowDefinition(
            "x", (Step("a", noop, kind=StepKind.PIVOT), Step("b", noop, kind=StepKind.PIVOT))
        )
