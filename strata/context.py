"""Per-request context (request id, trace parent) that follows a request down through the layers."""

from __future__ import annotations

import secrets
from contextvars import ContextVar

_request_id: ContextVar[str | None] = ContextVar("strata_request_id", default=None)
_traceparent: ContextVar[str | None] = ContextVar("strata_traceparent", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


def current_traceparent() -> str | None:
    return _traceparent.get()


def new_request_id() -> str:
    return secrets.token_hex(16)


def new_traceparent(parent: str | None = None) -> str:
    """A W3C traceparent for this hop: same trace id as ``parent`` when valid, a new span id."""
    trace_id = secrets.token_hex(16)
    flags = "01"
    if parent:
        parts = parent.split("-")
        if len(parts) == 4 and len(parts[1]) == 32 and parts[1] != "0" * 32:
            trace_id, flags = parts[1], parts[3]
    return f"00-{trace_id}-{secrets.token_hex(8)}-{flags}"


def bind(request_id: str | None, traceparent: str | None) -> tuple[object, object]:
    return _request_id.set(request_id), _traceparent.set(traceparent)


def reset(tokens: tuple[object, object]) -> None:
    _request_id.reset(tokens[0])  # type: ignore[arg-type]
    _traceparent.reset(tokens[1])  # type: ignore[arg-type]
