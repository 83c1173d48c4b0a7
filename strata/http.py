"""HTTP clients between layers.

Every layer calls the one below over HTTP through an ``httpx.AsyncClient`` whose transport is
injected: ``httpx.ASGITransport`` in the embedded default (the callee is an app in this
process), the network in split mode. The code that calls is the same either way, and tests
pass their own transport instead of patching anything.
"""

from __future__ import annotations

import httpx

from strata.context import current_request_id, current_traceparent


async def _propagate_context(request: httpx.Request) -> None:
    request_id = current_request_id()
    if request_id and "x-request-id" not in request.headers:
        request.headers["X-Request-ID"] = request_id
    traceparent = current_traceparent()
    if traceparent and "traceparent" not in request.headers:
        request.headers["traceparent"] = traceparent


def layer_client(
    base_url: str,
    transport: httpx.AsyncBaseTransport | None = None,
    *,
    timeout: float = 10.0,
    headers: dict[str, str] | None = None,
) -> httpx.AsyncClient:
    """A client for calls to another layer (or a backend), carrying the request id and trace."""
    return httpx.AsyncClient(
        base_url=base_url,
        transport=transport,
        timeout=timeout,
        headers=headers,
        event_hooks={"request": [_propagate_context]},
    )


def in_process(app: object) -> httpx.ASGITransport:
    """A transport that calls an ASGI app in this process, as if over the network.

    App exceptions are not re-raised to the caller: like a real server, the app answers 500.
    """
    return httpx.ASGITransport(app=app, raise_app_exceptions=False)  # type: ignore[arg-type]
