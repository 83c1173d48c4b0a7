"""Strong ETags for GET answers, and ``304 Not Modified`` when the client has them already.

A phone refreshing a screen sends the tag it holds in ``If-None-Match``; when the answer
is byte for byte the same it gets a 304 with no body. The tag is a hash of the exact body,
so it changes whenever anything in the answer does, and it needs no version kept anywhere.
Answers are per user, hence ``Cache-Control: private, no-cache`` (keep it, but ask every
time) and ``Vary: Authorization``.

Pure ASGI: only a GET answered 200 with JSON is buffered (to hash it); everything else,
including streamed bodies, passes through message by message, untouched.
"""

from __future__ import annotations

import hashlib
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CACHE_CONTROL = b"private, no-cache"
TAG_HEX_LENGTH = 32
# An entity tag, optionally weak (If-None-Match compares weakly, RFC 9110 section 13.1.2).
_ENTITY_TAG = re.compile(r'\s*(?:W/)?("[^"]*")\s*(?:,|$)')
_DROPPED_FROM_304 = frozenset({b"content-type", b"content-length", b"content-encoding"})
_REPLACED = frozenset({b"etag", b"cache-control"})


def entity_tag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:TAG_HEX_LENGTH] + '"'


def if_none_match_hits(header: str | None, tag: str) -> bool:
    """Whether ``If-None-Match: header`` names ``tag`` (or is ``*``)."""
    if header is None:
        return False
    if header.strip() == "*":
        return True
    position, listed = 0, []
    while position < len(header):
        match = _ENTITY_TAG.match(header, position)
        if match is None:
            return False  # not a list of tags: never a reason to withhold the body
        listed.append(match.group(1))
        position = match.end()
    return tag in listed


def _is_json(content_type: bytes) -> bool:
    media_type = content_type.split(b";", 1)[0].strip().lower()
    return media_type == b"application/json"


def _with_vary_authorization(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    varies = [value for name, value in headers if name == b"vary"]
    named = {part.strip().lower() for value in varies for part in value.split(b",")}
    if b"authorization" in named or b"*" in named:
        return headers
    return [*headers, (b"vary", b"Authorization")]


class _TaggingSend:
    """Holds back a GET's 200 JSON answer until its body is complete, then tags it."""

    def __init__(self, send: Send, if_none_match: str | None) -> None:
        self.send = send
        self.if_none_match = if_none_match
        self.start: Message | None = None
        self.chunks: list[bytes] = []

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = dict(message.get("headers", []))
            if (
                message["status"] == 200
                and _is_json(headers.get(b"content-type", b""))
                and b"etag" not in headers
            ):
                self.start = message
                return
        elif message["type"] == "http.response.body" and self.start is not None:
            self.chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                await self._finish(self.start, b"".join(self.chunks))
            return
        await self.send(message)

    async def _finish(self, start: Message, body: bytes) -> None:
        tag = entity_tag(body)
        headers = [
            (name, value)
            for name, value in (
                (bytes(name).lower(), bytes(value)) for name, value in start.get("headers", [])
            )
            if name not in _REPLACED
        ]
        headers = _with_vary_authorization(
            [*headers, (b"etag", tag.encode()), (b"cache-control", CACHE_CONTROL)]
        )
        if if_none_match_hits(self.if_none_match, tag):
            kept = [(name, value) for name, value in headers if name not in _DROPPED_FROM_304]
            await self.send({"type": "http.response.start", "status": 304, "headers": kept})
            await self.send({"type": "http.response.body", "body": b""})
            return
        await self.send({**start, "headers": headers})
        await self.send({"type": "http.response.body", "body": body})


class ETagMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        if_none_match = None
        for name, value in scope.get("headers", []):
            if name == b"if-none-match":
                # Several header lines are one comma-separated list.
                decoded = value.decode("latin-1")
                if_none_match = decoded if if_none_match is None else f"{if_none_match},{decoded}"
        await self.app(scope, receive, _TaggingSend(send, if_none_match))
