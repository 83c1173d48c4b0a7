"""problem+json errors, request ids and body limits, on a small inline app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
from fastapi import FastAPI
from pydantic import AfterValidator, BaseModel, Field
from starlette.types import Message, Receive, Scope, Send

from strata.context import current_request_id, current_traceparent
from strata.errors import PROBLEM_JSON, NotFound, install_problem_handlers
from strata.http import in_process, layer_client
from strata.middleware import (
    DEFAULT_PAGE_POLICY,
    BodySizeLimitMiddleware,
    PageHeadersMiddleware,
    RequestContextMiddleware,
)


class Widget(BaseModel):
    name: str = Field(min_length=1)
    size: int


def inline_app(max_body: int = 2048) -> object:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/widgets")
    async def create(widget: Widget) -> Widget:
        return widget

    @app.get("/widgets/{widget_id}")
    async def get(widget_id: str) -> Widget:
        raise NotFound("widget", widget_id)

    @app.post("/early")
    async def early() -> dict[str, str]:
        return {"answered": "without reading the body"}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    @app.get("/context")
    async def context() -> dict[str, str | None]:
        return {"request_id": current_request_id(), "traceparent": current_traceparent()}

    return RequestContextMiddleware(BodySizeLimitMiddleware(app, max_body))


def client(app: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=in_process(app), base_url="http://test")


async def test_validation_error_names_the_field() -> None:
    async with client(inline_app()) as http:
        response = await http.post("/widgets", json={"name": "", "size": "big"})
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["type"].endswith("/validation")
    assert {error["field"] for error in body["errors"]} == {"name", "size"}
    assert body["request_id"] == response.headers["x-request-id"]


async def test_malformed_json_is_a_clear_422() -> None:
    async with client(inline_app()) as http:
        response = await http.post(
            "/widgets",
            content=b'{"name": "x", ',
            headers={"content-type": "application/json"},
        )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["errors"][0]["field"] == ""
    assert body["errors"][0]["message"].startswith("malformed JSON at character 14")


async def test_unknown_id_and_unknown_route_are_404_problems() -> None:
    async with client(inline_app()) as http:
        unknown_id = await http.get("/widgets/w-404")
        unknown_route = await http.get("/nowhere")
    assert unknown_id.status_code == 404
    assert unknown_id.json()["id"] == "w-404"
    assert unknown_route.status_code == 404
    assert unknown_route.headers["content-type"] == PROBLEM_JSON


async def test_unexpected_error_is_500_without_internals() -> None:
    async with client(inline_app()) as http:
        response = await http.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM_JSON
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text


async def test_request_id_is_kept_when_safe_and_replaced_when_not() -> None:
    async with client(inline_app()) as http:
        kept = await http.get("/context", headers={"X-Request-ID": "abc-123"})
        replaced = await http.get("/context", headers={"X-Request-ID": "bad id <script>"})
        made = await http.get("/context")
    assert kept.headers["x-request-id"] == "abc-123" == kept.json()["request_id"]
    assert replaced.headers["x-request-id"] != "bad id <script>"
    assert len(made.headers["x-request-id"]) == 32


async def test_traceparent_keeps_the_trace_and_makes_a_new_span() -> None:
    parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    async with client(inline_app()) as http:
        response = await http.get("/context", headers={"traceparent": parent})
    version, trace_id, span_id, flags = response.json()["traceparent"].split("-")
    assert (version, trace_id, flags) == ("00", "4bf92f3577b34da6a3ce929d0e0e4736", "01")
    assert span_id != "00f067aa0ba902b7"


async def test_a_malformed_traceparent_starts_a_new_trace() -> None:
    forged = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01<script>"
    async with client(inline_app()) as http:
        response = await http.get("/context", headers={"traceparent": forged})
    version, trace_id, span_id, flags = response.json()["traceparent"].split("-")
    assert trace_id != "4bf92f3577b34da6a3ce929d0e0e4736"
    assert (version, flags, len(trace_id), len(span_id)) == ("00", "01", 32, 16)


async def test_declared_oversized_body_is_refused_with_413() -> None:
    async with client(inline_app(max_body=2048)) as http:
        response = await http.post("/widgets", json={"name": "x" * 5000, "size": 1})
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["connection"] == "close"
    assert response.json()["limit_bytes"] == 2048


async def test_streamed_oversized_body_is_refused_with_413() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"x" * 1024

    async with client(inline_app(max_body=2048)) as http:
        response = await http.post(
            "/widgets",
            content=chunks(),
            headers={"content-type": "application/json"},
        )
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["connection"] == "close"


async def test_an_answer_before_the_body_is_read_closes_the_connection() -> None:
    async with client(inline_app()) as http:
        early = await http.post("/early", content=b"x" * 1000)
        read = await http.post("/widgets", json={"name": "x", "size": 1})
        bodiless = await http.post("/early")
    assert early.status_code == 200
    assert early.headers["connection"] == "close"
    assert read.status_code == 200 and "connection" not in read.headers
    assert bodiless.status_code == 200 and "connection" not in bodiless.headers


async def test_reading_stops_at_the_chunk_that_passes_the_limit() -> None:
    sent: list[Message] = []
    chunks_read = 0

    async def receive() -> Message:
        nonlocal chunks_read
        chunks_read += 1
        return {"type": "http.request", "body": b"x" * 1024, "more_body": chunks_read < 100}

    async def send(message: Message) -> None:
        sent.append(message)

    async def reads_everything(scope: Scope, receive: Receive, send: Send) -> None:
        while (await receive()).get("more_body"):
            pass

    scope = {"type": "http", "method": "POST", "path": "/widgets", "headers": []}
    await BodySizeLimitMiddleware(reads_everything, 2048)(scope, receive, send)
    assert chunks_read == 3
    assert sent[0]["status"] == 413
    assert (b"connection", b"close") in sent[0]["headers"]


async def test_layer_client_carries_request_id_and_trace_down() -> None:
    inner = inline_app()
    outer = FastAPI()

    @outer.get("/outer")
    async def outer_route() -> dict[str, object]:
        async with layer_client("http://inner", in_process(inner)) as down:
            seen = (await down.get("/context")).json()
        return {"mine": current_request_id(), "seen": seen, "trace": current_traceparent()}

    async with client(RequestContextMiddleware(outer)) as http:
        response = await http.get("/outer", headers={"X-Request-ID": "req-42"})
    body = response.json()
    assert body["seen"]["request_id"] == "req-42" == body["mine"]
    assert body["seen"]["traceparent"].split("-")[1] == body["trace"].split("-")[1]


def page_app(headers: list[tuple[bytes, bytes]]) -> PageHeadersMiddleware:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"<p>hi</p>"})

    return PageHeadersMiddleware(app)


async def test_an_html_page_without_a_policy_gets_the_strictest() -> None:
    async with client(page_app([(b"content-type", b"text/html; charset=utf-8")])) as http:
        response = await http.get("/")
    assert response.headers["content-security-policy"] == DEFAULT_PAGE_POLICY.decode()
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_a_page_policy_of_its_own_and_other_answers_are_left_alone() -> None:
    own = [(b"content-type", b"text/html"), (b"content-security-policy", b"script-src 'self'")]
    async with client(page_app(own)) as http:
        page = await http.get("/")
    async with client(page_app([(b"content-type", b"application/json")])) as http:
        data = await http.get("/")
    assert page.headers["content-security-policy"] == "script-src 'self'"
    assert "x-frame-options" not in page.headers
    assert "content-security-policy" not in data.headers


def _no_x(value: str) -> str:
    if "x" in value:
        raise ValueError("must not contain x")
    return value


class _Named(BaseModel):
    name: Annotated[str, AfterValidator(_no_x)]


async def test_a_validator_message_reads_as_its_rule_wrote_it() -> None:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/things")
    async def create(body: _Named) -> dict[str, str]:
        return {"name": body.name}

    async with httpx.AsyncClient(transport=in_process(app), base_url="http://t") as client:
        answer = await client.post("/things", json={"name": "xyz"})

    assert answer.status_code == 422
    assert answer.json()["errors"] == [
        {"field": "name", "in": "body", "message": "must not contain x"}
    ]


async def test_an_exhausted_connection_pool_is_a_503_to_retry_not_a_500() -> None:
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/orders")
    async def place() -> None:
        raise PoolTimeout("QueuePool limit of size 10 overflow 20 reached")

    async with httpx.AsyncClient(transport=in_process(app), base_url="http://t") as client:
        answer = await client.post("/orders")

    assert answer.status_code == 503
    assert answer.headers["content-type"] == PROBLEM_JSON
    assert answer.headers["retry-after"] == "1"
    assert answer.json()["type"].endswith("/database-busy")
