"""Fault injection for the backend stand-ins: latency, an error rate, a full outage, junk bodies.

Set from the start by settings (``STRATA_CRM__FAULTS__ERROR_RATE=0.2``) or at run time through
each backend's admin endpoint ``/_admin/faults`` (GET to read, PUT to set, DELETE to clear).
Each backend answers errors in its own product's format, so the fault middleware takes the
native error body from the backend.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass

from fastapi import APIRouter
from starlette.types import ASGIApp, Receive, Scope, Send

from strata.settings import FaultSettings

ADMIN_PATH = "/_admin/faults"


@dataclass(frozen=True)
class NativeError:
    """How the product itself answers a failure: status, content type and body."""

    content_type: str
    body: bytes


class FaultState:
    """The faults in force for one backend; shared by its middleware and its admin endpoint."""

    def __init__(
        self,
        initial: FaultSettings | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = initial or FaultSettings()
        self.rng = rng or random.Random()

    def set(self, settings: FaultSettings) -> None:
        self.settings = settings

    def clear(self) -> None:
        self.settings = FaultSettings()

    def roll(self, rate: float) -> bool:
        return rate > 0 and self.rng.random() < rate


class FaultInjectionMiddleware:
    """Pure ASGI: applies the faults in force before the backend sees the request."""

    def __init__(
        self,
        app: ASGIApp,
        state: FaultState,
        *,
        server_error: NativeError,
        junk: NativeError,
    ) -> None:
        self.app = app
        self.state = state
        self.server_error = server_error
        self.junk = junk

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].endswith(ADMIN_PATH):
            await self.app(scope, receive, send)
            return
        faults = self.state.settings
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        if faults.outage:
            await _answer(
                send,
                503,
                NativeError(
                    "text/html",
                    b"<html><body><h1>503 Service Unavailable</h1></body></html>",
                ),
                extra=[(b"retry-after", b"30")],
            )
        elif self.state.roll(faults.error_rate):
            await _answer(send, 500, self.server_error)
        elif self.state.roll(faults.junk_rate):
            await _answer(send, 200, self.junk)
        else:
            await self.app(scope, receive, send)


async def _answer(
    send: Send,
    status: int,
    error: NativeError,
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    headers = [
        (b"content-type", error.content_type.encode()),
        (b"content-length", str(len(error.body)).encode()),
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": error.body})


def fault_admin_router(state: FaultState) -> APIRouter:
    router = APIRouter(prefix=ADMIN_PATH, tags=["fault injection"])

    @router.get("", summary="Faults in force")
    async def read_faults() -> FaultSettings:
        return state.settings

    @router.put("", summary="Set the faults to inject")
    async def set_faults(faults: FaultSettings) -> FaultSettings:
        state.set(faults)
        return state.settings

    @router.delete("", summary="Stop injecting faults")
    async def clear_faults() -> FaultSettings:
        state.clear()
        return state.settings

    return router
