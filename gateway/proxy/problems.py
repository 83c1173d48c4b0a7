"""problem+json responses sent straight over ASGI (the data path has no framework)."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import Send

from gateway.proxy.hooks import RawHeaders
from strata.errors import PROBLEM_JSON, Problem, problem_body

_CONTENT_TYPE = (b"content-type", PROBLEM_JSON.encode())


async def send_problem(
    send: Send,
    status: int,
    title: str,
    detail: str | None = None,
    *,
    kind: str,
    instance: str | None = None,
    headers: RawHeaders = (),
    **extensions: Any,
) -> int:
    """Sends a complete problem+json response; returns its status for the metrics."""
    body = json.dumps(
        problem_body(status, title, detail, kind=kind, instance=instance, **extensions)
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                _CONTENT_TYPE,
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
    return status


async def send_refusal(
    send: Send, problem: Problem, instance: str, headers: RawHeaders = ()
) -> int:
    """Sends a :class:`Problem` raised by a hook, with its own headers."""
    own = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in problem.headers.items()]
    return await send_problem(
        send,
        problem.status,
        problem.title,
        problem.detail,
        kind=problem.kind,
        instance=instance,
        headers=[*own, *headers],
        **problem.extensions,
    )
