"""In-process targets: the API's ASGI app called directly with a rewritten scope."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI, Request
from starlette.responses import StreamingResponse

from gateway.proxy import BreakerState, ProxySettings
from gateway.proxy.hooks import Verdict
from gateway.routes import ApiRoute

CRM = "inproc://system/crm"


def crm_api() -> FastAPI:
    app = FastAPI()

    @app.get("/customers/{customer_id}")
    async def customer(customer_id: str, request: Request) -> dict[str, Any]:
        return {
            "id": customer_id,
            "path": request.scope["path"],
            "root_path": request.scope["root_path"],
            "raw_path": request.scope["raw_path"].decode(),
            "url": str(request.url),
            "query": request.url.query,
        }

    @app.get("/")
    async def index() -> dict[str, str]:
        return {"index": "crm"}

    @app.post("/customers")
    async def create(request: Request) -> dict[str, Any]:
        return {"received": await request.json()}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("the API broke")

    return app


async def test_the_app_is_called_as_if_mounted_at_the_prefix(gateway, make_route, tokens):
    gw = gateway([make_route(targets=[CRM])], inproc_apps={CRM: crm_api()})

    answer = await gw.client.get("/system/crm/v1/customers/0015?expand=1", headers=tokens.read)

    assert answer.status_code == 200
    assert answer.json() == {
        "id": "0015",
        "path": "/system/crm/v1/customers/0015",
        "root_path": "/system/crm/v1",
        "raw_path": "/system/crm/v1/customers/0015",
        "url": "http://gateway.test/system/crm/v1/customers/0015?expand=1",
        "query": "expand=1",
    }


async def test_the_apps_root_is_the_prefix_with_a_slash(gateway, make_route, tokens):
    gw = gateway([make_route(targets=[CRM])], inproc_apps={CRM: crm_api()})

    index = await gw.client.get("/system/crm/v1/", headers=tokens.read)
    bare = await gw.client.get("/system/crm/v1", headers=tokens.read)

    assert index.json() == {"index": "crm"}
    assert bare.status_code == 307
    assert bare.headers["location"] == "http://gateway.test/system/crm/v1/"


async def test_the_request_body_reaches_the_app(gateway, make_route, tokens):
    gw = gateway([make_route(targets=[CRM])], inproc_apps={CRM: crm_api()})

    answer = await gw.client.post(
        "/system/crm/v1/customers", json={"name": "Ada"}, headers=tokens.write
    )

    assert answer.status_code == 200
    assert answer.json() == {"received": {"name": "Ada"}}


async def test_rate_limit_headers_are_added_to_in_process_answers(gateway, make_route, tokens):
    async def limit(caller: Any, route: ApiRoute, method: str) -> Verdict:
        return Verdict(True, ((b"ratelimit-remaining", b"41"),))

    gw = gateway([make_route(targets=[CRM])], inproc_apps={CRM: crm_api()}, limit=limit)

    answer = await gw.client.get("/system/crm/v1/customers/1", headers=tokens.read)

    assert answer.headers["ratelimit-remaining"] == "41"


async def test_an_app_that_fails_before_answering_gives_a_500_problem(gateway, make_route, tokens):
    async def broken(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("the API broke")

    gw = gateway([make_route(targets=[CRM])], inproc_apps={CRM: broken})

    answer = await gw.client.get("/system/crm/v1/x", headers=tokens.read)

    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/problem+json"
    assert "the API broke" not in answer.text
    assert answer.json()["request_id"] == answer.headers["x-request-id"]


async def test_an_apps_own_500s_pass_through_and_count_against_its_breaker(
    gateway, make_route, tokens
):
    gw = gateway(
        [make_route(targets=[CRM])],
        inproc_apps={CRM: crm_api()},
        settings=ProxySettings(breaker_failures=2, breaker_cooldown_seconds=60),
    )

    answers = [await gw.client.get("/system/crm/v1/boom", headers=tokens.read) for _ in range(3)]

    assert [answer.status_code for answer in answers] == [500, 500, 503]
    assert answers[2].json()["api"] == "crm"
    runtime = gw.data_path.runtime("crm")
    assert runtime is not None
    assert runtime.pool.targets[0].breaker.state is BreakerState.OPEN


async def test_in_process_answers_stream(gateway, make_route, raw_request):
    release = asyncio.Event()

    async def body() -> Any:
        yield b"first"
        await release.wait()
        yield b"second"

    async def streaming(scope: Any, receive: Any, send: Any) -> None:
        await StreamingResponse(body())(scope, receive, send)

    gw = gateway(
        [make_route(targets=[CRM], public=True)],
        inproc_apps={CRM: streaming},
    )
    seen_before_release: list[bytes] = []

    async def on_chunk(chunk: bytes) -> None:
        if not release.is_set():
            seen_before_release.append(chunk)
            release.set()

    answer = await asyncio.wait_for(
        raw_request(gw.data_path, "GET", "/system/crm/v1/s", on_chunk=on_chunk), timeout=5
    )

    assert seen_before_release == [b"first"]
    assert answer.body == b"firstsecond"
