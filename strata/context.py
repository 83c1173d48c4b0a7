"""Per-request context (request id, trace parent) that follows a request down through the layers."""

from __future__ import annotations

import os
import re
from contextvars import ContextVar

_request_id: ContextVar[str | None] = ContextVar("strata_request_id", default=None)
_traceparent: ContextVar[str | None] = ContextVar("strata_traceparent", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


def current_traceparent() -> str | None:
    return _traceparent.get()


_NULL_TRACE_ID = "0" * 32
_TRACEPARENT = re.compile(r"[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-([0-9a-f]{2})")


# os.urandom is the CSPRNG behind ``secrets`` without its per-call wrappers; these run on
# every request.
def new_request_id() -> str:
    return os.urandom(16).hex()


def new_traceparent(parent: str | None = None) -> str:
    """A W3C traceparent for this hop: same trace id as ``parent`` when valid, a new span id."""
    valid = _TRACEPARENT.fullmatch(parent) if parent else None
    if valid and valid[1] != _NULL_TRACE_ID:
        return f"00-{valid[1]}-{os.urandom(8).hex()}-{valid[2]}"
    ids = os.urandom(24).hex()  # one call: a new trace id and the span id
    return f"00-{ids[:32]}-{ids[32:]}-01"


def bind(request_id: str | None, traceparent: str | None) -> tuple[object, object]:
    return _request_id.set(request_id), _traceparent.set(traceparent)


def reset(tokens: tuple[object, object]) -> None:
    _request_id.reset(tokens[0])  # type: ignore[arg-type]
    _traceparent.reset(tokens[1])  # type: ignore[arg-type]
