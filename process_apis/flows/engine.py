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
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from process_apis.flows.definition import FlowDefinition
from process_apis.flows.drive import Drive
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
        definition = self.definition(kind)
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
            await Drive(self, flow_id, token, authorization).run()
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

    def definition(self, kind: str) -> FlowDefinition:
        try:
            return self.definitions[kind]
        except KeyError:
            raise UnknownFlowKind(kind) from None
