"""Pure ASGI middleware shared by every layer (not BaseHTTPMiddleware: streaming passes)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from contextvars import ContextVar
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from strata import context
from strata.errors import PROBLEM_JSON, problem_body

REQUEST_ID_HEADER = b"x-request-id"
_TRACEPARENT = b"traceparent"
_SAFE_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")
_CONNECTION_CLOSE = (b"connection", b"close")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


class RequestContextMiddleware:
    """Gives every request an ``X-Request-ID`` and a ``traceparent``, binds them to the logs,
    and echoes the request id on the response. An unsafe incoming id is replaced, not trusted."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # structlog keeps each bound key in a ContextVar of its own; holding that variable
        # makes binding and unbinding one set/reset each instead of a lookup by name.
        self._log_request_id = _structlog_var("request_id")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming: bytes | None = None
        parent: bytes | None = None
        for key, value in scope.get("headers", ()):
            if key == REQUEST_ID_HEADER:
                if incoming is None:
                    incoming = value
            elif key == _TRACEPARENT and parent is None:
                parent = value
        request_id = (
            incoming.decode("latin-1")
            if incoming and _SAFE_REQUEST_ID.fullmatch(incoming)
            else context.new_request_id()
        )
        traceparent = context.new_traceparent(parent.decode("latin-1") if parent else None)
        tokens = context.bind(request_id, traceparent)
        log_token = self._log_request_id.set(request_id)
        echoed = (REQUEST_ID_HEADER, request_id.encode("latin-1"))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    pair for pair in message.get("headers", ()) if pair[0] != REQUEST_ID_HEADER
                ]
                headers.append(echoed)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._log_request_id.reset(log_token)
            context.reset(tokens)


def _structlog_var(key: str) -> ContextVar[Any]:
    """The ContextVar structlog's ``bind_contextvars`` uses for ``key`` (created if new)."""
    tokens = structlog.contextvars.bind_contextvars(**{key: None})
    var: ContextVar[Any] = tokens[key].var
    var.reset(tokens[key])
    return var


class BodySizeLimitMiddleware:
    """Refuses request bodies over ``max_bytes`` with 413, whether or not Content-Length is sent.

    The 413 says ``Connection: close``: the server then closes instead of reading the rest of
    the body to find the next request on the connection. So does any answer the app gives
    before it has read the body it was sent (a form reader's own, smaller limit; a refusal
    before the body is looked at), for the same reason.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, send)
            return

        received = 0
        response_started = False
        refused = False
        body_unread = bool(declared and declared != "0") or (
            _header(scope, b"transfer-encoding") is not None
        )

        # Past the limit, the 413 goes out at once and the app is told the client left:
        # frameworks turn errors raised while reading the body into their own 400s.
        async def limited_receive() -> Message:
            nonlocal received, refused, body_unread
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                body_unread = body_unread and bool(message.get("more_body"))
                if received > self.max_bytes:
                    refused = True
                    if not response_started:
                        await self._refuse(scope, send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if refused:
                return
            if message["type"] == "http.response.start":
                response_started = True
                if body_unread:
                    message["headers"] = _closing(message.get("headers", ()))
            await send(message)

        await self.app(scope, limited_receive, guarded_send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        body = json.dumps(
            problem_body(
                413,
                "Request body too large",
                f"The request body is larger than the limit of {self.max_bytes} bytes.",
                kind="body-too-large",
                instance=scope.get("path"),
                limit_bytes=self.max_bytes,
            )
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", PROBLEM_JSON.encode()),
                    (b"content-length", str(len(body)).encode()),
                    _CONNECTION_CLOSE,
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _closing(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """``headers`` with ``Connection: close`` in place of any Connection header."""
    return [pair for pair in headers if pair[0].lower() != b"connection"] + [_CONNECTION_CLOSE]


# For an HTML page that sets no policy of its own: nothing runs, loads or frames it.
DEFAULT_PAGE_POLICY = (
    b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
_PAGE_DEFAULTS = (
    (b"content-security-policy", DEFAULT_PAGE_POLICY),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
)


class PageHeadersMiddleware:
    """Fails closed for HTML pages: one answered without a Content-Security-Policy (a
    framework's default docs page, a stand-in's, an upstream's) gets the strictest policy,
    X-Frame-Options DENY and nosniff. The pages that need more set their own policy."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_defaults(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", ())
                if _is_html(headers):
                    message["headers"] = _with_page_defaults(headers)
            await send(message)

        await self.app(scope, receive, send_with_defaults)


def _is_html(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    return any(
        name.lower() == b"content-type" and value.lower().startswith(b"text/html")
        for name, value in headers
    )


def _with_page_defaults(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    given = list(headers)
    present = {name.lower() for name, _ in given}
    if b"content-security-policy" in present:
        return given
    return given + [pair for pair in _PAGE_DEFAULTS if pair[0] not in present]
