"""Cross-origin access on the data path: a route's ``cors_origins`` get their preflights
answered before any token check, and every answer to them (refusals included) carries the
CORS headers; any other origin gets none."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from gateway.proxy import Verdict
from gateway.routes import ApiRoute
from strata.errors import PROBLEM_JSON

APP_ORIGIN = "https://app.example"
TARGET = "inproc://system/crm"
PREFLIGHT = {
    "Origin": APP_ORIGIN,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type",
}
LIMIT_HEADERS = ((b"ratelimit-limit", b"10"), (b"ratelimit-remaining", b"9"))


class CountingApp:
    """An in-process API that says which origins it likes itself (the gateway decides)."""

    def __init__(self) -> None:
        self.calls = 0
        self.app = Starlette(routes=[Route("/x", self._answer, methods=["GET", "POST", "OPTIONS"])])

    async def _answer(self, request: Request) -> JSONResponse:
        self.calls += 1
        return JSONResponse(
            {"ok": True},
            headers={
                "Access-Control-Allow-Origin": "*",
                "Access-Control-Allow-Credentials": "true",
                "ETag": '"1"',
            },
        )

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


async def limited(caller: Any, route: ApiRoute, method: str) -> Verdict:
    return Verdict(True, LIMIT_HEADERS)


async def refused(caller: Any, route: ApiRoute, method: str) -> Verdict:
    return Verdict(False, (*LIMIT_HEADERS, (b"retry-after", b"7")))


def build(gateway: Any, make_route: Any, *origins: str, **options: Any) -> tuple[Any, CountingApp]:
    upstream = CountingApp()
    route = replace(make_route(targets=[TARGET]), cors_origins=origins)
    return gateway([route], inproc_apps={TARGET: upstream}, **options), upstream


def exposed(response: Any) -> set[str]:
    value = response.headers.get("access-control-expose-headers", "")
    return {name.strip().lower() for name in value.split(",") if name.strip()}


async def test_a_preflight_from_an_allowed_origin_is_answered_without_a_token(gateway, make_route):
    gw, upstream = build(gateway, make_route, APP_ORIGIN)

    answer = await gw.client.options("/system/crm/v1/x", headers=PREFLIGHT)

    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == APP_ORIGIN
    assert "Origin" in answer.headers.get_list("vary")
    methods = {m.strip() for m in answer.headers["access-control-allow-methods"].split(",")}
    assert {"GET", "POST", "DELETE"} <= methods
    allowed = answer.headers["access-control-allow-headers"].lower()
    for name in ("authorization", "content-type", "idempotency-key", "x-request-id"):
        assert name in allowed
    assert int(answer.headers["access-control-max-age"]) > 0
    assert "access-control-allow-credentials" not in answer.headers
    assert upstream.calls == 0


async def test_a_preflight_from_another_origin_is_refused_without_cors_headers(gateway, make_route):
    gw, upstream = build(gateway, make_route, APP_ORIGIN)

    answer = await gw.client.options(
        "/system/crm/v1/x", headers={**PREFLIGHT, "Origin": "https://evil.example"}
    )

    assert answer.status_code == 403
    assert answer.headers["content-type"] == PROBLEM_JSON
    assert answer.json()["type"].endswith("/cors-origin-not-allowed")
    assert not [name for name in answer.headers if name.startswith("access-control-")]
    assert upstream.calls == 0


async def test_a_route_without_origins_refuses_every_preflight(gateway, make_route):
    gw, _ = build(gateway, make_route)

    answer = await gw.client.options("/system/crm/v1/x", headers=PREFLIGHT)

    assert answer.status_code == 403
    assert "access-control-allow-origin" not in answer.headers


async def test_a_read_only_route_offers_only_the_read_methods(gateway, make_route):
    upstream = CountingApp()
    route = replace(make_route(targets=[TARGET], write_scope=None), cors_origins=(APP_ORIGIN,))
    gw = gateway([route], inproc_apps={TARGET: upstream})

    answer = await gw.client.options("/system/crm/v1/x", headers=PREFLIGHT)

    methods = {m.strip() for m in answer.headers["access-control-allow-methods"].split(",")}
    assert methods == {"GET", "HEAD", "OPTIONS"}


async def test_an_answer_to_an_allowed_origin_carries_and_exposes_the_headers(
    gateway, make_route, tokens
):
    gw, upstream = build(gateway, make_route, APP_ORIGIN, limit=limited)

    answer = await gw.client.get("/system/crm/v1/x", headers={**tokens.read, "Origin": APP_ORIGIN})

    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == APP_ORIGIN
    assert "Origin" in answer.headers.get_list("vary")
    assert {"ratelimit-limit", "ratelimit-remaining", "etag", "x-request-id"} <= exposed(answer)
    assert answer.headers["ratelimit-remaining"] == "9"
    # The upstream's own CORS answer is not passed on: the registration decides.
    assert answer.headers.get_list("access-control-allow-origin") == [APP_ORIGIN]
    assert "access-control-allow-credentials" not in answer.headers
    assert upstream.calls == 1


async def test_a_401_to_an_allowed_origin_carries_the_headers(gateway, make_route):
    gw, upstream = build(gateway, make_route, APP_ORIGIN)

    answer = await gw.client.get("/system/crm/v1/x", headers={"Origin": APP_ORIGIN})

    assert answer.status_code == 401
    assert answer.headers["access-control-allow-origin"] == APP_ORIGIN
    assert "www-authenticate" in exposed(answer)
    assert upstream.calls == 0


async def test_a_429_to_an_allowed_origin_carries_the_headers(gateway, make_route, tokens):
    gw, _ = build(gateway, make_route, APP_ORIGIN, limit=refused)

    answer = await gw.client.get("/system/crm/v1/x", headers={**tokens.read, "Origin": APP_ORIGIN})

    assert answer.status_code == 429
    assert answer.headers["access-control-allow-origin"] == APP_ORIGIN
    assert {"retry-after", "ratelimit-remaining"} <= exposed(answer)


async def test_an_answer_to_another_origin_carries_no_cors_headers(gateway, make_route, tokens):
    gw, upstream = build(gateway, make_route, APP_ORIGIN)

    answer = await gw.client.get(
        "/system/crm/v1/x", headers={**tokens.read, "Origin": "https://evil.example"}
    )

    assert answer.status_code == 200
    assert not [name for name in answer.headers if name.startswith("access-control-")]
    assert upstream.calls == 1


async def test_a_request_without_origin_is_served_as_before(gateway, make_route, tokens):
    gw, _ = build(gateway, make_route, APP_ORIGIN)

    answer = await gw.client.get("/system/crm/v1/x", headers=tokens.read)

    assert answer.status_code == 200
    # Not a CORS request: what the upstream says reaches the caller untouched.
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "Origin" not in answer.headers.get_list("vary")


async def test_every_origin_gets_a_wildcard_never_with_credentials(gateway, make_route, tokens):
    gw, _ = build(gateway, make_route, "*")

    preflight = await gw.client.options(
        "/system/crm/v1/x", headers={**PREFLIGHT, "Origin": "https://any.example"}
    )
    answer = await gw.client.get(
        "/system/crm/v1/x", headers={**tokens.read, "Origin": "https://any.example"}
    )

    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert answer.headers.get_list("access-control-allow-origin") == ["*"]
    assert "access-control-allow-credentials" not in preflight.headers
    assert "access-control-allow-credentials" not in answer.headers


async def test_an_options_request_that_is_not_a_preflight_needs_a_token(gateway, make_route):
    gw, upstream = build(gateway, make_route, APP_ORIGIN)

    answer = await gw.client.options("/system/crm/v1/x", headers={"Origin": APP_ORIGIN})

    assert answer.status_code == 401
    assert answer.headers["access-control-allow-origin"] == APP_ORIGIN
    assert upstream.calls == 0
