"""The background runner: drives flows handed to it and picks up every flow that is due.

At start it looks for unfinished flows at once (those a dead process left behind are due as
soon as their lease expires), then polls. Several processes may run a runner against one
database: leases make sure each flow has one driver at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from types import TracebackType
from typing import Any

import structlog

from process_apis.flows.engine import FlowEngine

log = structlog.get_logger(__name__)

Housekeeping = tuple[float, Callable[[], Awaitable[object]]]


class FlowRunner:
    def __init__(
        self,
        engine: FlowEngine,
        *,
        poll_interval: float = 1.0,
        batch_size: int = 20,
        concurrency: int = 16,
        housekeeping: Sequence[Housekeeping] = (),
    ) -> None:
        self.engine = engine
        self.poll_interval = poll_interval
        self.batch_size = batch_size
        self._slots = asyncio.Semaphore(concurrency)
        self._housekeeping = list(housekeeping)
        self._last_housekeeping = [0.0 for _ in self._housekeeping]
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._loop_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._loop_task is None:
            self._loop_task = asyncio.create_task(self._loop(), name="flow-runner")

    async def aclose(self, grace_seconds: float = 5.0) -> None:
        """Stops polling, lets flows in progress finish for a while, then interrupts the
        rest (their leases are let go; another runner resumes them)."""
        if self._loop_task is not None:
            self._loop_task.cancel()
            await asyncio.gather(self._loop_task, return_exceptions=True)
            self._loop_task = None
        tasks = list(self._tasks.values())
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=grace_seconds)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def __aenter__(self) -> FlowRunner:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def submit(self, flow_id: str, token: str, authorization: str | None) -> asyncio.Task[None]:
        """Drives a flow whose lease the caller took (a flow just created) in the background."""
        return self._spawn(flow_id, self._drive(flow_id, token, authorization))

    async def run_due_once(self) -> list[str]:
        """Picks up every flow due now and waits until each has been driven as far as it
        goes; the ids of the flows picked up."""
        picked = await self._pick_up_due()
        await asyncio.gather(
            *(self._tasks[i] for i in picked if i in self._tasks), return_exceptions=True
        )
        return picked

    async def wait_idle(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)

    async def _loop(self) -> None:
        while True:
            try:
                await self._pick_up_due()
                await self._run_housekeeping()
            except Exception:
                log.exception("flow runner pass failed; trying again")
            await asyncio.sleep(self.poll_interval)

    async def _pick_up_due(self) -> list[str]:
        picked = []
        for flow_id in await self.engine.store.due(self.batch_size):
            if flow_id not in self._tasks:
                self._spawn(flow_id, self._resume(flow_id))
                picked.append(flow_id)
        return picked

    async def _run_housekeeping(self) -> None:
        now = asyncio.get_running_loop().time()
        for index, (every, job) in enumerate(self._housekeeping):
            if now - self._last_housekeeping[index] >= every:
                self._last_housekeeping[index] = now
                await job()

    def _spawn(self, flow_id: str, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(work, name=f"flow-{flow_id}")
        self._tasks[flow_id] = task

        def forget(done: asyncio.Task[None]) -> None:
            if self._tasks.get(flow_id) is done:
                del self._tasks[flow_id]
            if not done.cancelled() and done.exception() is not None:
                log.error("flow run failed", flow_id=flow_id, error=repr(done.exception()))

        task.add_done_callback(forget)
        return task

    async def _drive(self, flow_id: str, token: str, authorization: str | None) -> None:
        async with self._slots:
            await self.engine.drive(flow_id, token, authorization)

    async def _resume(self, flow_id: str) -> None:
        async with self._slots:
            await self.engine.run(flow_id, resumed=True)
