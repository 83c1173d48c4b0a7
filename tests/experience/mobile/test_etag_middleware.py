"""The ETag middleware on a small inline app: it tags only a GET's 200 JSON answer, and
everything else (HEAD, other statuses, other methods, other media types, streamed bodies)
passes through message by message, untouched."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message

from experience_apis.mobile.etag import ETagMiddleware, entity_tag, if_none_match_hits

BODY = {"id": "42", "name": "Oak desk"}


class Gate:
    """Lets a streaming body go on only once its first chunk has left the middleware."""

    def __init__(self) -> None:
        self.first_chunk_sent = asyncio.Event()

    async def chunks(self) -> AsyncIterator[bytes]:
        yield b'{"part": 1'
        await asyncio.wait_for(self.first_chunk_sent.wait(), timeout=2)
        yield b', "part2": 2}'


def inline_app(gate: Gate) -> Starlette:
    async def json_answer(request: Request) -> Response:
        return JSONResponse(BODY, headers={"Vary": "Accept-Encoding"})

    async def missing(request: Request) -> Response:
        return JSONResponse({"detail": "no such thing"}, status_code=404)

    async def text(request: Request) -> Response:
        return PlainTextResponse("hello")

    async def already_tagged(request: Request) -> Response:
        return JSONResponse(BODY, headers={"ETag": '"mine"'})

    async def streamed(request: Request) -> Response:
        return StreamingResponse(gate.chunks(), media_type="application/json")

    return Starlette(
        routes=[
            Route("/json", json_answer, methods=["GET", "HEAD", "POST"]),
            Route("/missing", missing),
            Route("/text", text),
            Route("/tagged", already_tagged),
            Route("/stream", streamed, methods=["GET", "POST"]),
        ]
    )


async def exchange(
    app: ASGIApp,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    gate: Gate | None = None,
) -> list[Message]:
    """The ASGI messages ``app`` sends for one request."""
    sent: list[Message] = []
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        "client": ("127.0.0.1", 1234),
        "server": ("test", 80),
    }

    requested = False

    async def receive() -> Message:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client stays connected
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)
        if gate and message["type"] == "http.response.body" and message.get("body"):
            gate.first_chunk_sent.set()

    await app(scope, receive, send)
    return sent


def header(message: Message, name: str) -> str | None:
    for key, value in message.get("headers", []):
        if key.decode().lower() == name:
            return str(value.decode())
    return None


async def test_a_get_200_json_answer_is_tagged_and_revalidated() -> None:
    app = ETagMiddleware(inline_app(Gate()))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://inline"
    ) as client:
        first = await client.get("/json")
        tag = first.headers["etag"]
        again = await client.get("/json", headers={"If-None-Match": tag})
        weak = await client.get("/json", headers={"If-None-Match": f'"other", W/{tag}'})
        anything = await client.get("/json", headers={"If-None-Match": "*"})
        stale = await client.get("/json", headers={"If-None-Match": '"other"'})

    assert first.status_code == 200 and first.json() == BODY
    assert tag == '"' + hashlib.sha256(first.content).hexdigest()[:32] + '"'
    assert first.headers["cache-control"] == "private, no-cache"
    assert first.headers.get_list("vary") == ["Accept-Encoding", "Authorization"]
    assert first.headers["content-length"] == str(len(first.content))
    for not_modified in (again, weak, anything):
        assert not_modified.status_code == 304
        assert not_modified.content == b""
        assert not_modified.headers["etag"] == tag
        assert not_modified.headers["cache-control"] == "private, no-cache"
        assert "content-type" not in not_modified.headers
        assert "content-length" not in not_modified.headers or (
            not_modified.headers["content-length"] == "0"
        )
    assert stale.status_code == 200 and stale.headers["etag"] == tag and stale.json() == BODY


async def test_what_is_not_a_get_200_json_answer_passes_untouched() -> None:
    bare = inline_app(Gate())
    wrapped = ETagMiddleware(bare)
    cases = [
        ("HEAD", "/json", {}),
        ("POST", "/json", {}),
        ("GET", "/missing", {}),
        ("GET", "/text", {}),
        ("GET", "/tagged", {"If-None-Match": '"mine"'}),
        ("GET", "/nowhere", {}),
    ]
    for method, path, headers in cases:
        through = await exchange(wrapped, method, path, headers)
        direct = await exchange(bare, method, path, headers)
        assert through == direct, (method, path)
        assert header(through[0], "etag") in (None, '"mine"')
        assert through[0]["status"] != 304


async def test_streamed_bodies_pass_through_as_they_come() -> None:
    for method in ("POST", "GET"):
        gate = Gate()
        app = ETagMiddleware(inline_app(gate))
        if method == "GET":
            # A GET's 200 JSON is buffered to be hashed, so its second chunk would wait for
            # a first that never leaves: only a non-GET stream shows chunk-by-chunk delivery.
            gate.first_chunk_sent.set()
        messages = await exchange(app, method, "/stream", gate=gate)
        bodies = [m for m in messages if m["type"] == "http.response.body"]
        if method == "POST":
            assert [m["body"] for m in bodies if m["body"]] == [b'{"part": 1', b', "part2": 2}']
            assert header(messages[0], "etag") is None
        else:
            assert [m["body"] for m in bodies] == [b'{"part": 1, "part2": 2}']
            assert header(messages[0], "etag") == entity_tag(b'{"part": 1, "part2": 2}')


def test_if_none_match_lists_weak_tags_and_star() -> None:
    tag = entity_tag(b"{}")
    assert if_none_match_hits(tag, tag)
    assert if_none_match_hits(f"W/{tag}", tag)
    assert if_none_match_hits(f'"a", {tag} , "b"', tag)
    assert if_none_match_hits('"a,b", ' + tag, tag)  # a comma may sit inside a tag
    assert if_none_match_hits(" * ", tag)
    assert not if_none_match_hits(None, tag)
    assert not if_none_match_hits('"a", "b"', tag)
    assert not if_none_match_hits(tag.strip('"'), tag)  # unquoted is not a tag
    assert not if_none_match_hits(f"{tag} garbage", tag)
    assert not if_none_match_hits("", tag)
