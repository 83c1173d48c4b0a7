"""Calling an API that runs in this process: its ASGI app, directly, with a rewritten scope.

No socket and no copy of the body: the app streams into the client's ``send`` itself. The
app sees the route's prefix appended to ``root_path`` and the full ``path``, exactly as
Starlette's ``Mount`` hands a request to a mounted app: that is the ASGI convention the
Starlette and FastAPI versions used here follow (``path`` includes ``root_path``), so the
app routes on the rest of the path and still builds its URLs (``url_for``, ``request.url``,
next-page links) with the prefix in them. A ``path`` stripped of the prefix would make those
URLs point outside the API.
"""

from __future__ import annotations

import asyncio

import structlog
from starlette.types import ASGIApp, Message, Receive

from gateway.proxy.exchange import Exchange
from gateway.proxy.problems import send_problem
from gateway.proxy.upstream import Target

log = structlog.get_logger(__name__)


async def call_inproc(target: Target, exchange: Exchange) -> int:
    """Runs the request through ``target.app``; returns the status it answered with."""
    app: ASGIApp | None = target.app
    assert app is not None
    scope = exchange.scope
    child = dict(scope)
    child["root_path"] = scope.get("root_path", "") + exchange.runtime.prefix

    status = 0
    extra = exchange.extra_headers

    async def relay(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            if extra:
                message["headers"] = [*message.get("headers", ()), *extra]
        await exchange.send(message)

    breaker = target.breaker
    try:
        await app(child, _receive_for(exchange), relay)
    except asyncio.CancelledError:
        breaker.abandoned()
        raise
    except Exception:
        breaker.failed()
        log.exception("in-process API failed", api=exchange.runtime.route.name)
        if status:
            return status
        return await send_problem(
            exchange.send,
            500,
            "Internal error",
            "The API failed to handle this request; it has been logged.",
            kind="internal",
            instance=scope.get("path"),
            headers=extra,
        )
    if status >= 500:
        breaker.failed()
    else:
        breaker.succeeded()
    return status


def _receive_for(exchange: Exchange) -> Receive:
    """The client's ``receive``, or one that replays the body the gateway already read."""
    body = exchange.body
    if body is None:
        return exchange.receive
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await exchange.receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
